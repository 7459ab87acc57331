"""Portuguese labels and texts shared by the reports."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from upflux_etl.health.text import num, pct

DATASETS = {
    "patients": "Pacientes",
    "encounters": "Atendimentos",
    "er_visits": "Chegadas ao pronto-socorro",
    "bed_movements": "Movimentações de leito",
    "beds": "Leitos",
    "exams": "Exames",
    "surgeries": "Cirurgias",
    "surgery_rooms": "Salas cirúrgicas",
    "billing": "Contas (faturamento)",
    "platform_usage": "Uso da plataforma",
}
LOAD_STATUS = {
    "published": "publicada",
    "failed": "falhou",
    "held": "retida",
    "running": "em execução",
}
LOAD_MODE = {"full": "completa", "incremental": "incremental"}
BANDS = {"green": "verde", "yellow": "amarela", "red": "vermelha"}
TRENDS = {"up": "subindo", "down": "caindo", "flat": "estável", None: "sem histórico"}
ITEM_STATES = {"done": "concluído", "in_progress": "em andamento", "pending": "pendente"}

# Generated checks (docs/CONTRACTS.md) carry no text of their own: <column>_<suffix>.
GENERATED = {
    "_not_null": ("Campo obrigatório {col} vazio.", "Preencher {col} no registro do ERP."),
    "_mapped": (
        "Código de {col} sem correspondência no mapeamento do hospital.",
        "Informar à equipe UpFlux o significado do código, ou corrigi-lo no ERP.",
    ),
    "_check_digits": (
        "Dígitos verificadores de {col} inválidos.",
        "Conferir o documento no cadastro do paciente e corrigir no ERP.",
    ),
    "_parseable": (
        "Valor de {col} que não pôde ser interpretado (data, número ou hora inválida).",
        "Corrigir o formato do valor de {col} no ERP.",
    ),
}


def dataset_label(name: str) -> str:
    """A dataset's Portuguese name, with its technical name when they differ."""
    label = DATASETS.get(name)
    return f"{label} ({name})" if label else name


def check_texts(name: str, description: str | None, fix_hint: str | None) -> tuple[str, str]:
    """A check's description and fix hint; generated checks get default Portuguese texts."""
    description, fix_hint = (description or "").strip(), (fix_hint or "").strip()
    for suffix, (default_desc, default_fix) in GENERATED.items():
        if name.endswith(suffix):
            col = name[: -len(suffix)]
            description = description or default_desc.format(col=col)
            fix_hint = fix_hint or default_fix.format(col=col)
    return description or name, fix_hint or "Verificar os registros listados no ERP."


def local_time(value: datetime | None, zone: ZoneInfo) -> str:
    """`dd/mm/aaaa hh:mm` in the hospital's zone ("—" when unknown)."""
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else "—"


def filters() -> dict[str, object]:
    """Jinja filters for the templates."""
    return {"num": num, "pct": pct, "dataset": dataset_label}
