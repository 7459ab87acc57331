"""Errors leave an asset scrubbed of the values a driver or library may have echoed.

Dagster keeps a failed step's error (message and causes) in its event log, which the UI shows
and the instance's storage keeps on disk. Our own errors are built without values (and
`SourceError` scrubs the driver's text when it is built); any other exception escaping an
asset, or hidden in the causes of ours, is scrubbed here by `extract.scrub.scrub_values`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import duckdb

from upflux_etl.extract.scrub import scrub_values

P = ParamSpec("P")
R = TypeVar("R")
_OURS = "upflux_etl."


class ScrubbedError(RuntimeError):
    """A foreign exception whose message could not be rewritten in place, scrubbed."""


def scrubbed_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate an asset function: whatever it raises carries no value a driver echoed.

    A generator function (an asset yielding its results) stays one, scrubbed the same way.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: P.args, **kwargs: P.kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                safe = _scrubbed(exc)
                if safe is exc:
                    raise
                raise safe from None

        return generator

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            safe = _scrubbed(exc)
            if safe is exc:
                raise
            raise safe from None

    return wrapper


def _scrubbed(exc: Exception) -> BaseException:
    """What an asset raises for `exc`: itself when clean, its scrubbed copy, or an interruption."""
    if interrupted(exc):
        # DuckDB turns a Ctrl-C during its query into its own error, which our code may have
        # wrapped: it is the person's interruption, and Dagster stops the run.
        return KeyboardInterrupt()
    return scrub_exception(exc)


# DuckDB 2.0 reports a signal during a query (SIGINT, or SIGTERM turned into KeyboardInterrupt by
# the CLI) as a bare RuntimeError with this text; `con.interrupt()` as InterruptException.
_DUCKDB_SIGNALLED = "Query interrupted"


def interrupted(exc: BaseException) -> bool:
    """Whether `exc` is (or was caused by) a person's interruption of a DuckDB query."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, duckdb.InterruptException) or (
            type(seen) is RuntimeError and str(seen) == _DUCKDB_SIGNALLED
        ):
            return True
        seen = seen.__cause__ or seen.__context__  # `raise ... from None` keeps the context
    return False


def scrub_exception(exc: BaseException) -> BaseException:
    """`exc` with a scrubbed message and causes (rewritten in place where the type allows).

    Returns:
        `exc` itself, or a `ScrubbedError` with its traceback when its text cannot be rewritten.
    """
    _scrub_chain(exc)
    if _is_ours(exc) or _rewrite(exc):
        return exc
    safe = ScrubbedError(f"{type(exc).__name__}: {scrub_values(str(exc))}")
    return safe.with_traceback(exc.__traceback__)


def _scrub_chain(exc: BaseException) -> None:
    # The causes are shown by Dagster too: scrub the ones we can, drop the others.
    for attr in ("__cause__", "__context__"):
        inner = getattr(exc, attr)
        if inner is None:
            continue
        _scrub_chain(inner)
        if not (_is_ours(inner) or _rewrite(inner)):
            setattr(exc, attr, None)


def _is_ours(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(_OURS)


def _rewrite(exc: BaseException) -> bool:
    text = str(exc)
    safe = scrub_values(text)
    if safe == text:
        return True
    try:
        exc.args = (safe,)
    except (AttributeError, TypeError):
        return False
    return str(exc) == safe
