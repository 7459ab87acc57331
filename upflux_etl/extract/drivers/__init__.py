"""The drivers that read a source read-only, each yielding Arrow record batches.

- `adbc`: PostgreSQL and SQLite through ADBC (Arrow batches straight from the driver);
- `server_cursor`: the other SQLAlchemy backends (MariaDB/MySQL, SQL Server, Oracle), rows
  streamed with a server-side cursor;
- `odbc`: any database through its ODBC driver, rows read with pyodbc;
- `session`: the statements that make a session read-only, per dialect.
"""
