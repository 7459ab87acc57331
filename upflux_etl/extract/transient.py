"""Which source errors are transient (worth retrying) and which repeat on every attempt.

Transient: a lost or refused connection, a session ended by the server or the DBA, a deadlock
or serialization conflict, a lock or statement timeout, too many connections. Everything else
(an SQL error, a missing table, a refused password) is not retried. Decided by the error's
SQLSTATE or MySQL error number where the driver gives one, by its wording otherwise.
"""

from __future__ import annotations

import re

CONNECTION = "conexão perdida ou recusada"
TERMINATED = "sessão encerrada pelo servidor"
DEADLOCK = "deadlock ou conflito de serialização"
TIMEOUT = "tempo limite excedido"
BUSY = "servidor ocupado"

_SQLSTATES = {
    "08": CONNECTION,  # class 08: connection exception (08S01 ODBC communication link)
    "57P01": TERMINATED,  # admin_shutdown: pg_terminate_backend
    "57P02": TERMINATED,
    "57P03": CONNECTION,  # cannot_connect_now (server starting)
    "40001": DEADLOCK,
    "40P01": DEADLOCK,
    "57014": TIMEOUT,  # query_canceled: statement_timeout
    "55P03": TIMEOUT,  # lock_not_available: lock_timeout
    "53300": BUSY,  # too_many_connections
    "HYT00": TIMEOUT,  # ODBC timeout expired
    "HYT01": TIMEOUT,
}
_MYSQL_ERRNOS = {
    2002: CONNECTION,
    2003: CONNECTION,
    2006: CONNECTION,
    2013: CONNECTION,
    2055: CONNECTION,
    1927: TERMINATED,  # connection was killed
    1053: TERMINATED,  # server shutdown in progress
    1205: TIMEOUT,  # lock wait timeout
    1969: TIMEOUT,  # MariaDB max_statement_time
    3024: TIMEOUT,  # MySQL max_execution_time
    1213: DEADLOCK,
    1040: BUSY,
}
_WORDING = (
    (re.compile(r"terminating connection|server closed the connection", re.I), TERMINATED),
    (
        re.compile(
            r"connection (?:was )?(?:lost|reset|refused|closed)|lost connection|"
            r"server has gone away|could not connect|broken pipe",
            re.I,
        ),
        CONNECTION,
    ),
    (re.compile(r"deadlock|could not serialize", re.I), DEADLOCK),
    (re.compile(r"timeout|timed out|statement timeout", re.I), TIMEOUT),
    (re.compile(r"database is locked", re.I), BUSY),
)
_NOT_TRANSIENT = re.compile(r"password|authentication|access denied|permission denied", re.I)


def transient_reason(exc: BaseException) -> str | None:
    """Why retrying `exc`'s operation may succeed, or None when it would fail the same way."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    if isinstance(orig, BaseException):
        exc = orig
    text = str(exc)
    if _NOT_TRANSIENT.search(text):
        return None
    code = _sqlstate(exc)
    if code:
        found = _SQLSTATES.get(code) or _SQLSTATES.get(code[:2])
        if found:
            return found
    errno = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    if errno in _MYSQL_ERRNOS:
        return _MYSQL_ERRNOS[errno]
    return next((reason for pattern, reason in _WORDING if pattern.search(text)), None)


def _sqlstate(exc: BaseException) -> str | None:
    code = getattr(exc, "sqlstate", None)  # ADBC, psycopg
    if isinstance(code, str) and code:
        return code.upper()
    first = exc.args[0] if exc.args else None  # pyodbc: (sqlstate, message)
    if isinstance(first, str) and re.fullmatch(r"[0-9A-Z]{5}", first):
        return first
    found = re.search(r"SQLSTATE[:= ]+([0-9A-Z]{5})", str(exc))
    return found[1] if found else None
