"""The Round 1-3 implementation checklist (PRODUCT.md, "The implementation checklist")."""

from upflux_etl.catalog.checklist import ItemSpec, Rounds
from upflux_etl.checklist.record import record_checklist
from upflux_etl.checklist.status import ChecklistStatus, ItemStatus, checklist_status

__all__ = [
    "ChecklistStatus",
    "ItemSpec",
    "ItemStatus",
    "Rounds",
    "checklist_status",
    "record_checklist",
]
