"""Extraction: read-only source sessions, query translation, and the in-memory stream.

In the stream, clear identifiers are checked and pseudonymised before anything reaches disk.

- `source`: `open_batches`, the one way in (picks the driver, wraps failures);
- `drivers/`: ADBC, SQLAlchemy server-side cursor, ODBC, and the read-only session statements;
- `urls`: source URLs and their secrets, and the SQL dialect a URL speaks;
- `arrow_batches`: driver rows and batches as bounded Arrow record batches;
- `sql`: query translation (sqlglot); `identifiers`, `pii`: CPF/CNS and pseudonymisation;
- `errors`: `SourceError`.

Dependencies point one way: source -> drivers -> (urls, arrow_batches) -> errors.
"""
