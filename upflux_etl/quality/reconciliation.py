"""The reconciliation check: the source's total against what the warehouse holds.

One dataset-level, non-blocking check per dataset and load, `source_reconciled`, in the same
`CheckOutcome` shape as the suite's checks, so the report, `upflux status`, the run record and
Dagster read it like any other. Its description carries both numbers.
"""

from __future__ import annotations

from upflux_etl.quality.outcome import DATASET, CheckOutcome, SuiteOutcome
from upflux_etl.warehouse.meta.reconciliation import Reconciliation

RECONCILIATION_CHECK = "source_reconciled"
DESCRIPTION = "Total de linhas na origem igual ao que o warehouse guarda"
FIX_HINT = (
    "Linhas a mais na origem: registros inseridos ou alterados sem atualizar a data de "
    "atualização (rode uma carga completa, --full, e corrija o ERP). Linhas a mais no "
    "warehouse: registros apagados na origem (a comparação de chaves os remove; veja "
    "deletes.every no arquivo do cliente)."
)


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def describe(figures: Reconciliation) -> str:
    """Both numbers, in Portuguese: the source's and the warehouse's, with the parts of each."""
    if figures.source_count is None:
        return f"{DESCRIPTION}: a contagem na origem falhou."
    source = f"origem {_n(figures.source_count)}"
    if figures.source_excluded:
        source += f" (menos {_n(figures.source_excluded)} de pacientes excluídos)"
    parts = (
        f"publicadas {_n(figures.published)} + quarentena {_n(figures.quarantine_open)} + "
        f"retidas {_n(figures.held)}"
    )
    if figures.superseded:
        parts += f" - {_n(figures.superseded)} versões substituídas"
    return f"{DESCRIPTION}: {source}; warehouse {_n(figures.warehouse_count)} ({parts})."


def reconciliation_outcome(figures: Reconciliation, dataset: str) -> CheckOutcome:
    """The `source_reconciled` check of one dataset (failing_count: the difference)."""
    expected = figures.expected
    return CheckOutcome(
        name=RECONCILIATION_CHECK,
        dataset=dataset,
        level=DATASET,
        blocking=False,
        passed=figures.matched and figures.error is None,
        failing_count=abs(expected - figures.warehouse_count) if expected is not None else 0,
        element_count=expected or 0,
        failing_row_ids=(),
        description=describe(figures),
        fix_hint=FIX_HINT,
        expectation_type="upflux_source_reconciliation",
        error=figures.error,
        # What the warehouse holds, against the source's total (what it should hold).
        observed=float(figures.warehouse_count),
        expected=f"= {expected} (origem)" if expected is not None else None,
    )


def with_check(outcome: SuiteOutcome, check: CheckOutcome) -> SuiteOutcome:
    """The suite's outcome with one more check (replacing one of the same name)."""
    kept = tuple(c for c in outcome.checks if c.name != check.name)
    return SuiteOutcome(outcome.dataset, (*kept, check))
