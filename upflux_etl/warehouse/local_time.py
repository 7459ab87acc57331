"""Wall times read in the hospital's zone, with the client's rule for odd ones.

Wall times that do not exist (the spring-forward gap) or repeat (the fall-back hour) follow
`local_times:` of the client file (defaults in docs/CONTRACTS.md).

DuckDB (ICU) reads a wall time in the gap with the offset before it (moved forward by the
gap) and a repeated one as the later, standard-time instant. The rules below start from
that reading `u` and compare it back with the wall time. Transitions are assumed to be on
the hour and one hour long (every Brazilian and US zone; not Lord Howe's half hour).
"""

from __future__ import annotations

from dataclasses import dataclass

from upflux_etl.catalog.client_options import LocalTimes

REASON_NONEXISTENT = "horário inexistente no fuso do hospital (início do horário de verão)"
REASON_AMBIGUOUS = "horário repetido no fuso do hospital (fim do horário de verão)"


@dataclass(frozen=True)
class LocalTimeSql:
    """A TIMESTAMPTZ expression, and the reason (SQL text or NULL) its row is unreadable."""

    value: str
    problem: str | None


def local_timestamp(wall: str, timezone: str, rule: LocalTimes) -> LocalTimeSql:
    """SQL reading the naive timestamp expression `wall` as a wall time in `timezone`."""
    tz = timezone.replace("'", "")
    u = f"timezone('{tz}', {wall})"
    back = f"timezone('{tz}', {u})"
    gap = f"({back} <> {wall})"
    earlier = f"(timezone('{tz}', {u} - interval 1 hour) = {wall})"
    later = f"(timezone('{tz}', {u} + interval 1 hour) = {wall})"
    on_gap = {
        "gap_end": f"timezone('{tz}', date_trunc('hour', {back}))",
        "shift_forward": u,
        "quarantine": "cast(null as timestamptz)",
    }[rule.nonexistent]
    value = f"case when {gap} then {on_gap}"
    problems = []
    if rule.nonexistent == "quarantine":
        problems.append(f"when {gap} then '{REASON_NONEXISTENT}'")
    if rule.ambiguous == "earlier":
        value += f" when {earlier} then {u} - interval 1 hour"
    elif rule.ambiguous == "quarantine":
        value += f" when {earlier} or {later} then cast(null as timestamptz)"
        problems.append(f"when {earlier} or {later} then '{REASON_AMBIGUOUS}'")
    # later: ICU's own reading of a repeated wall time (tested for the Americas' zones), so
    # the default costs one conversion back and no more.
    value += f" else {u} end"
    problem = f"case {' '.join(problems)} end" if problems else None
    return LocalTimeSql(value, problem)
