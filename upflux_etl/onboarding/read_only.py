"""Proving that a source session, and the account behind it, cannot write: without writing.

The session setting (`default_transaction_read_only`, `transaction_read_only`) is ours and a
statement could undo it; the proof is the account's privileges read from the catalog.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from upflux_etl.extract.errors import SourceError
from upflux_etl.extract.probe import Probe

# MariaDB/MySQL privileges that cannot change data or structure.
_MYSQL_HARMLESS = {
    "SELECT",
    "SHOW VIEW",
    "USAGE",
    "SHOW DATABASES",
    "PROCESS",
    "REPLICATION CLIENT",
    "BINLOG MONITOR",
    "SLAVE MONITOR",
    "REPLICA MONITOR",
    "CREATE TEMPORARY TABLES",  # session-private tables; the ERP's data is untouched
    "LOCK TABLES",
}
_SAMPLE = 5


@dataclass(frozen=True)
class ReadOnlyProof:
    """Whether the access is read-only, and how that was established.

    Attributes:
        value: True (proven), False (the account can write), None (cannot be proven here).
        how: what was read to decide, in plain words.
        session: the session's own read-only setting (None when the database has none).
        account_can_write: what the account could write (a sample), empty when nothing.
    """

    value: bool | None
    how: str
    session: bool | None = None
    account_can_write: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The proof as JSON-ready values."""
        return asdict(self)


def prove_read_only(probe: Probe) -> ReadOnlyProof:
    """The read-only proof for the probe's database family."""
    if probe.dialect == "postgres":
        return _postgres(probe)
    if probe.dialect == "mysql":
        return _mysql(probe)
    if probe.dialect == "sqlite":
        return ReadOnlyProof(
            True,
            "SQLite file opened with mode=ro: SQLite refuses every write of this session. "
            "SQLite has no accounts or grants, so nothing here proves that other programs "
            "with access to the file cannot write to it: that rests on the file's permissions.",
            session=True,
        )
    return ReadOnlyProof(
        None,
        f"not proven for a {probe.dialect} source by this version: give the account only the "
        "SELECT grants of docs/ONBOARDING.md and have the DBA confirm them",
    )


_PG_ROLE = """
select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
from pg_roles where rolname = current_user
"""
_PG_TABLES = """
select n.nspname || '.' || c.relname
from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'v', 'm', 'f')
  and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%%'
  and has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
order by 1
"""
_PG_SCHEMAS = """
select nspname from pg_namespace
where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg_%%'
  and has_schema_privilege(oid, 'CREATE')
order by 1
"""


def _postgres(probe: Probe) -> ReadOnlyProof:
    session = probe.rows(
        "select current_setting('default_transaction_read_only'), "
        "current_setting('transaction_read_only')"
    )[0]
    session_ro = session[0] == "on" and session[1] == "on"
    role = probe.rows(_PG_ROLE)
    names = ("superuser", "createrole", "createdb", "replication", "bypassrls")
    writes = [
        f"role attribute {n}" for n, v in zip(names, role[0] if role else (), strict=False) if v
    ]
    tables = [r[0] for r in probe.rows(_PG_TABLES)]
    if tables:
        writes.append(
            f"INSERT/UPDATE/DELETE/TRUNCATE on {len(tables)} table(s): "
            + ", ".join(tables[:_SAMPLE])
            + (" ..." if len(tables) > _SAMPLE else "")
        )
    writes += [f"CREATE on schema {r[0]}" for r in probe.rows(_PG_SCHEMAS)][:_SAMPLE]
    if probe.rows("select has_database_privilege(current_database(), 'CREATE')")[0][0]:
        writes.append("CREATE on the database (new schemas)")
    how = (
        f"session default_transaction_read_only={session[0]}, transaction_read_only={session[1]}; "
        "account privileges from pg_roles, has_table_privilege, has_schema_privilege and "
        "has_database_privilege: "
        + ("no privilege to write" if not writes else "the account can write")
    )
    return ReadOnlyProof(session_ro and not writes, how, session_ro, writes)


_MY_PRIVILEGES = """
select privilege_type, '*.*' from information_schema.user_privileges where grantee = %s
union all
select privilege_type, concat(table_schema, '.*') from information_schema.schema_privileges
where grantee = %s
union all
select privilege_type, concat(table_schema, '.', table_name)
from information_schema.table_privileges where grantee = %s
"""


def _mysql(probe: Probe) -> ReadOnlyProof:
    session_ro = _mysql_session_read_only(probe)
    user, _, host = str(probe.rows("select current_user()")[0][0]).rpartition("@")
    grantee = f"'{user}'@'{host}'"
    rows = probe.rows(_MY_PRIVILEGES, [grantee, grantee, grantee])
    writes = sorted({f"{p} on {on}" for p, on in rows if str(p).upper() not in _MYSQL_HARMLESS})
    how = (
        f"session transaction_read_only={int(bool(session_ro))}; account privileges of "
        f"{grantee} from information_schema (user, schema and table privileges, as SHOW GRANTS "
        "lists them): " + ("no privilege to write" if not writes else "the account can write")
    )
    if not rows:
        how += " (no privilege row found for the account: roles are not read)"
    return ReadOnlyProof(bool(session_ro) and not writes, how, bool(session_ro), writes[:20])


def _mysql_session_read_only(probe: Probe) -> bool:
    for variable in ("@@session.transaction_read_only", "@@session.tx_read_only"):
        try:
            return bool(int(probe.rows(f"select {variable}")[0][0]))
        except SourceError:
            continue  # MariaDB before 11.1 names it tx_read_only; MySQL 8 the other
    return False
