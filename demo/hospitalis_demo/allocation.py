"""Bed allocation: an event simulation in which a bed holds one patient at a time.

Requests (admissions and transfers between units) are served in time order. A request takes
the unit's longest-idle regular bed; when none is free it takes a free extra bed (and moves
to a regular bed later), otherwise it queues: transfers first (the patient keeps the current
bed meanwhile), then admissions in arrival order. An urgent patient boarding in the ER for
more than ``URGENT_PATIENCE`` is transferred to another hospital; an elective admission
waiting more than ``ELECTIVE_PATIENCE`` is called off. Maintenance starts when a bed is due
for it and empty, so a bed is never blocked while occupied.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from hospitalis_demo.beds import BedInventory
from hospitalis_demo.demand import CENSUS, ELECTIVE, Stays
from hospitalis_demo.timeline import HOUR, MINUTE, NAT, Horizon

BUSY = np.iinfo(np.int64).max  # free_at of a bed whose occupant has not left yet
URGENT_PATIENCE = 18 * HOUR
ELECTIVE_PATIENCE = 12 * HOUR
REQUEST, FREED = 0, 1


@dataclass
class Allocation:
    """What happened: bed movements, admissions, discharges, refusals and blocks.

    Movement and block ends are ``NAT`` when still running at the snapshot; ``admitted`` is
    ``NAT`` for stays that never got a bed; ``refused`` is when a waiting admission gave up.
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
    refused: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _off_midnight(t: int) -> int:
    return t + 7 if t % 86_400 == 0 else t


class _Hospital:
    """Mutable state of one allocation run."""

    def __init__(
        self, rng: np.random.Generator, stays: Stays, inventory: BedInventory, horizon: Horizon
    ):
        n = len(stays)
        self.stays, self.inventory, self.rng = stays, inventory, rng
        self.t_end = horizon.t_end
        self.out = Allocation(
            admitted=np.full(n, NAT, dtype=np.int64),
            discharged=np.full(n, NAT, dtype=np.int64),
            refused=np.full(n, NAT, dtype=np.int64),
        )
        self.free_at = np.full(len(inventory.code), horizon.t0, dtype=np.int64)
        self.regular = [np.flatnonzero((inventory.unit == u) & ~inventory.extra) for u in range(5)]
        self.extra = [np.flatnonzero((inventory.unit == u) & inventory.extra) for u in range(5)]
        self.pending = [list(plan) for plan in inventory.maintenance]
        self.current = np.full(n, -1, dtype=np.int64)
        self.cleaning = (rng.lognormal(np.log(50), 0.4, 4 * n + 16) * MINUTE).astype(np.int64)
        self.waiting = [(deque(), deque()) for _ in range(5)]  # (transfers, admissions)
        self.heap = [(stays.request[s], s, REQUEST, s, 0) for s in range(n)]
        heapq.heapify(self.heap)
        self.seq = n

    def push(self, t: int, kind: int, a: int, b: int = 0) -> None:
        """Schedule an event."""
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, a, b))

    def _block(self, bed: int) -> None:
        start, seconds, code = self.pending[bed].pop(0)
        begin = max(start, int(self.free_at[bed]))
        end = begin + seconds
        out = self.out
        out.block_bed.append(bed)
        out.block_start.append(begin)
        out.block_end.append(end if end < self.t_end else NAT)
        out.block_code.append(code)
        self.free_at[bed] = end
        self.push(end, FREED, int(self.inventory.unit[bed]))

    def pick(self, unit: int, t: int, seconds: int) -> tuple[int, bool]:
        """A bed for ``[t, t + seconds)``: ``(bed, is_extra)`` or ``(-1, False)``."""
        beds = self.regular[unit]
        while len(beds):
            bed = int(beds[int(np.argmin(self.free_at[beds]))])
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

    def serve(self, s: int, k: int, t: int) -> bool:
        """Put stay ``s`` into its ``k``-th bed at ``t`` if one is free."""
        plan, out = self.stays.plan[s], self.out
        unit, seconds = plan[k]
        bed, is_extra = self.pick(unit, t, seconds)
        if bed < 0:
            return False
        if k == 0:
            out.admitted[s] = t
        else:
            previous = int(self.current[s])
            out.move_end[previous] = t
            self._release(out.move_bed[previous], t + self.cleaning[previous % len(self.cleaning)])
        if is_extra and seconds > 20 * HOUR and len(self.regular[unit]):
            first = int(self.rng.uniform(6, 18) * HOUR)
            plan[k] = [unit, first]
            plan.insert(k + 1, [unit, seconds - first])
            seconds = first
        self.current[s] = len(out.move_stay)
        for store, value in (
            (out.move_stay, s),
            (out.move_bed, bed),
            (out.move_start, t),
            (out.move_end, NAT),
        ):
            store.append(value)
        end = _off_midnight(t + seconds)
        self.free_at[bed] = BUSY
        if k + 1 < len(plan):
            self.push(end, REQUEST, s, k + 1)
        elif end < self.t_end:
            out.move_end[-1] = end
            out.discharged[s] = end
            self._release(bed, end + self.cleaning[(len(out.move_stay) - 1) % len(self.cleaning)])
        return True

    def _release(self, bed: int, when: int) -> None:
        self.free_at[bed] = when
        self.push(when, FREED, int(self.inventory.unit[bed]))

    def patience(self, s: int) -> int:
        """How long an admission may wait for a bed before it is given up."""
        origin = self.stays.origin[s]
        if origin == CENSUS:
            return BUSY // 2
        return ELECTIVE_PATIENCE if origin == ELECTIVE else URGENT_PATIENCE

    def drain(self, unit: int, t: int) -> None:
        """Serve the unit's queue head-first while beds are free."""
        for queue in self.waiting[unit]:
            while queue:
                since, s, k = queue[0]
                if k == 0 and t - since > self.patience(s):
                    queue.popleft()
                    self.out.refused[s] = since + self.patience(s)
                    continue
                if not self.serve(s, k, t):
                    return
                queue.popleft()

    def run(self) -> Allocation:
        """Process every event up to the snapshot."""
        while self.heap:
            t, _, kind, a, b = heapq.heappop(self.heap)
            if t >= self.t_end:
                break
            if kind == FREED:
                self.drain(a, t)
            elif not self.serve(a, b, t):
                self.waiting[self.stays.plan[a][b][0]][1 if b == 0 else 0].append((t, a, b))
        for _transfers, admissions in self.waiting:
            for since, s, _ in admissions:
                if since + self.patience(s) < self.t_end:
                    self.out.refused[s] = since + self.patience(s)
        self._finish_maintenance()
        return self.out

    def _finish_maintenance(self) -> None:
        """Start the maintenance that fell due on beds left empty at the end."""
        for bed, plan in enumerate(self.pending):
            while plan and self.free_at[bed] != BUSY:
                if max(plan[0][0], int(self.free_at[bed])) >= self.t_end:
                    break
                self._block(bed)


def allocate(
    rng: np.random.Generator, stays: Stays, inventory: BedInventory, horizon: Horizon
) -> Allocation:
    """Serve every stay's requests in time order; mutates ``stays.plan`` (extra-bed splits)."""
    return _Hospital(rng, stays, inventory, horizon).run()
