"""Wall times read in the hospital's zone, with the client's rule for odd ones.

Wall times that do not exist (the spring-forward gap) or repeat (the fall-back hour) follow
`local_times:` of the client file (defaults in docs/CONTRACTS.md).

DuckDB (ICU) reads a wall time in the gap with the offset before it (moved forward by the
gap) and a repeated one as the later, standard-time instant. The rules below start from
that reading `u` and compare it back with the wall time. Transitions are assumed to be on
the hour and one hour long (every Brazilian and US zone; not Lord Howe's half hour).

ICU's conversion costs about 80 ns a value, twice per value with the check back: most of the
staging of a timestamp-heavy dataset. So a staging reads each distinct wall hour once
(`zone_hours_sql`): its offset, and whether the two hours either side have the same one. A
wall time in such a regular hour is neither skipped nor repeated, and is read by arithmetic
(`make_timestamptz`); the few hours around a transition take the full expression.
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


ZONE_HOURS = "_zone_hours"  # the session's table of wall hours (`zone_hours_sql`)
# Wall times read at all: years far inside DuckDB's range (+-290,000), 9999-12-31 included
# (an ERP's "no end" date).
_YEARS = "between -100000 and 100000"


def zone_hours_sql(walls: list[str], source: str, timezone: str) -> str:
    """A select of every distinct wall hour of `walls`, with its offset and regularity.

    `walls`: naive timestamp expressions over `source`. Columns: `hour`, its offset to UTC in
    microseconds (`off_us`, as ICU reads the hour's start) and `regular`, whether the same
    offset holds two hours before and after it.
    """
    tz = timezone.replace("'", "")
    hours = " union ".join(f"select date_trunc('hour', {w}) as hour from {source}" for w in walls)

    def offset(hours_after: int) -> str:
        at = f"hour + interval ({hours_after}) hour"
        return f"(epoch_us(timezone('{tz}', {at})) - epoch_us({at}))"

    regular = " and ".join(f"{offset(d)} = {offset(0)}" for d in (-2, -1, 1, 2))
    return (
        f"select hour, {offset(0)} as off_us, {regular} as regular "
        f"from (select distinct hour from ({hours})) "
        # far-off garbage (and infinity) keeps the full expression: no arithmetic near the
        # ends of the timestamp range
        f"where year(hour) {_YEARS}"
    )


def local_timestamp(
    wall: str, timezone: str, rule: LocalTimes, hours: str | None = None
) -> LocalTimeSql:
    """SQL reading the naive timestamp expression `wall` as a wall time in `timezone`.

    `hours`: the alias of the row's `ZONE_HOURS` row (joined on `wall`'s hour), whose regular
    hours are read by arithmetic; None: every value through ICU.
    """
    # ICU fails the whole statement on a wall time near the ends of DuckDB's range (garbage
    # such as year 294247): such a value reads as unparseable instead.
    bounded = f"(case when year({wall}) {_YEARS} then {wall} end)"
    slow = _icu_timestamp(bounded, timezone, rule)
    if hours is None:
        return slow
    fast = f"make_timestamptz(epoch_us({wall}) + {hours}.off_us)"
    return LocalTimeSql(
        f"case when {hours}.regular then {fast} else {slow.value} end",
        None
        if slow.problem is None
        else f"case when {hours}.regular then null else {slow.problem} end",
    )


def _icu_timestamp(wall: str, timezone: str, rule: LocalTimes) -> LocalTimeSql:
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
