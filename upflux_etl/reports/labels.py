"""Portuguese labels and texts shared by the reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from upflux_etl.health.text import num, pct
from upflux_etl.health.trend import TREND_LABELS

LOAD_STATUS = {
    "published": "publicada",
    "failed": "falhou",
    "held": "retida",
    "running": "em execução",
}
LOAD_MODE = {"full": "completa", "incremental": "incremental"}
BANDS = {"green": "verde", "yellow": "amarela", "red": "vermelha"}
TRENDS = TREND_LABELS  # worded once, in upflux_etl.health.trend
ITEM_STATES = {"done": "concluído", "in_progress": "em andamento", "pending": "pendente"}


def dataset_label(name: str, labels: Mapping[str, str]) -> str:
    """A dataset's Portuguese name (canonical.yaml `label`), with its technical name."""
    label = labels.get(name)
    return f"{label} ({name})" if label else name


def check_texts(
    name: str,
    description: str | None,
    fix_hint: str | None,
    declared: tuple[str, str] | None = None,
) -> tuple[str, str]:
    """A check's description and fix hint as stored with its result.

    There is one text per check, written where the check is declared (a suite file, or
    `catalog.checks` for generated checks); `declared` is that text, for results stored
    without one. A neutral default where a check has neither.
    """
    description, fix_hint = (description or "").strip(), (fix_hint or "").strip()
    default_desc, default_fix = declared or ("", "")
    return (
        description or default_desc or name,
        fix_hint or default_fix or "Verificar os registros listados no ERP.",
    )


def local_time(value: datetime | None, zone: ZoneInfo) -> str:
    """`dd/mm/aaaa hh:mm` in the hospital's zone ("—" when unknown)."""
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else "—"


def filters(labels: Mapping[str, str]) -> dict[str, object]:
    """Jinja filters for the templates; `labels`: dataset name -> Portuguese label."""
    return {"num": num, "pct": pct, "dataset": lambda name: dataset_label(name, labels)}
