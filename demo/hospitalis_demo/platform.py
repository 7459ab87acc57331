"""The UpFlux platform's own usage log for this hospital.

Users join at go-live and at each training, dashboards are used far more than reference
models, weekdays more than weekends, and each training gives a boost that fades.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospitalis_demo.timeline import DAY, HOUR, Horizon, weekday

# (module_id, slug, title, daily use probability of an engaged user, actions per login)
MODULES = (
    (1, "dashboards", "Dashboards", 0.55, 9.0),
    (2, "process-maps", "Mapas de processo", 0.16, 6.0),
    (3, "reference-models", "Modelos de referência", 0.05, 4.0),
    (4, "reports", "Relatórios", 0.28, 3.0),
    (5, "admin", "Administração", 0.04, 5.0),
)
ROLES = ("admin", "gestor", "analista", "analista", "visualizador", "visualizador")
FIRST_NAMES = (
    "ana",
    "bruno",
    "carla",
    "diego",
    "elisa",
    "fabio",
    "gabriela",
    "henrique",
    "isabela",
    "joao",
    "karina",
    "lucas",
    "mariana",
    "nelson",
    "olivia",
    "paulo",
    "renata",
    "sergio",
    "tatiana",
    "vinicius",
    "wagner",
    "yasmin",
)
LAST_NAMES = ("silva", "souza", "oliveira", "santos", "lima", "costa", "pereira", "almeida")


@dataclass
class PlatformData:
    """The platform's tables as column arrays."""

    users: dict[str, np.ndarray]
    usage: dict[str, np.ndarray]
    trainings: list[int]


def _users(rng: np.random.Generator, trainings: list[int]):
    n = int(rng.integers(14, 23))
    joined = np.where(
        np.arange(n) < 3,
        trainings[0] - 14 * DAY,
        np.array(trainings)[rng.integers(0, len(trainings), n)],
    )
    joined = joined + rng.integers(8 * HOUR, 18 * HOUR, n)
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    email = np.array(
        [
            f"{f}.{s}{i}@saolucas.example.org"
            for i, (f, s) in enumerate(zip(first, last, strict=True))
        ],
        dtype=object,
    )
    names = np.array(
        [f"{f.title()} {s.title()}" for f, s in zip(first, last, strict=True)], dtype=object
    )
    role = np.array(
        [ROLES[0] if i < 2 else ROLES[int(rng.integers(1, len(ROLES)))] for i in range(n)],
        dtype=object,
    )
    return {
        "user_id": np.arange(501, 501 + n, dtype=np.int64),
        "email": email,
        "display_name": names,
        "role": role,
        "created_at": joined,
        "updated_at": joined + rng.integers(60, 3600, n),
    }


def simulate(rng: np.random.Generator, horizon: Horizon) -> PlatformData:
    """Users and their daily module use over the horizon."""
    span = horizon.t_end - horizon.t0
    trainings = [horizon.t0 + int(span * f) // DAY * DAY for f in (0.18, 0.28, 0.38)]
    users = _users(rng, trainings)
    n_users, n_days = len(users["user_id"]), horizon.n_days
    day_t = horizon.t0 + np.arange(n_days, dtype=np.int64) * DAY
    boost = np.ones(n_days)
    for t in trainings:
        after = (day_t - t) / DAY
        boost += np.where(after >= 0, 0.9 * np.exp(-after / 21.0), 0.0)
    growth = 0.6 + 0.4 * np.clip((day_t - trainings[0]) / (span * 0.6), 0, 1)
    week = np.where(weekday(day_t) < 5, 1.0, 0.12)
    engagement = rng.beta(2.0, 2.5, n_users) * np.where(users["role"] == "admin", 1.6, 1.0)
    rows = []
    for module_id, _slug, _title, p_use, per_login in MODULES:
        p = engagement[:, None] * p_use * (boost * growth * week)[None, :]
        active = rng.random((n_users, n_days)) < np.clip(p, 0, 0.97)
        active &= day_t[None, :] >= (users["created_at"][:, None] // DAY * DAY)
        u, d = np.nonzero(active)
        logins = 1 + rng.poisson(0.5, len(u))
        actions = rng.poisson(logins * per_login) + 1
        rows.append((u, d, np.full(len(u), module_id), logins, actions))
    u, d, m, logins, actions = (np.concatenate(c) for c in zip(*rows, strict=True))
    order = np.lexsort((m, u, d))
    day = day_t[d[order]]
    usage = {
        "user_id": users["user_id"][u[order]],
        "module_id": m[order],
        "usage_day": day,
        "session_count": logins[order],
        "action_count": actions[order],
        "updated_at": day + DAY + rng.integers(HOUR, 3 * HOUR, len(order)),
    }
    usage["updated_at"] = np.minimum(usage["updated_at"], horizon.t_end - 1)
    return PlatformData(users=users, usage=usage, trainings=trainings)
