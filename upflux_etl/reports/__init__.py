"""Reports: the quality report for hospital IT and the radar for CS (Portuguese HTML)."""

from upflux_etl.reports.files import report_id, write_atomic
from upflux_etl.reports.overview import render_cs_radar
from upflux_etl.reports.quality import ReportInfo, render_quality_report

__all__ = ["ReportInfo", "render_cs_radar", "render_quality_report", "report_id", "write_atomic"]
