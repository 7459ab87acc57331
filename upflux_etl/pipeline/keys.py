"""Key continuity: a load uses the key its warehouse's pseudonyms were made with.

Checked on the build (a copy of the published warehouse) before anything is extracted. A
changed key would give every patient a new pseudonym and break every join across loads: it
is refused, unless the load is an explicit rotation (`upflux run CLIENT --full --rotate-key`),
which starts the build's datasets from nothing and re-pseudonymises all of them. A key another
hospital's warehouse already uses is refused unless both client files declare the sharing.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from upflux_etl.catalog.models import slugify
from upflux_etl.catalog.reader import read_clients
from upflux_etl.extract.pii import key_fingerprint
from upflux_etl.pipeline.context import LoadConfigError, LoadContext
from upflux_etl.warehouse.files import WarehouseFiles
from upflux_etl.warehouse.meta.keys import (
    published_key_fingerprint,
    read_key_fingerprint,
    record_key_fingerprint,
)
from upflux_etl.warehouse.rekey import drop_dataset_tables


class KeyContinuityError(LoadConfigError):
    """The load's key is not the warehouse's, or is another hospital's, without saying so."""


def ensure_key_continuity(ctx: LoadContext, con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a changed or shared key before extraction; record the key of a new warehouse.

    Raises:
        KeyContinuityError: the key changed without `--full --rotate-key`, a rotation was asked
            without `--full`, or another hospital uses the same key without both declaring it.
        LoadConfigError: the key variable is unset or too short.
    """
    env = ctx.client.pseudonymisation.key_env
    where = f"{ctx.client.file}: pseudonymisation.key_env"
    if ctx.rotate_key and not ctx.full:
        raise KeyContinuityError(
            f"{where}: a key rotation re-pseudonymises every record, so it is a full reload: "
            f"run `upflux run {ctx.client.slug} --full --rotate-key`"
        )
    fingerprint = key_fingerprint(ctx.pseudonym_key())
    stored = read_key_fingerprint(con)
    if stored == fingerprint:
        return
    if stored is not None and not ctx.rotate_key:
        raise KeyContinuityError(
            f"{where}: the key in {env} is not the key this hospital's warehouse was "
            f"pseudonymised with (key fingerprint {fingerprint[:8]}, warehouse {stored[:8]}); "
            "a new key would give every patient a new pseudonym. Nothing was extracted. "
            f"Restore the hospital's key in {env} from its backup, or rotate it on purpose "
            f"with `upflux run {ctx.client.slug} --full --rotate-key` (docs/OPERATIONS.md)"
        )
    _refuse_undeclared_sharing(ctx, fingerprint)
    if stored is not None:
        drop_dataset_tables(con, ctx.catalog.canonical.datasets)
    record_key_fingerprint(
        con, fingerprint, key_env=env, load_id=ctx.run_id, at=dt.datetime.now(dt.UTC)
    )


def _refuse_undeclared_sharing(ctx: LoadContext, fingerprint: str) -> None:
    data_dir = ctx.settings.data_dir
    if not data_dir.is_dir():
        return
    others = {
        folder.name
        for folder in data_dir.iterdir()
        if folder.name != ctx.client.slug
        and published_key_fingerprint(WarehouseFiles(folder).published) == fingerprint
    }
    if not others:
        return
    clients = {c.slug: c for c in read_clients(ctx.settings, ctx.catalog).clients}
    ours = {slugify(s) for s in ctx.client.pseudonymisation.shared_with}
    for slug in sorted(others):
        theirs = clients.get(slug)
        declared = theirs is not None and ctx.client.slug in {
            slugify(s) for s in theirs.pseudonymisation.shared_with
        }
        if slug not in ours or not declared:
            raise KeyContinuityError(
                f"{ctx.client.file}: pseudonymisation.key_env: the key in "
                f"{ctx.client.pseudonymisation.key_env} is the key of hospital {slug}'s "
                "warehouse: the two hospitals' pseudonyms would link. Nothing was extracted. "
                "Give this hospital its own key, or declare the sharing in both client files "
                "(pseudonymisation.shared_with)"
            )
