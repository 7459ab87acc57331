"""Onboarding a hospital's source: `upflux connect-test` and `upflux discover`.

- `read_only`: proving a session and its account cannot write, without writing;
- `column_types`: a driver's column types in the canonical model's terms;
- `connect_test`: each source reached, proven read-only, each dataset's query checked;
- `records`: connect-test results kept for the checklist (Round 1 evidence);
- `discover`: a profile of an unseen source's tables for writing queries and mappings.
"""
