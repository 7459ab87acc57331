"""The open quarantine as a CSV file for hospital IT: `;`-separated UTF-8 with a BOM.

Excel in Portuguese opens such a file in columns (its list separator is `;`) with accents
right (the BOM says UTF-8). Records are named by their ERP ids only: no personal value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from upflux_etl.reports.files import write_atomic
from upflux_etl.reports.quarantine_data import QuarantineRow

BOM = "\ufeff"
HEADER = (
    "conjunto_de_dados",
    "campo_identificador",
    "identificador_erp",
    "situacao",
    "verificacoes",
    "descricao",
    "em_quarentena_desde",
)


def quarantine_csv(rows: Iterable[QuarantineRow]) -> str:
    """The CSV text (BOM, header, one line per record)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow(
            [
                r.dataset,
                r.id_columns,
                r.record_id,
                r.state,
                ", ".join(r.checks),
                " | ".join(r.descriptions),
                r.first_seen,
            ]
        )
    return BOM + out.getvalue()


def write_quarantine_csv(path: Path, rows: Iterable[QuarantineRow]) -> Path:
    """Write the CSV of `rows` to `path` atomically; returns the path."""
    write_atomic(path, quarantine_csv(rows))
    return path
