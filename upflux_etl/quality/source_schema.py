"""The schema-drift check: a source table read by a dataset's query changed its columns.

A query that names its columns never sees a new one, and a changed type may change what it
reads; so the catalog's columns and types of the tables read are compared with the previous
load's (`warehouse/meta/source_columns.py`). A non-blocking dataset-level check.
"""

from __future__ import annotations

from upflux_etl.quality.outcome import DATASET, CheckOutcome

Columns = dict[str, dict[str, str]]  # table -> column -> type

DRIFT_CHECK = "source_schema_unchanged"
DRIFT_DESCRIPTION = (
    "As colunas e tipos das tabelas do ERP lidas pela consulta são as mesmas da carga anterior"
)
DRIFT_FIX = (
    "Confirme com a TI do hospital se a mudança no ERP foi intencional e revise a consulta e "
    "os mapeamentos do conjunto (uma coluna nova não é lida por uma consulta de colunas fixas)."
)


def drift_changes(before: Columns, now: Columns) -> list[str]:
    """The differences between two catalogs of the same tables, in Portuguese, one per column."""
    changes = []
    for table in sorted(set(before) | set(now)):
        old, new = before.get(table), now.get(table)
        if old is None or new is None:
            changes.append(f"{table}: tabela {'nova' if old is None else 'removida'}")
            continue
        changes += [f"{table}.{c}: coluna nova ({new[c]})" for c in new if c not in old]
        changes += [f"{table}.{c}: coluna removida" for c in old if c not in new]
        changes += [
            f"{table}.{c}: tipo mudou de {old[c]} para {new[c]}"
            for c in new
            if c in old and old[c] != new[c]
        ]
    return changes


def drift_outcome(
    dataset: str,
    now: Columns,
    previous: Columns | None,
    *,
    error: str | None = None,
    unsupported: str | None = None,
) -> CheckOutcome:
    """The schema-drift check of one dataset: failed when a read table's columns changed.

    `error`: the catalog could not be read (the check could not run); `unsupported`: this
    source's catalog is not read at all (passed, and said so).
    """
    compared = sum(len(c) for c in now.values())
    changes = drift_changes(previous, now) if previous is not None and not error else []
    description = DRIFT_DESCRIPTION
    if unsupported:
        description += f" (não verificado: {unsupported})"
    elif previous is None and not error:
        description += " (primeira carga com o catálogo registrado: nada a comparar)"
    if changes:
        description += ". Mudanças: " + "; ".join(changes[:20])
    return CheckOutcome(
        name=DRIFT_CHECK,
        dataset=dataset,
        level=DATASET,
        blocking=False,
        passed=not changes and error is None,
        failing_count=len(changes),
        element_count=compared,
        failing_row_ids=(),
        description=description,
        fix_hint=DRIFT_FIX,
        expectation_type="upflux_source_schema",
        error=error,
        # Nothing to compare on a first load or a source whose catalog we cannot read.
        status="not_applicable" if error is None and (previous is None or unsupported) else "",
        observed=float(len(changes)),
        expected="0 mudanças de colunas ou tipos",
    )
