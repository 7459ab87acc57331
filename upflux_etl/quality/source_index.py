"""The unindexed-incremental-column warning: what a load and `connect-test` say, and the check.

An incremental load asks the source for the rows changed since its watermark
(`where <incremental column> > ...`); without an index leading with the ERP column behind that
column, the database reads the whole table every night. The source's catalog says which
columns lead an index (`extract/source_catalog.py`); sqlglot's lineage says which ERP table and
column the dataset's incremental column comes from. A non-blocking dataset-level check:
the load goes on, the warning names what to ask the hospital's DBA for.
"""

from __future__ import annotations

from upflux_etl.quality.outcome import DATASET, CheckOutcome

INDEX_CHECK = "source_incremental_indexed"
INDEX_DESCRIPTION = (
    "A coluna incremental do conjunto tem um índice no ERP (senão cada carga incremental lê a "
    "tabela inteira)"
)
INDEX_FIX = (
    "Peça ao DBA do hospital um índice na coluna do ERP de onde vem a coluna incremental "
    "(o comando está na descrição); a carga continua sem ele, só mais lenta e mais pesada "
    "para o banco."
)


def split_column(qualified: str) -> tuple[str, str]:
    """`"pedido_exame.dt_atualizacao"` -> `("pedido_exame", "dt_atualizacao")`."""
    table, _, column = qualified.rpartition(".")
    return table, column


def create_index_sql(table: str, column: str, schema: str | None = None) -> str:
    """The statement to ask the DBA for: `create index ix_<table>_<column> on <table> (<column>)`."""
    where = f"{schema}.{table}" if schema else table
    return f"create index ix_{table}_{column} on {where} ({column})"


def unindexed_warning(
    source: str, dataset: str, incremental_column: str, qualified: str, schema: str | None
) -> str:
    """The warning naming an ERP column without an index, why it matters and what to ask for.

    Args:
        source: the client file's source name.
        dataset: the canonical dataset.
        incremental_column: the dataset's incremental column (canonical name).
        qualified: the ERP `table.column` it comes from.
        schema: the source's schema (PostgreSQL) or database (MariaDB), if the file names one.
    """
    table, column = split_column(qualified)
    return (
        f"source {source}, dataset {dataset}: incremental column {incremental_column} comes "
        f"from {table}.{column}, which no index leads: every incremental load scans the whole "
        f"{table} table. Ask the hospital's DBA for: "
        f"{create_index_sql(table, column, schema)}"
    )


def catalog_unread_note(source: str, reason: str) -> str:
    """Said once per source when its indexes cannot be looked up at all."""
    return f"source {source}: incremental columns' indexes not checked: {reason}"


def index_outcome(
    source: str,
    dataset: str,
    unindexed: list[str],
    schema: str | None,
    *,
    traced: int,
    error: str | None = None,
    unsupported: str | None = None,
) -> CheckOutcome:
    """The check of one dataset: failed (a warning, never blocking) when a column has no index.

    Args:
        source: the client file's source name.
        dataset: the canonical dataset.
        unindexed: the ERP `table.column`s behind the incremental column that no index leads.
        schema: the source's schema or database, for the suggested statement.
        traced: how many ERP columns the incremental column was traced to (0: not known).
        error: the catalog could not be read (not applicable: the drift check reports it).
        unsupported: this source's catalog is not read at all (not applicable, said so).
    """
    description = INDEX_DESCRIPTION
    if unsupported:
        description += f" (não verificado: {unsupported})"
    elif error:
        description += " (não verificado: o catálogo do banco não pôde ser lido)"
    elif not traced:
        description += (
            " (não verificado: não foi possível rastrear na consulta a coluna do ERP de onde "
            "vem a coluna incremental)"
        )
    if unindexed:
        asks = "; ".join(
            f"{q} sem índice: {create_index_sql(*split_column(q), schema)}" for q in unindexed
        )
        description += f". Fonte {source}: {asks}"
    checked = not (unsupported or error or not traced)
    return CheckOutcome(
        name=INDEX_CHECK,
        dataset=dataset,
        level=DATASET,
        blocking=False,
        passed=not unindexed,
        failing_count=len(unindexed),
        element_count=traced,
        failing_row_ids=(),
        description=description,
        fix_hint=INDEX_FIX,
        expectation_type="upflux_source_index",
        error=None,
        status="" if checked else "not_applicable",
        observed=float(len(unindexed)),
        expected="0 colunas incrementais sem índice",
    )
