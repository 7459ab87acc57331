"""Assets that read the published warehouse: quality report, health score, checklist."""

from __future__ import annotations


def downstream_assets(client, catalog, settings, warehouse_key) -> list:
    return []
