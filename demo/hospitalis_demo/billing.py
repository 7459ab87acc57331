"""Patient accounts: closed after discharge, sent to the payer, partly denied, then paid.

SUS is billed once a month, health plans within days; denials (glosa) carry a TISS reason and
are sometimes appealed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.rng import lognormal
from hospitalis_demo.timeline import DAY, HOUR, MINUTE, NAT


@dataclass
class Accounts:
    """One account per billable encounter; money in cents, ``NAT``/``-1`` when absent."""

    encounter: np.ndarray
    payer: np.ndarray  # cd_convenio
    closed: np.ndarray
    billed: np.ndarray
    amount: np.ndarray
    denied: np.ndarray
    reason: np.ndarray  # index into codes.GLOSA_REASONS or -1
    appeal: np.ndarray  # APPEAL_STATUS code or ""
    paid: np.ndarray


def _after(t: np.ndarray, delay: np.ndarray, t_end: int) -> np.ndarray:
    """``t + delay`` where ``t`` exists and the result is before the snapshot."""
    out = np.where(t == NAT, NAT, t + delay)
    return np.where((out != NAT) & (out >= t_end), NAT, out)


def _billed_at(rng: np.random.Generator, closed: np.ndarray, kind: np.ndarray, t_end: int):
    """When each payer is sent its accounts.

    SUS sends its production between the 5th and 10th of the next month; plans within days;
    private patients pay at once.
    """
    n = len(closed)
    month = closed.astype("datetime64[s]").astype("datetime64[M]")
    next_month = (month + 1).astype("datetime64[s]").astype(np.int64)
    sus = next_month + rng.integers(4, 10, n) * DAY + rng.integers(9 * HOUR, 17 * HOUR, n)
    plan = closed + (lognormal(rng, 5.0, 0.7, n) * DAY).astype(np.int64)
    delay = np.where(kind == 0, sus - closed, np.where(kind == 1, plan - closed, MINUTE * 5))
    return _after(closed, delay, t_end)


def build(
    rng: np.random.Generator,
    encounter: np.ndarray,
    payer_idx: np.ndarray,
    discharged: np.ndarray,
    cost_median: np.ndarray,
    t_end: int,
) -> Accounts:
    """Accounts of the given encounters (``discharged`` NAT: account still open)."""
    n = len(encounter)
    payer_kind = np.array(
        [("sus", "convenio", "particular").index(p.canonical) for p in codes.PAYERS]
    )[payer_idx]
    sus_factor = np.where(payer_kind == 0, 0.45, 1.0)
    amount = np.round(lognormal(rng, cost_median * sus_factor, 0.35, n) * 100).astype(np.int64)
    close_delay = (
        np.where(
            payer_kind == 2, lognormal(rng, 1.0, 0.5, n) * HOUR, lognormal(rng, 2.0, 0.8, n) * DAY
        ).astype(np.int64)
        + MINUTE
    )
    closed = _after(discharged, close_delay, t_end)
    billed = _billed_at(rng, closed, payer_kind, t_end)
    answer = _after(billed, (lognormal(rng, 35.0, 0.3, n) * DAY).astype(np.int64), t_end)
    p_glosa = np.array([0.12, 0.17, 0.0])[payer_kind]
    glosa = (answer != NAT) & (rng.random(n) < p_glosa)
    denied = np.where(glosa, np.round(amount * rng.beta(1.2, 6.0, n)).astype(np.int64), -1)
    denied = np.where(glosa, np.clip(denied, 1, amount), -1)
    reason = np.where(glosa, rng.choice(len(codes.GLOSA_REASONS), n, p=codes.GLOSA_WEIGHTS), -1)
    appealed = glosa & (rng.random(n) < 0.45)
    decided = _after(answer, (lognormal(rng, 45.0, 0.3, n) * DAY).astype(np.int64), t_end)
    verdict = rng.choice(np.array(["D", "P", "I"]), n, p=[0.35, 0.30, 0.35])
    appeal = np.where(appealed, np.where(decided != NAT, verdict, "A"), "")
    paid_delay = (lognormal(rng, 10.0, 0.4, n) * DAY).astype(np.int64)
    paid = np.where(payer_kind == 2, billed, _after(answer, paid_delay, t_end))
    payer_code = np.array([p.code for p in codes.PAYERS])[payer_idx]
    return Accounts(
        encounter=encounter,
        payer=payer_code,
        closed=closed,
        billed=billed,
        amount=amount,
        denied=denied,
        reason=reason,
        appeal=appeal,
        paid=paid,
    )
