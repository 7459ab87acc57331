"""Brazilian identifiers: CPF and CNS check digits."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D")


def digits(value: str) -> str:
    """The digits of a value typed with or without punctuation ("123.456.789-09")."""
    return _NON_DIGITS.sub("", value)


def cpf_check_digits(first9: str) -> str:
    """The two check digits of a CPF's first nine digits."""
    nums = [int(c) for c in first9]
    for weight_start in (10, 11):
        total = sum(n * w for n, w in zip(nums, range(weight_start, 1, -1), strict=False))
        rest = (total * 10) % 11
        nums.append(0 if rest == 10 else rest)
    return f"{nums[-2]}{nums[-1]}"


def cpf_is_valid(value: str) -> bool:
    """True for an 11-digit CPF whose check digits match (repeated digits are invalid)."""
    d = digits(value)
    if len(d) != 11 or d == d[0] * 11:
        return False
    return d[9:] == cpf_check_digits(d[:9])


def cns_is_valid(value: str) -> bool:
    """True for a 15-digit CNS (Cartao Nacional de Saude) passing the mod-11 rule.

    Definitive numbers start with 1 or 2, provisional ones with 7, 8 or 9; both satisfy
    sum(digit_i * (15 - i)) % 11 == 0.
    """
    d = digits(value)
    if len(d) != 15 or d[0] not in "12789":
        return False
    return sum(int(c) * (15 - i) for i, c in enumerate(d)) % 11 == 0
