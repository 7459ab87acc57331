"""Bed allocation: an event simulation in which a bed holds one patient at a time.

Requests (admissions and transfers between units) are served in time order. A request takes
the unit's longest-idle regular bed; when none is free it takes a free extra bed (and moves
to a regular bed later), otherwise it waits for the next bed to be cleaned: admissions board
in the ER, transfers stay in their current bed. Maintenance starts when a bed is due for it
and empty, so a bed is never blocked while occupied.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from upflux_etl.demo_erp.beds import BedInventory
from upflux_etl.demo_erp.demand import Stays
from upflux_etl.demo_erp.timeline import HOUR, MINUTE, NAT, Horizon

BUSY = np.iinfo(np.int64).max  # free_at of a bed whose occupant has not left yet


@dataclass
class Allocation:
    """What happened: bed movements, admissions, discharges and blocks.

    Movement and block ends are ``NAT`` when still running at the snapshot; ``admitted`` is
    ``NAT`` for stays that never got a bed before the snapshot.
    """

    move_stay: list[int] = field(default_factory=list)
    move_bed: list[int] = field(default_factory=list)
    move_start: list[int] = field(default_factory=list)
    move_end: list[int] = field(default_factory=list)
    block_bed: list[int] = field(default_factory=list)
    block_start: list[int] = field(default_factory=list)
    block_end: list[int] = field(default_factory=list)
    block_code: list[str] = field(default_factory=list)
    admitted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    discharged: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class _Ward:
    """Mutable bed state during one allocation run."""

    def __init__(self, inventory: BedInventory, horizon: Horizon, out: Allocation):
        self.free_at = np.full(len(inventory.code), horizon.t0, dtype=np.int64)
        self.regular = [np.flatnonzero((inventory.unit == u) & ~inventory.extra) for u in range(5)]
        self.extra = [np.flatnonzero((inventory.unit == u) & inventory.extra) for u in range(5)]
        self.pending = [list(plan) for plan in inventory.maintenance]
        self.t_end = horizon.t_end
        self.out = out

    def _block(self, bed: int) -> None:
        start, seconds, code = self.pending[bed].pop(0)
        begin = max(start, int(self.free_at[bed]))
        self.out.block_bed.append(bed)
        self.out.block_start.append(begin)
        self.out.block_end.append(begin + seconds if begin + seconds < self.t_end else NAT)
        self.out.block_code.append(code)
        self.free_at[bed] = begin + seconds

    def pick(self, unit: int, t: int, seconds: int) -> tuple[int, bool]:
        """A bed for ``[t, t + seconds)`` in ``unit``: ``(bed, is_extra)`` or ``(-1, False)``."""
        beds = self.regular[unit]
        while len(beds):
            i = int(np.argmin(self.free_at[beds]))
            bed = int(beds[i])
            if self.free_at[bed] > t:
                break
            if self.pending[bed] and self.pending[bed][0][0] < t + seconds:
                self._block(bed)
                continue
            return bed, False
        for bed in self.extra[unit]:
            if self.free_at[bed] <= t:
                return int(bed), True
        return -1, False

    def next_free(self, unit: int, t: int) -> int:
        """When to retry a request nobody could serve."""
        times = self.free_at[np.concatenate([self.regular[unit], self.extra[unit]])]
        times = times[times != BUSY]
        soonest = int(times.min()) if len(times) else t + HOUR
        return max(soonest, t + 5 * MINUTE)

    def finish(self) -> None:
        """Start the maintenance that fell due on beds left empty at the end."""
        for bed, plan in enumerate(self.pending):
            while plan and self.free_at[bed] != BUSY:
                begin = max(plan[0][0], int(self.free_at[bed]))
                if begin >= self.t_end:
                    break
                self._block(bed)


def allocate(rng: np.random.Generator, stays: Stays, inventory: BedInventory,
             horizon: Horizon) -> Allocation:
    """Serve every stay's requests in time order; mutates ``stays.plan`` (extra-bed splits)."""
    out = Allocation()
    ward = _Ward(inventory, horizon, out)
    n = len(stays)
    out.admitted = np.full(n, NAT, dtype=np.int64)
    out.discharged = np.full(n, NAT, dtype=np.int64)
    current = np.full(n, -1, dtype=np.int64)  # open movement of each stay
    cleaning = (rng.lognormal(np.log(50), 0.4, size=4 * n + 16) * MINUTE).astype(np.int64)
    heap = [(stays.request[s], s, s, 0) for s in range(n)]
    heapq.heapify(heap)
    seq = n
    while heap:
        t, _, s, k = heapq.heappop(heap)
        if t >= horizon.t_end:
            continue
        unit, seconds = stays.plan[s][k]
        bed, is_extra = ward.pick(unit, t, seconds)
        if bed < 0:
            seq += 1
            heapq.heappush(heap, (_off_midnight(ward.next_free(unit, t)), seq, s, k))
            continue
        if k == 0:
            out.admitted[s] = t
        else:
            previous = int(current[s])
            out.move_end[previous] = t
            ward.free_at[out.move_bed[previous]] = t + cleaning[previous % len(cleaning)]
        if is_extra and seconds > 20 * HOUR and len(ward.regular[unit]):
            first = int(rng.uniform(6, 18) * HOUR)
            stays.plan[s][k] = [unit, first]
            stays.plan[s].insert(k + 1, [unit, seconds - first])
            seconds = first
        current[s] = len(out.move_stay)
        for store, value in ((out.move_stay, s), (out.move_bed, bed), (out.move_start, t),
                             (out.move_end, NAT)):
            store.append(value)
        end = _off_midnight(t + seconds)
        ward.free_at[bed] = BUSY
        if k + 1 < len(stays.plan[s]):
            seq += 1
            heapq.heappush(heap, (end, seq, s, k + 1))
        elif end < horizon.t_end:
            out.move_end[-1] = end
            out.discharged[s] = end
            ward.free_at[bed] = end + cleaning[(len(out.move_stay) - 1) % len(cleaning)]
    ward.finish()
    return out


def _off_midnight(t: int) -> int:
    return t + 7 if t % 86_400 == 0 else t
