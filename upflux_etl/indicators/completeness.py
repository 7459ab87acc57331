"""Whether each configured indicator could be computed, per month, and from how much data.

Round 2's "platform configured" rests on this: an indicator is configured when it computes a
value for the months the hospital has data for, from rows that carry the fields it reads. The
coverage of a month is the share of the rows the indicator needs (its `coverage:` in
`assets/indicators/<name>.yaml`) that have every one of those fields filled.
"""

from __future__ import annotations

from dataclasses import dataclass

from upflux_etl.catalog.models import IndicatorSetSpec, IndicatorSpec


@dataclass(frozen=True)
class PeriodCompleteness:
    """One indicator in one month."""

    period: str
    computed: bool
    rows: int
    covered: int

    @property
    def coverage(self) -> float | None:
        """Share of the needed rows with every field the indicator reads (None: no rows)."""
        return self.covered / self.rows if self.rows else None


@dataclass(frozen=True)
class IndicatorCompleteness:
    """One configured indicator across the months of a load."""

    name: str
    title: str
    periods: list[PeriodCompleteness]

    @property
    def computed_periods(self) -> int:
        """Months with at least one value."""
        return sum(p.computed for p in self.periods)

    @property
    def coverage(self) -> float | None:
        """Share of every needed row, all months together, with the fields it reads."""
        rows = sum(p.rows for p in self.periods)
        return sum(p.covered for p in self.periods) / rows if rows else None

    def as_dict(self) -> dict:
        """The JSON shape of `upflux status --json` (`indicator_completeness`)."""
        return {
            "indicator": self.name,
            "title": self.title,
            "computed_periods": self.computed_periods,
            "periods": len(self.periods),
            "coverage": _rounded(self.coverage),
            "by_period": [
                {
                    "period": p.period,
                    "computed": p.computed,
                    "rows": p.rows,
                    "covered": p.covered,
                    "coverage": _rounded(p.coverage),
                }
                for p in self.periods
            ],
        }


def completeness(
    configured: list[str],
    specs: dict[str, IndicatorSpec],
    values: list[dict],
    coverage: list[dict],
) -> list[IndicatorCompleteness]:
    """Each configured indicator's months: with a value or not, and their coverage.

    Args:
        configured: the client's indicators, in its order.
        specs: the catalog's indicators (titles).
        values: `read_indicator_values` of the load.
        coverage: `read_indicator_coverage` of the load.
    """
    computed = {(v["indicator"], v["period"]) for v in values}
    needed: dict[tuple[str, str], tuple[int, int]] = {
        (c["indicator"], c["period"]): (c["rows"], c["covered"]) for c in coverage
    }
    out = []
    for name in configured:
        months = sorted({p for i, p in computed if i == name} | {p for i, p in needed if i == name})
        periods = [
            PeriodCompleteness(
                period=month,
                computed=(name, month) in computed,
                rows=needed.get((name, month), (0, 0))[0],
                covered=needed.get((name, month), (0, 0))[1],
            )
            for month in months
        ]
        title = specs[name].title if name in specs else name
        out.append(IndicatorCompleteness(name, title, periods))
    return out


def indicator_set_status(
    indicator_set: IndicatorSetSpec, configured: list[str], computed: set[str]
) -> dict:
    """An external set (PM-QUALISS) for one hospital: per item, computable, configured, computed.

    Args:
        indicator_set: the set as the catalog declares it.
        configured: the client's indicators.
        computed: the indicators with at least one value in the load.
    """
    items = [
        {
            "name": item.name,
            "computable": item.computable,
            "indicator": item.indicator,
            "configured": item.indicator in configured,
            "computed": item.indicator in computed,
            "why": item.why,
            "note": item.note,
        }
        for item in indicator_set.items
    ]
    return {
        "set": indicator_set.name,
        "title": indicator_set.title,
        "items": items,
        "computed": sum(i["computed"] for i in items),
        "total": len(items),
    }


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 4)
