"""The per-hospital DuckDB warehouse: run-scoped builds, typed staging, the quarantine
split and ledger, and atomic publication."""
