"""The per-hospital DuckDB warehouse.

Run-scoped builds, typed staging, the quarantine split, atomic publication, and the load's
bookkeeping in `meta/` (the only code that reads or writes the `meta` tables).
"""
