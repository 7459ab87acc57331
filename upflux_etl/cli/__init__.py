"""The `upflux` command line: the same work as the Dagster UI, from a terminal."""

from upflux_etl.cli.main import app

__all__ = ["app"]
