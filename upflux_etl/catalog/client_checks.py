"""A client's checks: the catalog's, with the client's code systems and check settings applied.

Per-client settings (`checks:` in the client file) change a threshold or switch a check off,
each with a reason the quality report shows. A switched-off check is not run and is not an
asset check of that client. Code systems pick the variant of the code-format checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from upflux_etl.catalog.models import ClientSpec, ExpectationSpec

if TYPE_CHECKING:
    from upflux_etl.catalog.reader import Catalog

# check name -> (code-system field, system -> kwargs/texts replacing the suite's; None: not run).
CODE_SYSTEM_CHECKS: dict[str, tuple[str, dict[str, dict[str, Any] | None]]] = {
    "cid10_format": (
        "diagnosis",
        {
            "cid10": {},
            "icd10cm": {
                "kwargs": {"regex": r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$"},
                "description": (
                    "Código ICD-10-CM fora do formato esperado (letra, dois caracteres e "
                    "subcategoria opcional de até quatro, ex.: E11.65)"
                ),
                "fix_hint": "Corrigir o código de diagnóstico (ICD-10-CM) do atendimento no ERP.",
            },
        },
    ),
    "exam_code_tuss_format": ("procedure", {"tuss": {}, "local": None}),
}


@dataclass(frozen=True)
class AppliedSetting:
    """One check setting of a client, as the report lists it."""

    dataset: str
    check: str
    change: str
    reason: str


def client_checks(client: ClientSpec, catalog: Catalog, dataset: str) -> list[ExpectationSpec]:
    """The checks `client` runs on `dataset`, in the catalog's order."""
    settings = client.checks.get(dataset, {})
    out = []
    for exp in catalog.checks[dataset]:
        variant = _code_system_variant(client, exp)
        setting = settings.get(exp.name)
        if variant is None or (setting is not None and not setting.enabled):
            continue
        if setting is not None:
            variant = variant.model_copy(
                update={"kwargs": {**variant.kwargs, **setting.thresholds()}}
            )
        out.append(variant)
    return out


def applied_settings(client: ClientSpec) -> list[AppliedSetting]:
    """Every check setting of the client file, in file order, worded for the report."""
    out = []
    for dataset, settings in client.checks.items():
        for name, setting in settings.items():
            if not setting.enabled:
                change = "desligada"
            else:
                change = ", ".join(f"{k} = {v}" for k, v in setting.thresholds().items())
            out.append(AppliedSetting(dataset, name, change, setting.reason))
    return out


def _code_system_variant(client: ClientSpec, exp: ExpectationSpec) -> ExpectationSpec | None:
    if exp.name not in CODE_SYSTEM_CHECKS:
        return exp
    field_name, variants = CODE_SYSTEM_CHECKS[exp.name]
    change = variants.get(getattr(client.code_systems, field_name), {})
    if change is None:
        return None
    update: dict[str, Any] = {k: v for k, v in change.items() if k != "kwargs"}
    if "kwargs" in change:
        update["kwargs"] = {**exp.kwargs, **change["kwargs"]}
    return exp.model_copy(update=update) if update else exp
