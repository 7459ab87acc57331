"""Checks every dataset gets from the canonical model, declared once there, never copied.

One text per generated check lives here: the report, the UI and the CLI show it as stored.
"""

from __future__ import annotations

from pathlib import Path

from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import ColumnSpec, DatasetSpec, ExpectationSpec, SuiteSpec

NOT_IN_SET = "expect_column_values_to_not_be_in_set"

# How hospital IT reads each canonical type in a message.
_TYPE_NAMES = {
    "integer": "número inteiro",
    "double": "número",
    "decimal": "número decimal",
    "boolean": "verdadeiro/falso",
    "timestamp": "data e hora",
    "date": "data",
    "time": "horário",
}
_DOCUMENTS = {"cpf": "CPF", "cns": "CNS (Cartão Nacional de Saúde)"}


def generated_expectations(
    dataset: DatasetSpec, labels: dict[str, str] | None = None
) -> list[ExpectationSpec]:
    """The checks canonical.yaml implies for a dataset.

    Args:
        dataset: the canonical dataset (its `name` set by the catalog).
        labels: dataset name -> Portuguese label, for the texts of referential checks
            (default: the technical names).

    Returns:
        The primary key's uniqueness and the values' readability first, then per column (in canonical order) not-null,
        parseable, mapped, check digits, domain and reference; last the minimum row count
        (`min_rows`, dataset level) when it is above zero.
    """
    expectations = [_primary_key_unique(dataset), _values_readable()]
    for name, column in dataset.columns.items():
        expectations.extend(_column_expectations(name, column))
        if column.references:
            expectations.append(_references(dataset, name, column.references, labels or {}))
    if dataset.min_rows > 0:
        expectations.append(_row_count(dataset))
    return expectations


def suite_expectations(
    dataset: DatasetSpec,
    suite: SuiteSpec | None,
    path: Path | str | None = None,
    labels: dict[str, str] | None = None,
) -> list[ExpectationSpec]:
    """The generated checks followed by the suite file's own, with unique names.

    Args:
        dataset: the canonical dataset.
        suite: its suite file, if it has one.
        path: the suite file, for error messages (default `expectations/<dataset>.yaml`).
        labels: dataset name -> Portuguese label (see `generated_expectations`).

    Raises:
        ConfigError: the suite is for another dataset, or a name is used twice.
    """
    expectations = generated_expectations(dataset, labels)
    if suite is None:
        return expectations
    where = Path(path) if path is not None else Path("expectations") / f"{dataset.name}.yaml"
    if suite.dataset != dataset.name:
        raise ConfigError(where, "dataset", f"is {suite.dataset!r}, expected {dataset.name!r}")
    generated = {e.name for e in expectations}
    seen: set[str] = set()
    for i, exp in enumerate(suite.expectations):
        if exp.name in generated:
            raise ConfigError(
                where,
                f"expectations.{i}.name",
                f"{exp.name!r} is generated from canonical.yaml for every dataset; choose another name",
            )
        if exp.name in seen:
            raise ConfigError(where, f"expectations.{i}.name", f"{exp.name!r} is used twice")
        seen.add(exp.name)
    return [*expectations, *suite.expectations]


def _primary_key_unique(dataset: DatasetSpec) -> ExpectationSpec:
    key = dataset.primary_key
    if len(key) == 1:
        return ExpectationSpec(
            name=f"{key[0]}_unique",
            type="expect_column_values_to_be_unique",
            kwargs={"column": key[0]},
            description=f"Identificador '{key[0]}' repetido em mais de um registro",
            fix_hint=(
                f"Corrigir ou remover os registros duplicados no ERP: cada '{key[0]}' deve "
                "aparecer uma vez. Todos os registros que compartilham o valor ficam em quarentena."
            ),
        )
    columns = ", ".join(key)
    return ExpectationSpec(
        name="primary_key_unique",
        type="expect_compound_columns_to_be_unique",
        kwargs={"column_list": list(key)},
        description=f"Combinação ({columns}) repetida em mais de um registro",
        fix_hint=(
            f"Corrigir ou remover os registros duplicados no ERP: cada combinação de ({columns}) "
            "deve aparecer uma vez. Todos os registros que a compartilham ficam em quarentena."
        ),
    )


def _column_expectations(name: str, column: ColumnSpec) -> list[ExpectationSpec]:
    found = []
    if column.required:
        found.append(_not_null(name))
    if column.type != "string":
        found.append(_parseable(name, column.type))
    if column.map:
        found.append(_mapped(name, column.map))
    if column.validate_:
        found.append(_check_digits(name, column.validate_))
    if column.values and not column.map:
        found.append(_in_domain(name, column.values))
    return found


def _values_readable() -> ExpectationSpec:
    # The name is extract/readable.py's READABLE_CHECK; staging writes `_unreadable_found`.
    return ExpectationSpec(
        name="values_readable",
        type=NOT_IN_SET,
        kwargs={"column": "_unreadable_found", "value_set": [True]},
        description=(
            "Valor ilegível (byte NUL, codificação de texto inválida, data zerada 0000-00-00 "
            "ou horário local inexistente/repetido conforme a regra do hospital)"
        ),
        fix_hint=(
            "Corrigir o valor no ERP. A quarentena guarda, por registro, o campo e o problema "
            "(motivo 'values_readable: <campo>: <problema>'), nunca o valor."
        ),
    )


def _not_null(name: str) -> ExpectationSpec:
    return ExpectationSpec(
        name=f"{name}_not_null",
        type="expect_column_values_to_not_be_null",
        kwargs={"column": name},
        description=f"Campo obrigatório '{name}' vazio",
        fix_hint=f"Preencher '{name}' no registro de origem do ERP.",
    )


def _parseable(name: str, column_type: str) -> ExpectationSpec:
    expected = _TYPE_NAMES.get(column_type, column_type)
    return ExpectationSpec(
        name=f"{name}_parseable",
        type=NOT_IN_SET,
        kwargs={"column": f"_{name}_unparseable", "value_set": [True]},
        description=f"Valor de '{name}' não pôde ser lido como {expected}",
        fix_hint=f"Corrigir o formato de '{name}' no ERP (esperado: {expected}).",
    )


def _mapped(name: str, kind: str) -> ExpectationSpec:
    return ExpectationSpec(
        name=f"{name}_mapped",
        type=NOT_IN_SET,
        kwargs={"column": f"_{name}_unmapped", "value_set": [True]},
        description=f"Código de {name} sem correspondência no mapeamento '{kind}' do hospital",
        fix_hint=(
            f"Incluir o código (coluna '{name}_code') no mapeamento '{kind}' do arquivo do "
            "cliente, ou corrigir o código no ERP."
        ),
    )


def _check_digits(name: str, document: str) -> ExpectationSpec:
    label = _DOCUMENTS.get(document, document.upper())
    return ExpectationSpec(
        name=f"{name}_check_digits",
        type=NOT_IN_SET,
        kwargs={"column": f"{name}_valid", "value_set": [False]},
        description=f"{label} com dígitos verificadores inválidos",
        fix_hint=(
            f"Corrigir o {label} no cadastro do paciente no ERP, ou deixá-lo em branco "
            "quando não for conhecido."
        ),
    )


def _in_domain(name: str, values: list[str]) -> ExpectationSpec:
    allowed = ", ".join(values)
    return ExpectationSpec(
        name=f"{name}_in_domain",
        type="expect_column_values_to_be_in_set",
        kwargs={"column": name, "value_set": list(values)},
        description=f"Valor de '{name}' fora dos valores permitidos ({allowed})",
        fix_hint=f"Corrigir '{name}' na origem para um destes valores: {allowed}.",
    )


def _references(
    dataset: DatasetSpec, name: str, target: str, labels: dict[str, str]
) -> ExpectationSpec:
    parent, _, parent_column = target.partition(".")
    parent_label = labels.get(parent, parent).lower()
    return ExpectationSpec(
        name=f"{dataset.name}_{name.removesuffix('_id')}_exists",
        type="expect_column_values_to_be_in_set",
        kwargs={"column": name},
        value_set_from=target,
        description=(
            f"Registro de {_lower(dataset.label)} ligado a '{name}' inexistente em {parent_label}"
        ),
        fix_hint=(
            f"Corrigir '{name}' do registro no ERP, ou verificar se o registro de "
            f"{parent_label} ('{parent_column}') foi carregado."
        ),
    )


# What to check when a dataset arrives empty depends on where it is read from.
_EMPTY_HINTS = {
    "erp": (
        "Verificar se a consulta de {label} do ERP retorna registros e se o acesso ao banco "
        "está liberado."
    ),
    "platform": (
        "Sem ação para a TI do hospital: a equipe de CS verifica se os usuários estão "
        "acessando a plataforma."
    ),
}


def _row_count(dataset: DatasetSpec) -> ExpectationSpec:
    label = _lower(dataset.label)
    n = dataset.min_rows
    return ExpectationSpec(
        name="row_count_not_zero" if n == 1 else f"row_count_at_least_{n}",
        type="expect_table_row_count_to_be_between",
        kwargs={"min_value": n},
        level="dataset",
        blocking=dataset.min_rows_blocking,
        description=(
            f"Nenhum registro de {label} recebido nesta carga"
            if n == 1
            else f"Menos de {n} registros de {label} recebidos nesta carga"
        ),
        fix_hint=_EMPTY_HINTS.get(dataset.source, _EMPTY_HINTS["erp"]).format(label=label),
    )


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]
