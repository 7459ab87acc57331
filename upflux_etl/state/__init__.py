"""The cross-hospital state store (docs/CONTRACTS.md, "The state store")."""

from upflux_etl.state.records import ActionRecord, ChecklistEvent, HealthRecord, RunRecord
from upflux_etl.state.store import StateStore

__all__ = ["ActionRecord", "ChecklistEvent", "HealthRecord", "RunRecord", "StateStore"]
