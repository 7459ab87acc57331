"""The Jinja environment of the reports: autoescaped HTML, templates from this package."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from upflux_etl.reports.labels import filters

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(template: str, labels: Mapping[str, str] | None = None, **context: Any) -> str:
    """Render one template of `upflux_etl/reports/templates` (a fresh environment per call).

    Args:
        template: the template's file name.
        labels: dataset name -> Portuguese label (canonical.yaml), for the `dataset` filter.
        **context: the template's variables.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(filters(labels or {}))
    return env.get_template(template).render(**context)
