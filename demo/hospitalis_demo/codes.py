"""Hospitalis's own code tables, as the demo hospital registered them.

Each entry also carries its canonical meaning, which must agree with the mappings in
``connectors/hospitalis/profile.yaml`` and ``clients/demo.yaml`` (a unit test checks it): the
ground truth is computed with these meanings.
"""

from __future__ import annotations

from typing import NamedTuple


class Sector(NamedTuple):
    """A hospital sector: its ERP code and name, canonical unit and role."""

    code: int
    name: str
    unit: str  # canonical unit
    role: str  # ward | er | surgery | outpatient


SECTORS = (
    Sector(11, "UTI ADULTO", "uti_adulto", "ward"),
    Sector(23, "CLINICA MEDICA - 3o ANDAR", "clinica_medica", "ward"),
    Sector(24, "CLINICA MEDICA - 4o ANDAR", "clinica_medica", "ward"),
    Sector(31, "CLINICA CIRURGICA - 5o ANDAR", "clinica_cirurgica", "ward"),
    Sector(41, "PEDIATRIA - 2o ANDAR", "pediatria", "ward"),
    Sector(51, "MATERNIDADE / ALOJAMENTO CONJUNTO", "maternidade", "ward"),
    Sector(61, "PRONTO SOCORRO ADULTO", "pronto_socorro", "er"),
    Sector(62, "PRONTO SOCORRO INFANTIL", "pronto_socorro", "er"),
    Sector(71, "CENTRO CIRURGICO", "centro_cirurgico", "surgery"),
    Sector(81, "AMBULATORIO DE ESPECIALIDADES", "ambulatorio", "outpatient"),
    Sector(82, "LABORATORIO - POSTO DE COLETA", "ambulatorio", "outpatient"),
)

# Ward units in simulation order, their share of the beds and their sectors.
WARD_UNITS = ("uti_adulto", "clinica_medica", "clinica_cirurgica", "pediatria", "maternidade")
BED_SHARE = (0.10, 0.36, 0.26, 0.14, 0.14)
WARD_SECTORS = ((11,), (23, 24), (31,), (41,), (51,))
ER_ADULT, ER_CHILD, SURGERY_SECTOR, CLINIC_SECTOR, LAB_SECTOR = 61, 62, 71, 81, 82


class Payer(NamedTuple):
    """A payer (convenio): its ERP code and name, canonical payer type and share of patients."""

    code: int
    name: str
    canonical: str
    weight: float  # share of patients


PAYERS = (
    Payer(1, "SUS - SISTEMA UNICO DE SAUDE", "sus", 0.40),
    Payer(2, "PARTICULAR", "particular", 0.06),
    Payer(101, "UNIMED CAMPINAS", "convenio", 0.19),
    Payer(102, "BRADESCO SAUDE", "convenio", 0.10),
    Payer(103, "SULAMERICA SAUDE", "convenio", 0.08),
    Payer(104, "AMIL ASSISTENCIA MEDICA", "convenio", 0.08),
    Payer(105, "CASSI", "convenio", 0.04),
    Payer(106, "PORTO SEGURO SAUDE", "convenio", 0.03),
    Payer(190, "PARTICULAR - PACOTE CIRURGICO", "particular", 0.02),
)


class Code(NamedTuple):
    """An ERP code of a small code table, with its name and canonical meaning (None if unmapped)."""

    code: str
    name: str
    canonical: str | None


# SUS "motivo de saida" codes plus two of this hospital's own (19, 51). 99 is registered in the
# ERP but mapped nowhere: only the unmapped_code defect uses it.
DISCHARGE_REASONS = (
    Code("11", "ALTA CURADO", "alta"),
    Code("12", "ALTA MELHORADO", "alta"),
    Code("14", "ALTA A PEDIDO", "alta"),
    Code("15", "ALTA COM PREVISAO DE RETORNO", "alta"),
    Code("16", "ALTA POR EVASAO", "alta"),
    Code("18", "ALTA POR OUTROS MOTIVOS", "alta"),
    Code("19", "ALTA PARA ATENCAO DOMICILIAR", "alta"),
    Code("31", "TRANSFERIDO PARA OUTRO ESTABELECIMENTO", "transferencia_externa"),
    Code("41", "OBITO COM DO FORNECIDA PELO MEDICO ASSISTENTE", "obito"),
    Code("42", "OBITO COM DO FORNECIDA PELO IML", "obito"),
    Code("43", "OBITO COM DO FORNECIDA PELO SVO", "obito"),
    Code("51", "ENCAMINHADO PARA INTERNACAO (PS)", "alta"),
    Code("99", "ALTA ADMINISTRATIVA", None),
)
UNMAPPED_DISCHARGE = "99"

ENCOUNTER_TYPES = (
    Code("1", "INTERNADO", "inpatient"),
    Code("3", "PRONTO SOCORRO", "emergency"),
    Code("7", "EXTERNO (SADT)", "outpatient"),
    Code("8", "AMBULATORIAL", "outpatient"),
)
INPATIENT, EMERGENCY, EXTERNAL, CLINIC = 1, 3, 7, 8

ENCOUNTER_STATUS = (Code("A", "ATIVO", "active"), Code("C", "CANCELADO", "cancelled"))

# SUS "carater do atendimento".
ADMISSION_CHARACTERS = (
    Code("01", "ELETIVO", "elective"),
    Code("02", "URGENCIA", "urgent"),
    Code("03", "ACIDENTE NO LOCAL DE TRABALHO", "urgent"),
    Code("04", "ACIDENTE NO TRAJETO PARA O TRABALHO", "urgent"),
    Code("05", "OUTROS TIPOS DE ACIDENTE DE TRANSITO", "urgent"),
    Code("06", "OUTROS TIPOS DE LESOES E ENVENENAMENTOS", "urgent"),
)

SEXES = (Code("M", "MASCULINO", "M"), Code("F", "FEMININO", "F"), Code("I", "IGNORADO", "I"))

# Manchester colours in canonical order red..blue, with the protocol's target minutes.
TRIAGE_COLOURS = (
    Code("1", "VERMELHO - EMERGENCIA", "red"),
    Code("2", "LARANJA - MUITO URGENTE", "orange"),
    Code("3", "AMARELO - URGENTE", "yellow"),
    Code("4", "VERDE - POUCO URGENTE", "green"),
    Code("5", "AZUL - NAO URGENTE", "blue"),
)
TRIAGE_TARGETS = (0, 10, 60, 120, 240)

BED_TYPES = (
    Code("1", "UTI", "uti"),
    Code("2", "ENFERMARIA", "enfermaria"),
    Code("3", "APARTAMENTO", "apartamento"),
    Code("4", "OBSERVACAO", "observacao"),
    Code("5", "ISOLAMENTO", "enfermaria"),
)

BED_STATUS = (
    Code("A", "ATIVO", "operational"),
    Code("M", "EM MANUTENCAO", "blocked"),
    Code("I", "INTERDITADO", "blocked"),
    Code("E", "LEITO EXTRA", "extra"),
)

EXAM_KINDS = (
    Code("LAB", "LABORATORIO CLINICO", "lab"),
    Code("RX", "RADIOLOGIA", "imaging"),
    Code("US", "ULTRASSONOGRAFIA", "imaging"),
    Code("TC", "TOMOGRAFIA", "imaging"),
    Code("RM", "RESSONANCIA MAGNETICA", "imaging"),
)

EXAM_PRIORITIES = (Code("S", "URGENTE", "urgent"), Code("N", "ROTINA", "routine"))

SURGERY_STATUS = (
    Code("1", "AGENDADA", None),
    Code("3", "REALIZADA", "realizada"),
    Code("4", "CANCELADA", "cancelada"),
    Code("5", "SUSPENSA", "cancelada"),
)


class Exam(NamedTuple):
    """An orderable exam: ERP and TUSS codes, kind, and relative frequency per origin."""

    code: int
    tuss: str
    name: str
    kind: str
    ward: float  # relative frequency among inpatient orders of its kind
    er: float
    external: float
    slow: bool  # cultures: results take days


EXAMS = (
    Exam(1001, "40304361", "HEMOGRAMA COMPLETO", "LAB", 10, 10, 8, False),
    Exam(1002, "40301630", "CREATININA", "LAB", 8, 8, 6, False),
    Exam(1003, "40302580", "UREIA", "LAB", 7, 7, 5, False),
    Exam(1004, "40302318", "POTASSIO", "LAB", 7, 6, 3, False),
    Exam(1005, "40302423", "SODIO", "LAB", 7, 6, 3, False),
    Exam(1006, "40308391", "PROTEINA C REATIVA", "LAB", 5, 7, 3, False),
    Exam(1007, "40302040", "GLICOSE", "LAB", 4, 4, 7, False),
    Exam(1008, "40301362", "GASOMETRIA ARTERIAL", "LAB", 4, 2, 0, False),
    Exam(1009, "40311210", "URINA TIPO I", "LAB", 2, 4, 5, False),
    Exam(1010, "40310213", "UROCULTURA", "LAB", 1, 1, 2, True),
    Exam(1011, "40310060", "HEMOCULTURA", "LAB", 1, 1, 0, True),
    Exam(1012, "40316521", "TSH", "LAB", 0.5, 0, 4, False),
    Exam(1013, "40301400", "COLESTEROL TOTAL", "LAB", 0.3, 0, 4, False),
    Exam(1014, "40304590", "TEMPO DE PROTROMBINA", "LAB", 3, 2, 1, False),
    Exam(1015, "40305465", "TROPONINA", "LAB", 1, 3, 0, False),
    Exam(2001, "40805026", "RX DE TORAX PA E PERFIL", "RX", 6, 6, 3, False),
    Exam(2002, "40808041", "RX DE MEMBROS", "RX", 1, 3, 1, False),
    Exam(2003, "40901122", "US DE ABDOMEN TOTAL", "US", 2, 2, 3, False),
    Exam(2004, "41001010", "TC DE CRANIO", "TC", 2, 2.5, 1, False),
    Exam(2005, "41001079", "TC DE TORAX", "TC", 2, 1.5, 1, False),
    Exam(2006, "41101014", "RM DE CRANIO", "RM", 0.5, 0.2, 1, False),
)

GLOSA_REASONS = (
    ("1001", "NUMERO DA CARTEIRA INVALIDO"),
    ("1213", "BENEFICIARIO SEM COBERTURA PARA O PROCEDIMENTO"),
    ("1702", "COBRANCA DE PROCEDIMENTO NAO EXECUTADO"),
    ("1705", "VALOR APRESENTADO A MAIOR"),
    ("1801", "PROCEDIMENTO INVALIDO"),
    ("1909", "COBRANCA EM DUPLICIDADE"),
    ("2001", "AUSENCIA DE AUTORIZACAO PREVIA"),
    ("3052", "DIARIA INCOMPATIVEL COM O PERMANENCIA"),
)
GLOSA_WEIGHTS = (0.08, 0.10, 0.12, 0.22, 0.10, 0.08, 0.20, 0.10)

APPEAL_STATUS = (
    ("D", "DEFERIDO"),
    ("P", "DEFERIDO PARCIALMENTE"),
    ("I", "INDEFERIDO"),
    ("A", "EM ANALISE"),
)

# Surgery cancellation reasons: (code, name, encounter-less?) -- a booking the patient never
# arrived for has no encounter.
CANCEL_REASONS = (
    (1, "PACIENTE NAO COMPARECEU", True),
    (2, "NAO AUTORIZADO PELO CONVENIO", True),
    (3, "PACIENTE SEM JEJUM", False),
    (4, "CONDICAO CLINICA DESFAVORAVEL", False),
    (5, "FALTA DE LEITO (UTI OU ENFERMARIA)", True),
    (6, "FALTA DE MATERIAL / OPME", False),
    (7, "CIRURGIAO INDISPONIVEL", True),
    (8, "TEMPO CIRURGICO EXCEDIDO", False),
)


def canonical_map(codes: tuple[Code, ...]) -> dict[str, str]:
    """The ``code -> canonical`` mapping of a code table (unmapped codes left out)."""
    return {c.code: c.canonical for c in codes if c.canonical is not None}


def unit_map() -> dict[str, str]:
    """Sector code (as text) -> canonical unit."""
    return {str(s.code): s.unit for s in SECTORS}


def payer_map() -> dict[str, str]:
    """Convenio code (as text) -> canonical payer type."""
    return {str(p.code): p.canonical for p in PAYERS}
