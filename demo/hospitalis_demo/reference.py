"""Hospitalis's registers (sectors, payers, discharge reasons, ...) as column arrays."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from hospitalis_demo import codes
from hospitalis_demo.people import CITIES
from hospitalis_demo.timeline import Horizon

SECTOR_KIND = MappingProxyType({"ward": "I", "er": "U", "surgery": "C", "outpatient": "A"})
COLOUR_HEX = ("#E02020", "#F08A00", "#F5D000", "#2EA043", "#1F6FEB")


def _arr(values) -> np.ndarray:
    values = list(values)
    if values and isinstance(values[0], (int, np.integer)):
        return np.array(values, dtype=np.int64)
    return np.array(values, dtype=object)


def registers(horizon: Horizon) -> dict[str, dict[str, np.ndarray]]:
    """Lookup tables, stamped with the go-live instant."""
    stamp = horizon.t0 + 60

    def table(**cols) -> dict[str, np.ndarray]:
        """Columns plus the update stamp."""
        n = len(next(iter(cols.values())))
        cols = {k: _arr(v) for k, v in cols.items()}
        cols["dt_atualizacao"] = np.full(n, stamp, dtype=np.int64)
        return cols

    s, p = codes.SECTORS, codes.PAYERS
    ans = {101: "335690", 102: "005711", 103: "006246", 104: "326305", 105: "346659", 106: "000582"}
    return {
        "setor": table(
            cd_setor=[x.code for x in s],
            ds_setor=[x.name for x in s],
            ie_tipo_setor=[SECTOR_KIND[x.role] for x in s],
            ie_situacao=["A"] * len(s),
        ),
        "convenio": table(
            cd_convenio=[x.code for x in p],
            ds_convenio=[x.name for x in p],
            cd_registro_ans=[ans.get(x.code) for x in p],
            ie_situacao=["A"] * len(p),
        ),
        "motivo_alta": table(
            cd_motivo_alta=[int(c.code) for c in codes.DISCHARGE_REASONS],
            ds_motivo_alta=[c.name for c in codes.DISCHARGE_REASONS],
            ie_situacao=["A"] * len(codes.DISCHARGE_REASONS),
        ),
        "classificacao_risco": table(
            cd_classificacao=[int(c.code) for c in codes.TRIAGE_COLOURS],
            ds_classificacao=[c.name for c in codes.TRIAGE_COLOURS],
            ds_cor=list(COLOUR_HEX),
            qt_minutos_meta=list(codes.TRIAGE_TARGETS),
        ),
        "exame": table(
            cd_exame=[e.code for e in codes.EXAMS],
            cd_procedimento_tuss=[e.tuss for e in codes.EXAMS],
            ds_exame=[e.name for e in codes.EXAMS],
            ie_classificacao=[e.kind for e in codes.EXAMS],
        ),
        "motivo_glosa": table(
            cd_motivo_glosa=[c for c, _ in codes.GLOSA_REASONS],
            ds_motivo_glosa=[d for _, d in codes.GLOSA_REASONS],
        ),
        "motivo_cancelamento_cirurgia": table(
            cd_motivo=[c for c, _, _ in codes.CANCEL_REASONS],
            ds_motivo=[d for _, d, _ in codes.CANCEL_REASONS],
        ),
        "municipio": table(
            cd_municipio_ibge=[c[0] for c in CITIES],
            ds_municipio=[c[1] for c in CITIES],
            sg_uf=[c[2] for c in CITIES],
        ),
    }
