"""A key rotation's clean slate: the build keeps no row pseudonymised with the previous key."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from upflux_etl.warehouse import parts

# The schemas whose dataset tables hold pseudonyms (landing/staging are rebuilt per dataset).
DATA_SCHEMAS = ("main", "quarantine", "held", "landing", "staging")


def drop_dataset_tables(con: duckdb.DuckDBPyConnection, datasets: Iterable[str]) -> None:
    """Drop every dataset's published, quarantined, held, landed and staged rows in the build.

    A rotation's full reload then writes every dataset again with the new key; a dataset it
    does not load (switched off, or held by a blocking check) is left empty rather than mixed.
    """
    for dataset in datasets:
        parts.drop(con, dataset)
        for schema in DATA_SCHEMAS[1:]:
            con.execute(f'drop table if exists {schema}."{dataset}"')
