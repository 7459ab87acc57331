"""Fictional patient names (the ERP holds them; the connector never extracts them)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FEMALE = (
    "MARIA",
    "ANA",
    "FRANCISCA",
    "ANTONIA",
    "ADRIANA",
    "JULIANA",
    "MARCIA",
    "FERNANDA",
    "PATRICIA",
    "ALINE",
    "SANDRA",
    "CAMILA",
    "AMANDA",
    "BRUNA",
    "JESSICA",
    "LETICIA",
    "JULIA",
    "LUCIANA",
    "VANESSA",
    "MARIANA",
    "GABRIELA",
    "RAFAELA",
    "BEATRIZ",
    "LARISSA",
    "HELENA",
    "ALICE",
    "LAURA",
    "VALENTINA",
    "SOPHIA",
    "ISABELLA",
)
MALE = (
    "JOSE",
    "JOAO",
    "ANTONIO",
    "FRANCISCO",
    "CARLOS",
    "PAULO",
    "PEDRO",
    "LUCAS",
    "LUIZ",
    "MARCOS",
    "LUIS",
    "GABRIEL",
    "RAFAEL",
    "DANIEL",
    "MARCELO",
    "BRUNO",
    "EDUARDO",
    "FELIPE",
    "RAIMUNDO",
    "RODRIGO",
    "MATEUS",
    "GUSTAVO",
    "MIGUEL",
    "ARTHUR",
    "HEITOR",
    "DAVI",
    "BERNARDO",
    "THIAGO",
    "VINICIUS",
    "LEONARDO",
)
SURNAMES = (
    "SILVA",
    "SANTOS",
    "OLIVEIRA",
    "SOUZA",
    "RODRIGUES",
    "FERREIRA",
    "ALVES",
    "PEREIRA",
    "LIMA",
    "GOMES",
    "COSTA",
    "RIBEIRO",
    "MARTINS",
    "CARVALHO",
    "ALMEIDA",
    "LOPES",
    "SOARES",
    "FERNANDES",
    "VIEIRA",
    "BARBOSA",
    "ROCHA",
    "DIAS",
    "NASCIMENTO",
    "ANDRADE",
    "MOREIRA",
    "NUNES",
    "MARQUES",
    "MACHADO",
    "MENDES",
    "FREITAS",
    "CARDOSO",
    "RAMOS",
    "GONCALVES",
    "SANTANA",
    "TEIXEIRA",
    "ARAUJO",
    "CAMPOS",
    "MOURA",
    "PINTO",
    "CORREIA",
)


def full_names(rng: np.random.Generator, sex: np.ndarray, kind: np.ndarray) -> pa.Array:
    """``FIRST SURNAME SURNAME`` per patient.

    Newborns are "RN DE <mother>"-style and unidentified patients "PACIENTE NAO IDENTIFICADO".
    """
    n = len(sex)
    female = pa.array(FEMALE).take(pa.array(rng.integers(0, len(FEMALE), n)))
    male = pa.array(MALE).take(pa.array(rng.integers(0, len(MALE), n)))
    first = pc.if_else(pa.array(sex == 1), female, male)
    s1 = pa.array(SURNAMES).take(pa.array(rng.integers(0, len(SURNAMES), n)))
    s2 = pa.array(SURNAMES).take(pa.array(rng.integers(0, len(SURNAMES), n)))
    name = pc.binary_join_element_wise(first, s1, s2, " ")
    newborn = pc.binary_join_element_wise(pa.scalar("RN DE"), female, s2, " ")
    name = pc.if_else(pa.array(kind == 1), newborn, name)
    return pc.if_else(pa.array(kind == 3), pa.scalar("PACIENTE NAO IDENTIFICADO"), name)
