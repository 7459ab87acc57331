"""A query's column names, normalised and checked against its canonical dataset.

Oracle over ODBC returns `CPF` for a `cpf` alias, a hand-written query may say `"cpf "` or
`[cpf]`: names are compared without case, surrounding quotes or spaces. Checked on the first
batch, in memory, before anything is written: a column the canonical model does not declare
(a name, an address, a second CPF) never reaches the build, and every declared personal
column is found whatever its case.
"""

from __future__ import annotations

from collections.abc import Sequence

from upflux_etl.catalog.models import DatasetSpec
from upflux_etl.extract.readable import UNREADABLE

_QUOTES = "\"'`[]"


class ColumnError(RuntimeError):
    """A query returns columns its canonical dataset does not declare, or lacks some."""


def normalise_column(name: str) -> str:
    """`name` as the canonical model spells it: no surrounding spaces or quotes, lower case."""
    return name.strip().strip(_QUOTES).strip().lower()


def canonical_names(names: Sequence[str], spec: DatasetSpec, query_name: str) -> list[str]:
    """The canonical name of each column a query returned, in its order.

    Raises:
        ColumnError: a column is not in the canonical dataset, two columns are the same one,
            or a canonical column is missing; the message names the query file and the columns
            as the query spelled them (never a value).
    """
    returned = names
    names = [n for n in names if n != UNREADABLE]  # added by extract.readable, not the query
    normal = [normalise_column(n) for n in names]
    extra = [n for n, c in zip(names, normal, strict=True) if c not in spec.columns]
    twice = sorted({c for c in normal if normal.count(c) > 1})
    missing = [c for c in spec.columns if c not in normal]
    problems = []
    if extra:
        problems.append(f"columns not in the canonical model: {', '.join(extra)}")
    if twice:
        problems.append(
            f"columns returned more than once (names compared without case): {', '.join(twice)}"
        )
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if problems:
        raise ColumnError(
            f"dataset {spec.name}: query {query_name} returns {'; '.join(problems)} "
            "(refused before anything was written; connectors/canonical.yaml declares the "
            f"columns of {spec.name})"
        )
    return [n if n == UNREADABLE else normalise_column(n) for n in returned]
