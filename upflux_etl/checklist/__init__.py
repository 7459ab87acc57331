"""The Round 1-3 implementation checklist (PRODUCT.md, "The implementation checklist")."""

from upflux_etl.checklist.config import ItemSpec, Rounds, load_rounds
from upflux_etl.checklist.record import record_checklist
from upflux_etl.checklist.status import ChecklistStatus, ItemStatus, checklist_status

__all__ = [
    "ChecklistStatus",
    "ItemSpec",
    "ItemStatus",
    "Rounds",
    "checklist_status",
    "load_rounds",
    "record_checklist",
]
