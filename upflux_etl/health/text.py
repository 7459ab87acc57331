"""Numbers written the Brazilian way, for the Portuguese explanations."""

from __future__ import annotations


def num(value: float, digits: int = 1) -> str:
    """`1234.5` -> `1.234,5`."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def pct(share: float, digits: int = 1) -> str:
    """`0.953` -> `95,3%`."""
    return f"{num(share * 100, digits)}%"


def count(value: int) -> str:
    """`12345` -> `12.345`."""
    return num(value, 0)
