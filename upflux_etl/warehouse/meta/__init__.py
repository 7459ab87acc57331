"""A load's bookkeeping in the warehouse's `meta` tables.

The only code that reads or writes them (their DDL is in `warehouse/schema.py`;
docs/CONTRACTS.md, "The warehouse").

- `loads`: `meta.loads` and `meta.publication`: a load's start, its publication, its header;
- `ledger`: `meta.ledger`, where every extracted row of a dataset went;
- `checks`: `meta.check_results`, one `CheckResult` per check;
- `indicators`: `meta.indicator_values`, the values an indicator's SQL computed;
- `watermarks`: `meta.watermarks`, where the next incremental load starts.
- `source_sessions`: `meta.source_sessions`, every session a load opened on a source;
- `source_columns`: `meta.source_columns`, the source catalog's columns (schema drift).
- `history`: `meta.history`, the published periods of a historical load.
"""
