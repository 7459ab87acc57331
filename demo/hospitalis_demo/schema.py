"""Hospitalis's physical schema (and the UpFlux platform's), with the DDL for each backend.

Column types are logical: ``int``, ``text(n)``, ``ts`` (timestamp, local wall time),
``date``, ``time`` and ``money`` (two decimals). SQLite stores ``ts``/``date``/``time`` as
ISO text and money as REAL; PostgreSQL and MariaDB use native types.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple


class Table(NamedTuple):
    """One ERP table: its name, typed columns, primary key and indexes."""

    name: str
    columns: tuple[tuple[str, str], ...]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[str, ...] = ()


# The columns incremental loads filter on: a real ERP indexes them (a nightly "changed since"
# query would otherwise scan the whole table).
CHANGE_COLUMNS = ("dt_atualizacao", "updated_at", "usage_day")


def _t(name: str, cols: str, pk: tuple[str, ...] = (), idx: tuple[str, ...] = ()) -> Table:
    pairs = tuple(tuple(item.split()) for item in cols.split(","))
    changed = tuple(c for c, _ in pairs if c in CHANGE_COLUMNS and c not in idx)
    return Table(name, pairs, pk, idx + changed)  # type: ignore[arg-type]


ERP_TABLES = (
    _t(
        "setor",
        "cd_setor int, ds_setor text(60), ie_tipo_setor text(1), ie_situacao text(1),"
        "dt_atualizacao ts",
        ("cd_setor",),
    ),
    _t(
        "convenio",
        "cd_convenio int, ds_convenio text(60), cd_registro_ans text(6),"
        "ie_situacao text(1), dt_atualizacao ts",
        ("cd_convenio",),
    ),
    _t(
        "motivo_alta",
        "cd_motivo_alta int, ds_motivo_alta text(60), ie_situacao text(1),dt_atualizacao ts",
        ("cd_motivo_alta",),
    ),
    _t(
        "classificacao_risco",
        "cd_classificacao int, ds_classificacao text(40), ds_cor text(7),"
        "qt_minutos_meta int, dt_atualizacao ts",
        ("cd_classificacao",),
    ),
    _t(
        "exame",
        "cd_exame int, cd_procedimento_tuss text(10), ds_exame text(60),"
        "ie_classificacao text(3), dt_atualizacao ts",
        ("cd_exame",),
    ),
    _t(
        "motivo_glosa",
        "cd_motivo_glosa text(4), ds_motivo_glosa text(80), dt_atualizacao ts",
        ("cd_motivo_glosa",),
    ),
    _t(
        "motivo_cancelamento_cirurgia",
        "cd_motivo int, ds_motivo text(60), dt_atualizacao ts",
        ("cd_motivo",),
    ),
    _t(
        "municipio",
        "cd_municipio_ibge int, ds_municipio text(60), sg_uf text(2),dt_atualizacao ts",
        ("cd_municipio_ibge",),
    ),
    _t(
        "paciente",
        "cd_paciente int, nr_prontuario int, nm_paciente text(120), nr_cpf text(11),"
        "nr_cartao_sus text(15), dt_nascimento date, ie_sexo text(1), cd_municipio_ibge int,"
        "dt_cadastro ts, dt_atualizacao ts",
        ("cd_paciente",),
    ),
    # No primary key: Hospitalis only indexes cd_atendimento (duplicates do happen).
    _t(
        "atendimento",
        "cd_atendimento int, cd_paciente int, ie_tipo_atendimento int,"
        "ie_situacao text(1), ie_carater_inter text(2), dt_entrada ts, dt_atend_medico ts,"
        "dt_alta ts, cd_motivo_alta int, cd_setor_atendimento int, cd_cid_principal text(6),"
        "cd_convenio int, nr_atendimento_origem int, dt_cancelamento ts, dt_atualizacao ts",
        (),
        ("cd_atendimento", "cd_paciente"),
    ),
    _t(
        "triagem_ps",
        "nr_seq_triagem int, cd_atendimento int, ie_protocolo text(5),"
        "cd_classificacao int, dt_inicio_triagem ts, dt_fim_triagem ts, dt_atualizacao ts",
        ("nr_seq_triagem",),
        ("cd_atendimento",),
    ),
    _t(
        "leito",
        "cd_leito int, cd_setor int, ds_leito text(20), ie_tipo_leito int,"
        "ie_temporario text(1), dt_atualizacao ts",
        ("cd_leito",),
    ),
    _t(
        "leito_situacao",
        "nr_sequencia int, cd_leito int, ie_status text(1), dt_inicio ts,"
        "dt_fim ts, ds_motivo text(60), dt_atualizacao ts",
        ("nr_sequencia",),
    ),
    _t(
        "movimentacao_leito",
        "nr_seq_movimentacao int, cd_atendimento int, cd_leito int,"
        "cd_setor int, dt_entrada_leito ts, dt_saida_leito ts, dt_atualizacao ts",
        ("nr_seq_movimentacao",),
        ("cd_atendimento",),
    ),
    _t(
        "pedido_exame",
        "nr_pedido int, cd_atendimento int, cd_exame int, ie_urgencia text(1),"
        "dt_pedido ts, dt_coleta ts, dt_realizacao ts, dt_resultado ts, dt_liberacao ts,"
        "dt_atualizacao ts",
        ("nr_pedido",),
        ("cd_atendimento",),
    ),
    _t(
        "sala_cirurgica",
        "cd_sala int, ds_sala text(40), ie_situacao text(1), dt_atualizacao ts",
        ("cd_sala",),
    ),
    _t(
        "sala_cirurgica_horario",
        "nr_sequencia int, cd_sala int, dt_inicio_vigencia date,"
        "dt_fim_vigencia date, hr_abertura time, hr_fechamento time, dt_atualizacao ts",
        ("nr_sequencia",),
    ),
    _t(
        "cirurgia",
        "nr_cirurgia int, cd_atendimento int, cd_sala int, dt_agenda ts,"
        "dt_entrada_sala ts, dt_inicio_cirurgia ts, dt_fim_cirurgia ts, dt_saida_sala ts,"
        "ie_status int, cd_motivo_cancelamento int, dt_cancelamento ts, dt_atualizacao ts",
        ("nr_cirurgia",),
    ),
    _t(
        "conta_paciente",
        "nr_interno_conta int, cd_atendimento int, cd_convenio int,"
        "dt_fechamento ts, dt_envio ts, vl_conta money, vl_glosa money, cd_motivo_glosa text(4),"
        "ie_status_recurso text(1), dt_pagamento ts, dt_atualizacao ts",
        ("nr_interno_conta",),
        ("cd_atendimento",),
    ),
)

PLATFORM_TABLES = (
    _t(
        "platform_user",
        "user_id int, email text(120), display_name text(120), role text(20),"
        "created_at ts, updated_at ts",
        ("user_id",),
    ),
    _t(
        "platform_module",
        "module_id int, slug text(40), title text(80), updated_at ts",
        ("module_id",),
    ),
    _t(
        "usage_daily",
        "user_id int, module_id int, usage_day date, session_count int,"
        "action_count int, updated_at ts",
        ("user_id", "module_id", "usage_day"),
    ),
)

_TYPES = MappingProxyType(
    {
        "sqlite": {
            "int": "INTEGER",
            "text": "TEXT",
            "ts": "TEXT",
            "date": "TEXT",
            "time": "TEXT",
            "money": "REAL",
        },
        "postgresql": {
            "int": "BIGINT",
            "text": "VARCHAR({n})",
            "ts": "TIMESTAMP",
            "date": "DATE",
            "time": "TIME",
            "money": "NUMERIC(14, 2)",
        },
        "mysql": {
            "int": "BIGINT",
            "text": "VARCHAR({n})",
            "ts": "DATETIME",
            "date": "DATE",
            "time": "TIME",
            "money": "DECIMAL(14, 2)",
        },
    }
)


def kind(logical: str) -> str:
    """``text(60)`` -> ``text``."""
    return logical.split("(")[0]


def ddl(table: Table, backend: str, qualified: str) -> str:
    """``CREATE TABLE`` for one backend (``sqlite``, ``postgresql`` or ``mysql``)."""
    types = _TYPES[backend]
    cols = []
    for name, logical in table.columns:
        n = logical[logical.find("(") + 1 : -1] if "(" in logical else ""
        cols.append(f"{name} {types[kind(logical)].format(n=n)}")
    if table.primary_key:
        cols.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    return f"CREATE TABLE {qualified} ({', '.join(cols)})"
