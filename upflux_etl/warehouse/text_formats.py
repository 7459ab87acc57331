"""Text columns in a declared format (`datasets.<dataset>.formats` in the client file).

Brazilian numbers (`1.234,56`) and dates such as `dd/mm/yyyy hh:mi`: a value that matches is
parsed; one that does not becomes NULL, and staging flags it unparseable, so the row is
quarantined with the column's `<column>_parseable` check, never a crashed load.
"""

from __future__ import annotations

from upflux_etl.catalog.client_options import strptime_format
from upflux_etl.catalog.models import DUCKDB_TYPES

# Whole-value patterns: thousands grouped by the separator, one decimal mark.
_NUMBER_PATTERNS = {
    "1.234,56": (r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$", ".", ","),
    "1,234.56": (r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$", ",", "."),
}


def formatted_number(src: str, fmt: str, kind: str) -> str:
    """SQL parsing the text `src` written as `fmt` into the canonical numeric `kind`."""
    pattern, thousands, decimal = _NUMBER_PATTERNS[fmt]
    text = f"trim(cast({src} as varchar))"
    plain = f"replace(replace({text}, '{thousands}', ''), '{decimal}', '.')"
    return (
        f"case when regexp_full_match({text}, '{pattern}') "
        f"then try_cast({plain} as {DUCKDB_TYPES[kind]}) end"
    )


def formatted_wall_time(src: str, fmt: str) -> str:
    """SQL parsing the text `src` written as date pattern `fmt` into a naive TIMESTAMP."""
    return f"try_strptime(trim(cast({src} as varchar)), '{strptime_format(fmt)}')"


def is_utc(fmt: str) -> bool:
    """The pattern ends in `Z`: the text is a UTC instant, not a wall time."""
    return fmt.endswith("Z")
