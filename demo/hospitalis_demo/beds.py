"""The bed inventory: regular beds per unit and sector, and extra (corridor) beds.

Extra beds are used at peaks; each bed has its planned maintenance (short) or interdiction
(a room under repair).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.rng import lognormal
from hospitalis_demo.timeline import DAY, HOUR, Horizon, nudge_midnight

# Bed type codes (codes.BED_TYPES) and their shares per unit.
UNIT_BED_TYPES = (
    ((1,), (1.0,)),
    ((2, 3, 5), (0.72, 0.22, 0.06)),
    ((2, 3), (0.6, 0.4)),
    ((2, 5), (0.8, 0.2)),
    ((3, 2), (0.5, 0.5)),
)
LABEL_PREFIX = ("UTI", "3", "5", "2", "6")
EXTRA_UNITS = (1, 4, 2, 3, 1, 0)  # where extra beds go, in order of creation


@dataclass
class BedInventory:
    """Every bed (regular beds first, then extra beds).

    Attributes:
        code: ``cd_leito``.
        unit: Ward unit index.
        sector: ``cd_setor``.
        bed_type: Bed type code.
        extra: Extra (temporary) bed.
        label: Bed name as shown in the ERP.
        maintenance: Per bed, planned ``(start, seconds, status_code)`` blocks, sorted.
    """

    code: np.ndarray
    unit: np.ndarray
    sector: np.ndarray
    bed_type: np.ndarray
    extra: np.ndarray
    label: list[str]
    maintenance: list[list[tuple[int, int, str]]]

    def unit_beds(self) -> np.ndarray:
        """Regular beds per ward unit."""
        return np.bincount(self.unit[~self.extra], minlength=len(codes.WARD_UNITS))


def split_beds(beds: int) -> np.ndarray:
    """Regular beds per ward unit (largest remainder of ``codes.BED_SHARE``)."""
    raw = np.array(codes.BED_SHARE) * beds
    count = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - count), kind="stable")[: beds - count.sum()]:
        count[i] += 1
    return np.maximum(count, 1)


def _labels(unit: int, sector: int, n: int, first_sector: bool) -> list[str]:
    if unit == 0:
        return [f"UTI-{i + 1:02d}" for i in range(n)]
    floor = "4" if (unit == 1 and not first_sector) else LABEL_PREFIX[unit]
    return [f"{floor}{i // 2 + 1:02d}-{'AB'[i % 2]}" for i in range(n)]


def build(rng: np.random.Generator, beds: int, horizon: Horizon) -> BedInventory:
    """The inventory for ``beds`` regular beds (plus ~2 % extra beds)."""
    units, sectors, types, labels = [], [], [], []
    for unit, n in enumerate(split_beds(beds)):
        unit_sectors = codes.WARD_SECTORS[unit]
        parts = np.array_split(np.arange(n), len(unit_sectors))
        for k, (sector, part) in enumerate(zip(unit_sectors, parts, strict=True)):
            choices, p = UNIT_BED_TYPES[unit]
            types += list(rng.choice(choices, size=len(part), p=p))
            units += [unit] * len(part)
            sectors += [sector] * len(part)
            labels += _labels(unit, sector, len(part), k == 0)
    n_extra = max(1, round(beds * 0.025))
    for i in range(n_extra):
        unit = EXTRA_UNITS[i % len(EXTRA_UNITS)]
        units.append(unit)
        sectors.append(codes.WARD_SECTORS[unit][0])
        types.append(2)
        labels.append(f"EXTRA-{codes.WARD_UNITS[unit][:3].upper()}-{i + 1:02d}")
    n_all = len(units)
    extra = np.arange(n_all) >= n_all - n_extra
    unit_arr = np.array(units, dtype=np.int64)
    return BedInventory(
        code=np.arange(1001, 1001 + n_all, dtype=np.int64),
        unit=unit_arr,
        sector=np.array(sectors, dtype=np.int64),
        bed_type=np.array(types, dtype=np.int64),
        extra=extra,
        label=labels,
        maintenance=_maintenance(rng, unit_arr, extra, horizon),
    )


def _maintenance(
    rng: np.random.Generator, unit: np.ndarray, extra: np.ndarray, horizon: Horizon
) -> list[list[tuple[int, int, str]]]:
    """Planned blocks: short maintenances and room interdictions.

    About 0.7 short maintenances per bed-year, and one room (2-6 beds of a ward) interdicted for
    repairs for 10-25 days.
    """
    span = horizon.t_end - horizon.t0
    years = span / (365 * DAY)
    plans: list[list[tuple[int, int, str]]] = [[] for _ in range(len(unit))]
    for bed in np.flatnonzero(~extra):
        for _ in range(rng.poisson(0.7 * years)):
            start = int(nudge_midnight(horizon.t0 + rng.integers(DAY, span)))
            seconds = int(lognormal(rng, 1.5, 0.8) * DAY) + HOUR
            plans[bed].append((start, seconds, "M"))
    ward = int(rng.choice([1, 2]))
    candidates = np.flatnonzero((unit == ward) & ~extra)
    room = candidates[: int(rng.integers(2, 7))] if len(candidates) > 8 else candidates[:0]
    start = int(
        nudge_midnight(horizon.t0 + rng.integers(span // 4, max(span // 4 + 1, 3 * span // 4)))
    )
    seconds = int(rng.integers(10, 26)) * DAY + 7 * HOUR
    for bed in room:
        plans[bed].append((start, seconds, "I"))
    return [sorted(plan) for plan in plans]
