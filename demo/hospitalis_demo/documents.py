"""Brazilian patient documents: CPF and CNS numbers, generated for many patients at once.

Check digits are valid, or deliberately wrong.
"""

from __future__ import annotations

import numpy as np

_CPF_W1 = np.arange(10, 1, -1)
_CPF_W2 = np.arange(11, 1, -1)
_CNS_W = np.arange(15, 0, -1)


def digits_to_str(digits: np.ndarray) -> np.ndarray:
    """Rows of decimal digits -> array of digit strings (one per row)."""
    width = digits.shape[1]
    raw = np.ascontiguousarray((digits + 48).astype(np.uint8))
    return raw.view(f"S{width}").ravel().astype(f"U{width}")


def _cpf_dv(body: np.ndarray, weights: np.ndarray) -> np.ndarray:
    rest = (body @ weights) * 10 % 11
    return np.where(rest == 10, 0, rest)


def cpf_digits(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` valid CPFs as an ``(n, 11)`` digit array (never all digits equal)."""
    body = rng.integers(0, 10, size=(n, 9))
    same = (body == body[:, :1]).all(axis=1)
    body[same, 8] = (body[same, 8] + 1) % 10
    dv1 = _cpf_dv(body, _CPF_W1)
    dv2 = _cpf_dv(np.column_stack([body, dv1]), _CPF_W2)
    return np.column_stack([body, dv1, dv2])


def invalid_cpf_digits(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` 11-digit CPFs whose second check digit is wrong."""
    valid = cpf_digits(rng, n)
    valid[:, 10] = (valid[:, 10] + rng.integers(1, 10, size=n)) % 10
    return valid


def cns_digits(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` valid CNS numbers as an ``(n, 15)`` digit array.

    Definitive cards (first digit 1 or 2) are derived from an 11-digit PIS root with the
    ministry's rule; provisional cards (7, 8, 9) only need the weighted sum to be a multiple
    of 11. Both pass the usual validation: sum(d_i * (15 - i)) % 11 == 0.
    """
    out = np.zeros((n, 15), dtype=np.int64)
    provisional = rng.random(n) < 0.35
    out[:, 0] = np.where(provisional, rng.choice([7, 8, 9], n), rng.choice([1, 2], n))
    out[:, 1:14] = rng.integers(0, 10, size=(n, 13))
    # Definitive: positions 11-12 are "00"; digit 13 flips to 1 when the PIS check is 10.
    definitive = ~provisional
    out[definitive, 11:13] = 0
    out[definitive, 13] = 0
    for _ in range(20):
        partial = out[:, :14] @ _CNS_W[:14]
        last = (-partial) % 11
        bad = last == 10
        if not bad.any():
            break
        # Bumping digit 13 (weight 2) shifts the needed check digit by 2 (mod 11).
        fix = bad & definitive
        out[fix, 13] = 1
        out[bad & provisional, 13] = (out[bad & provisional, 13] + 1) % 10
    out[:, 14] = (-(out[:, :14] @ _CNS_W[:14])) % 11
    return out


def invalid_cns_digits(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` 15-digit CNS numbers that fail the weighted-sum rule."""
    valid = cns_digits(rng, n)
    valid[:, 14] = (valid[:, 14] + rng.integers(1, 10, size=n)) % 10
    weighted = valid @ _CNS_W
    still_ok = weighted % 11 == 0
    valid[still_ok, 13] = (valid[still_ok, 13] + 1) % 10
    return valid
