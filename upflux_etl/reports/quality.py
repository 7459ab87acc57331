"""The quality report of one load, for hospital IT: one self-contained Portuguese HTML file."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from markupsafe import Markup

from upflux_etl.catalog.client_checks import applied_settings
from upflux_etl.catalog.models import CanonicalModel, ClientSpec, IndicatorSpec
from upflux_etl.indicators.completeness import IndicatorCompleteness, completeness
from upflux_etl.reports.charts import sparkline, trend_points
from upflux_etl.reports.files import ID_PLACEHOLDER, seal, write_atomic
from upflux_etl.reports.labels import LOAD_MODE, LOAD_STATUS, local_time
from upflux_etl.reports.process_map import Activity, Edge, process_map
from upflux_etl.reports.quality_data import CheckRow, DatasetSection, read_sections
from upflux_etl.reports.quarantine_csv import quarantine_csv
from upflux_etl.reports.quarantine_data import QuarantineSummary, read_quarantine_summary
from upflux_etl.reports.render import render
from upflux_etl.warehouse.meta.indicators import read_indicator_coverage, read_indicator_values
from upflux_etl.warehouse.meta.loads import LoadHeader, read_header
from upflux_etl.warehouse.meta.reconciliation import Reconciliation, read_reconciliation
from upflux_etl.warehouse.meta.source_sessions import read_dba_view, read_retries

DEFAULT_CAP = 50


@dataclass(frozen=True)
class ReportInfo:
    """A written report.

    Attributes:
        path: where it was written.
        sha256: the report's id: the SHA-256 of the file with the id written as 64 zeros
            (`upflux_etl.reports.report_id` checks it); hospital IT signs off against it.
        failing_checks: checks that failed on the load; failing_records: their failing counts.
        quarantine_csv: every record open in quarantine, for hospital IT (beside the report).
        quarantine_open: how many records are open in quarantine now.
    """

    path: Path
    sha256: str
    client: str
    load_id: str
    generated_at: datetime
    failing_checks: int
    failing_records: int
    quarantine_csv: Path | None = None
    quarantine_open: int = 0


def render_quality_report(
    con: duckdb.DuckDBPyConnection,
    client: ClientSpec,
    load_id: str,
    out_path: Path,
    *,
    canonical: CanonicalModel | None = None,
    cap: int = DEFAULT_CAP,
    now: datetime | None = None,
    indicators: dict[str, IndicatorSpec] | None = None,
    mining: dict | None = None,
) -> ReportInfo:
    """Write the quality report of `load_id` to `out_path` (atomically) and return its id.

    Args:
        con: the hospital's warehouse.
        client: the hospital.
        load_id: the load reported on.
        out_path: the HTML file to write.
        canonical: the canonical model, to list failing records by primary key (without it,
            by the `*_id` columns); pseudonyms and CPF/CNS hashes are never listed.
        cap: failing records listed per check (the total is always given).
        now: the generation instant (default: the clock).
        indicators: the catalog's indicators; with them, the report shows whether each of the
            client's indicators was computed per month, and its coverage.
        mining: the load's process-mining summary (`pipeline/mining.py`): the process map,
            variants and conformance.
    """
    header = read_header(con, load_id)
    sections = read_sections(con, load_id, canonical, cap)
    generated_at = now or datetime.now(UTC)
    failing = [c for s in sections for c in s.checks if not c.check.passed]
    labels = {name: d.label for name, d in canonical.datasets.items()} if canonical else {}
    descriptions = {(s.name, c.check.name): c.description for s in sections for c in s.checks}
    quarantine = read_quarantine_summary(con, client, load_id, canonical, descriptions)
    csv_text = quarantine_csv(quarantine.new + quarantine.still_open)
    csv_path = out_path.with_name(f"{out_path.stem}-quarentena.csv")
    write_atomic(csv_path, csv_text)
    computed, trends = [], {}
    if indicators is not None:
        values = read_indicator_values(con, load_id)
        computed = completeness(
            client.indicators, indicators, values, read_indicator_coverage(con, load_id)
        )
        trends = {name: sparkline(trend_points(values, name)) for name in client.indicators}
    content = ReportContent(
        header=header,
        sections=sections,
        failing=failing,
        indicators=computed,
        trends=trends,
        mining=mining,
        reconciliation=list(read_reconciliation(con, load_id).values()),
    )
    html = (
        _render(client, content, generated_at, cap, labels)
        .replace(DBA_PLACEHOLDER, _dba_section(con, load_id))
        .replace(
            _QUARANTINE_SLOT, _quarantine_html(quarantine, csv_path.name, csv_text, cap, labels)
        )
    )
    sealed, report_id = seal(html)
    write_atomic(out_path, sealed)
    return ReportInfo(
        path=out_path,
        sha256=report_id,
        client=client.slug,
        load_id=load_id,
        generated_at=generated_at,
        failing_checks=len(failing),
        failing_records=sum(c.check.failing_count for c in failing),
        quarantine_csv=csv_path,
        quarantine_open=quarantine.open_total,
    )


# The template leaves this slot for the quarantine's sections, rendered by their own template.
_QUARANTINE_SLOT = "<!-- upflux:quarantine -->"


def _quarantine_html(
    quarantine: QuarantineSummary, csv_name: str, csv_text: str, cap: int, labels: dict[str, str]
) -> str:
    # The CSV is also inside the report (a data: link): the report stays one file to email.
    data = base64.b64encode(csv_text.encode("utf-8")).decode("ascii")
    return render(
        "quarantine_section.html.j2",
        labels,
        q=quarantine,
        csv_name=csv_name,
        csv_data=data,
        cap=cap,
    )


@dataclass(frozen=True)
class ReportContent:
    """What one load's report shows, read from the warehouse before rendering."""

    header: LoadHeader
    sections: list[DatasetSection]
    failing: list[CheckRow]
    indicators: list[IndicatorCompleteness]
    trends: dict[str, Markup]
    mining: dict | None
    reconciliation: list[Reconciliation]


def _render(
    client: ClientSpec,
    content: ReportContent,
    generated_at: datetime,
    cap: int,
    labels: dict[str, str],
) -> str:
    header, sections, failing = content.header, content.sections, content.failing
    totals = {
        key: sum(getattr(s, key) for s in sections)
        for key in ("extracted", "published", "quarantined", "held")
    }
    return render(
        "quality_report.html.j2",
        labels,
        report_id=ID_PLACEHOLDER,
        hospital=client.name,
        zone=client.timezone,
        load=header,
        load_status=LOAD_STATUS.get(header.status, header.status),
        load_mode=LOAD_MODE.get(header.mode, header.mode),
        started=local_time(header.started_at, client.zone),
        finished=local_time(header.finished_at, client.zone),
        generated=local_time(generated_at, client.zone),
        sections=sections,
        totals=totals,
        failing=failing,
        blocking_failing=[c for c in failing if c.check.blocking],
        cap=cap,
        check_settings=applied_settings(client),
        code_systems=client.code_systems,
        local_times=client.local_times,
        indicators=content.indicators,
        trends=content.trends,
        reconciliation=content.reconciliation,
        mining=content.mining,
        process_map=_map(content.mining),
        dba_section=DBA_PLACEHOLDER,
    )


def _map(mining: dict | None) -> Markup:
    if not mining or "map" not in mining:
        return Markup("")
    return process_map(
        [Activity(a["name"], a["count"], a["mean_position"]) for a in mining["map"]["activities"]],
        [Edge(e["source"], e["target"], e["count"]) for e in mining["map"]["edges"]],
    )


# What the DBA saw of the load: its own template, rendered from `meta.source_sessions`.
DBA_PLACEHOLDER = "<!-- upflux: o que o DBA vê -->"


def _dba_section(con: duckdb.DuckDBPyConnection, load_id: str) -> str:
    return render(
        "dba_view.html.j2",
        None,
        sources=read_dba_view(con, load_id),
        retries=read_retries(con, load_id),
    )
