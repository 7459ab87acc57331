"""The surgical centre: elective lists, the urgent room, and what goes wrong.

Daily elective lists per room, an always-open urgent room, late starts, turnover, suspensions
and cancellations with reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.allocation import Allocation
from hospitalis_demo.demand import Stays
from hospitalis_demo.pathways import OBSTETRIC
from hospitalis_demo.timeline import DAY, HOUR, MINUTE, NAT, Horizon, working_days

REALISED, CANCELLED, SUSPENDED = 3, 4, 5


@dataclass
class Surgeries:
    """One row per booking (realised, suspended or cancelled)."""

    stay: list[int] = field(default_factory=list)
    room: list[int] = field(default_factory=list)
    scheduled: list[int] = field(default_factory=list)
    times: list[tuple[int, int, int, int]] = field(default_factory=list)  # in, start, end, out
    status: list[int] = field(default_factory=list)
    reason: list[int] = field(default_factory=list)  # 0 when not cancelled
    cancelled_at: list[int] = field(default_factory=list)

    def add(
        self,
        stay: int,
        room: int,
        scheduled: int,
        times: tuple[int, int, int, int],
        status: int,
        reason: int = 0,
        cancelled_at: int = NAT,
    ) -> None:
        """Append one booking."""
        for store, value in (
            (self.stay, stay),
            (self.room, room),
            (self.scheduled, scheduled),
            (self.times, times),
            (self.status, status),
            (self.reason, reason),
            (self.cancelled_at, cancelled_at),
        ):
            store.append(value)


def room_count(beds: int) -> int:
    """Operating rooms of a hospital this size (the last one is kept for urgent cases)."""
    return max(2, round(beds / 33))


def _slot(t: int) -> int:
    return -(-t // (15 * MINUTE)) * 15 * MINUTE


def _perform(
    rng: np.random.Generator, scheduled: int, room_free: int, cesarean: bool
) -> tuple[int, int, int, int]:
    """Actual in-room, incision, closing and out-of-room times of one operation."""
    in_room = max(
        scheduled + int(rng.lognormal(np.log(12), 0.6) * MINUTE),
        room_free + int(rng.lognormal(np.log(25), 0.3) * MINUTE),
    )
    start = in_room + int(rng.lognormal(np.log(20), 0.35) * MINUTE)
    minutes = rng.lognormal(np.log(55), 0.25) if cesarean else rng.lognormal(np.log(95), 0.5)
    end = start + int(minutes * MINUTE) + 300
    out = end + int(rng.lognormal(np.log(12), 0.4) * MINUTE) + 60
    return in_room, start, end, out


def _day_lists(stays: Stays, alloc: Allocation, horizon: Horizon) -> dict[int, list[int]]:
    """Elective stays grouped by the day of their (first) booking."""
    lists: dict[int, list[int]] = {}
    for s, kind in enumerate(stays.surgery):
        if kind in (1, 3) and alloc.admitted[s] != NAT:
            lists.setdefault(int(horizon.day_index(alloc.admitted[s])), []).append(s)
    return lists


def schedule(
    rng: np.random.Generator, stays: Stays, alloc: Allocation, horizon: Horizon, beds: int
) -> Surgeries:
    """Every booking of the horizon, realised or not."""
    rooms = room_count(beds)
    out = Surgeries()
    room_free = [horizon.t0] * rooms
    lists = _day_lists(stays, alloc, horizon)
    retry: dict[int, list[int]] = {}
    level = working_days(horizon, saturday=0.3)
    mean_list = np.mean([len(v) for v in lists.values()]) if lists else 0.0
    urgent = sorted(
        (int(alloc.admitted[s]), s)
        for s, kind in enumerate(stays.surgery)
        if kind == 2 and alloc.admitted[s] != NAT
    )
    u = 0
    for day in range(horizon.n_days):
        day_t = horizon.t0 + day * DAY
        while u < len(urgent) and urgent[u][0] < day_t + DAY:
            _urgent(rng, out, stays, urgent[u][1], urgent[u][0], rooms, room_free)
            u += 1
        cases = sorted(lists.get(day, []) + retry.pop(day_t, []), key=lambda s: alloc.admitted[s])
        _elective_day(rng, out, stays, alloc, cases, day_t, rooms, room_free, retry)
        for _ in range(rng.poisson(0.07 * mean_list * level[day])):
            room = int(rng.integers(0, max(rooms - 1, 1)))
            when = day_t + 7 * HOUR + int(rng.integers(0, 36)) * 15 * MINUTE
            reason = int(rng.choice([1, 2, 6, 7], p=[0.4, 0.3, 0.1, 0.2]))
            out.add(
                -1, room, when, (NAT,) * 4, CANCELLED, reason, when - int(rng.uniform(1, 72) * HOUR)
            )
    _refused(rng, out, stays, alloc, rooms)
    return out


def _refused(
    rng: np.random.Generator, out: Surgeries, stays: Stays, alloc: Allocation, rooms: int
) -> None:
    """Elective surgeries called off because no bed freed up in time."""
    for s, kind in enumerate(stays.surgery):
        if kind in (1, 3) and alloc.refused[s] != NAT:
            scheduled = _slot(stays.request[s] + HOUR)
            out.add(
                -1,
                int(rng.integers(0, max(rooms - 1, 1))),
                scheduled,
                (NAT,) * 4,
                CANCELLED,
                5,
                int(alloc.refused[s]),
            )


def _urgent(
    rng: np.random.Generator,
    out: Surgeries,
    stays: Stays,
    s: int,
    admitted: int,
    rooms: int,
    room_free: list[int],
) -> None:
    cesarean = stays.pathway[s] == OBSTETRIC
    wait = rng.lognormal(np.log(1.5 if cesarean else 3.0), 0.6) * HOUR
    scheduled = -(-(admitted + int(wait)) // (5 * MINUTE)) * 5 * MINUTE
    times = _perform(rng, scheduled, room_free[-1], cesarean)
    room_free[-1] = times[3]
    out.add(s, rooms - 1, scheduled, times, REALISED)


def _elective_day(
    rng: np.random.Generator,
    out: Surgeries,
    stays: Stays,
    alloc: Allocation,
    cases: list[int],
    day_t: int,
    rooms: int,
    room_free: list[int],
    retry: dict[int, list[int]],
) -> None:
    """Book the day's list room by room; a suspended case comes back the next day."""
    cursor = [day_t + 7 * HOUR + 30 * MINUTE] * max(rooms - 1, 1)
    suspended_reasons = [r for r, _, no_encounter in codes.CANCEL_REASONS if not no_encounter]
    for s in cases:
        room = int(np.argmin(cursor))
        scheduled = _slot(max(cursor[room], int(alloc.admitted[s]) + HOUR))
        cesarean = stays.pathway[s] == OBSTETRIC
        cursor[room] = scheduled + (100 if cesarean else 150) * MINUTE
        if stays.surgery[s] == 3 and s not in out.stay:
            reason = int(rng.choice(suspended_reasons))
            out.add(
                s,
                room,
                scheduled,
                (NAT,) * 4,
                SUSPENDED,
                reason,
                scheduled + int(rng.uniform(-2, 1) * HOUR),
            )
            retry.setdefault(day_t + DAY, []).append(s)
            continue
        times = _perform(rng, scheduled, room_free[room], cesarean)
        room_free[room] = times[3]
        out.add(s, room, scheduled, times, REALISED)
