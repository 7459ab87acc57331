"""Reports: the quality report for hospital IT and the overview for CS (Portuguese HTML)."""

from upflux_etl.reports.files import report_id, write_atomic
from upflux_etl.reports.overview import render_cs_overview
from upflux_etl.reports.quality import ReportInfo, render_quality_report

__all__ = ["ReportInfo", "render_cs_overview", "render_quality_report", "report_id", "write_atomic"]
