"""A driver's column types in the canonical model's terms, and whether they fit.

Staging converts what it can (`try_cast`), so text for a number or a date is accepted with a
note (values that do not parse are quarantined at the load); a type that cannot become the
canonical one (a date for an integer) is a problem.
"""

from __future__ import annotations

_FAMILIES = (
    ("interval", "string"),
    ("timestamp", "timestamp"),
    ("datetime", "timestamp"),
    ("newdate", "date"),
    ("date", "date"),
    ("time", "time"),
    ("bool", "boolean"),
    ("bit", "boolean"),
    ("decimal", "decimal"),
    ("numeric", "decimal"),
    ("money", "decimal"),
    ("float", "double"),
    ("double", "double"),
    ("real", "double"),
    ("int", "integer"),
    ("long", "integer"),
    ("short", "integer"),
    ("tiny", "integer"),
    ("year", "integer"),
    ("blob", "string"),  # MySQL reports TEXT columns as BLOB
    ("bytearray", "binary"),
    ("bytea", "binary"),
    ("bytes", "binary"),
)
# canonical type -> source families that convert without loss
_FITS = {
    "string": {"string", "integer", "decimal", "double", "boolean", "timestamp", "date", "time"},
    "integer": {"integer", "boolean"},
    "double": {"double", "decimal", "integer"},
    "decimal": {"decimal", "integer", "double"},
    "boolean": {"boolean", "integer"},
    "timestamp": {"timestamp", "date"},
    "date": {"date", "timestamp"},
    "time": {"time"},
}


def family(type_name: str | None) -> str | None:
    """The canonical family of a driver's type name (None: unknown, e.g. SQLite results)."""
    if type_name is None:
        return None
    name = type_name.lower()
    if name in {"str", "text", "varchar", "bpchar", "name", "uuid", "json", "jsonb"}:
        return "string"
    return next((fam for key, fam in _FAMILIES if key in name), "string")


def fit(canonical: str, source_type: str | None) -> tuple[bool, str | None]:
    """(fits, note): whether a source column of `source_type` can feed a `canonical` column.

    The note says what the load will do about a conversion, or why nothing was checked.
    """
    fam = family(source_type)
    if fam is None:
        return True, None
    if fam in _FITS[canonical]:
        return True, None
    if fam == "string":
        return True, f"text converted to {canonical} at the load; unparseable values quarantined"
    return False, f"{source_type} ({fam}) cannot become {canonical}"
