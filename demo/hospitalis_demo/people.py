"""The patient registry: every patient the hospital registers.

Each with documents, age, sex, city and usual payer. Patients are referred to by their
registration index until the tables are built; ``cd_paciente`` numbers follow registration
time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pyarrow as pa

from hospitalis_demo import codes
from hospitalis_demo.documents import cns_digits, cpf_digits, digits_to_str
from hospitalis_demo.timeline import DAY

UNKNOWN_BIRTH = -(10**9)

# Age profiles (years): (child share, adult share, elderly share) for new patients.
AGE_PROFILES = MappingProxyType(
    {
        "er": (0.22, 0.60, 0.18),
        "clinic": (0.14, 0.60, 0.26),
        "lab": (0.10, 0.62, 0.28),
        "adult": (0.0, 0.62, 0.38),
        "child": (1.0, 0.0, 0.0),
    }
)

CITIES = (
    (3509502, "CAMPINAS", "SP", 0.52),
    (3552403, "SUMARE", "SP", 0.09),
    (3519071, "HORTOLANDIA", "SP", 0.07),
    (3556206, "VALINHOS", "SP", 0.05),
    (3536505, "PAULINIA", "SP", 0.04),
    (3501608, "AMERICANA", "SP", 0.04),
    (3520509, "INDAIATUBA", "SP", 0.04),
    (3556701, "VINHEDO", "SP", 0.03),
    (3525904, "JUNDIAI", "SP", 0.03),
    (3550308, "SAO PAULO", "SP", 0.03),
    (3538709, "PIRACICABA", "SP", 0.02),
    (3106200, "BELO HORIZONTE", "MG", 0.015),
    (4106902, "CURITIBA", "PR", 0.01),
    (3304557, "RIO DE JANEIRO", "RJ", 0.005),
)


@dataclass
class PatientRegistry:
    """Patients in registration order, grown batch by batch.

    Attributes:
        registered: Registration time of each patient.
        birth_day: Birth date as days since 1970-01-01 (``UNKNOWN_BIRTH`` when unknown).
        sex: 0 male, 1 female, 2 ignored.
        kind: 0 regular, 1 newborn, 2 foreigner, 3 unidentified emergency.
        payer: Index into ``codes.PAYERS`` of the patient's usual payer.
    """

    registered: list[np.ndarray] = field(default_factory=list)
    birth_day: list[np.ndarray] = field(default_factory=list)
    sex: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    payer: list[np.ndarray] = field(default_factory=list)
    size: int = 0

    def add(
        self,
        rng: np.random.Generator,
        when: np.ndarray,
        profile: str | np.ndarray,
        female: bool = False,
    ) -> np.ndarray:
        """Register new patients.

        Args:
            rng: Random stream.
            when: Registration time of each new patient.
            profile: Key of ``AGE_PROFILES``, ``"maternity"`` or ``"newborn"``; one for all
                or one per patient.
            female: Force sex F (maternity).

        Returns:
            The new patients' registration indices.
        """
        when = np.asarray(when, dtype=np.int64)
        n = len(when)
        profiles = np.broadcast_to(np.asarray(profile, dtype=object), (n,))
        age_days = np.zeros(n)
        for name in sorted(set(profiles.tolist())):
            rows = profiles == name
            age_days[rows] = _ages(rng, name, int(rows.sum())) * 365.25
        roll = rng.random(n)
        kind = np.where(roll < 0.006, 2, 0).astype(np.int8)
        kind[(roll > 0.996) & (profiles == "er")] = 3
        kind[profiles == "newborn"] = 1
        sex = np.where(rng.random(n) < 0.52, 1, 0).astype(np.int8)
        if female:
            sex[:] = 1
        sex[kind == 3] = 2
        birth = (when // DAY - age_days).astype(np.int64)
        birth[kind == 3] = UNKNOWN_BIRTH
        weights = np.array([p.weight for p in codes.PAYERS])
        payer = rng.choice(len(codes.PAYERS), size=n, p=weights / weights.sum())
        for store, values in (
            (self.registered, when),
            (self.birth_day, birth),
            (self.sex, sex),
            (self.kind, kind),
            (self.payer, payer.astype(np.int16)),
        ):
            store.append(values)
        ids = np.arange(self.size, self.size + n, dtype=np.int64)
        self.size += n
        return ids

    def column(self, name: str) -> np.ndarray:
        """One attribute for all patients, concatenated."""
        parts = getattr(self, name)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _ages(rng: np.random.Generator, profile: str, n: int) -> np.ndarray:
    """Ages in years for a profile."""
    if profile == "newborn":
        return np.zeros(n)
    if profile == "maternity":
        return np.clip(rng.normal(28, 6, n), 15, 46)
    child, adult, _ = AGE_PROFILES[profile]
    roll = rng.random(n)
    ages = np.where(
        roll < child,
        rng.gamma(1.3, 3.5, n).clip(0, 13.9),
        np.where(roll < child + adult, rng.uniform(14, 65, n), 65 + rng.gamma(2.0, 6.0, n)),
    )
    return np.clip(ages, 0, 102)


def documents(
    rng: np.random.Generator, birth_day: np.ndarray, kind: np.ndarray, reference_day: int
) -> tuple[pa.Array, pa.Array]:
    """CPF and CNS strings for patients (null where the patient has none).

    Newborns, foreigners and unidentified emergency patients have no CPF; children have one
    less often; about one patient in six has no CNS on file.
    """
    n = len(kind)
    age = (reference_day - birth_day) / 365.25
    p_cpf = np.where(age < 14, 0.75, 0.985)
    has_cpf = (rng.random(n) < p_cpf) & (kind == 0)
    has_cns = (rng.random(n) < np.where(kind == 1, 0.3, 0.83)) & (kind != 3) & (kind != 2)
    cpf = pa.array(digits_to_str(cpf_digits(rng, n)), pa.string(), mask=~has_cpf)
    cns = pa.array(digits_to_str(cns_digits(rng, n)), pa.string(), mask=~has_cns)
    return cpf, cns
