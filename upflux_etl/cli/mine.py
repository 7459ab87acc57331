"""`upflux mine`: the process-mining summary of any event log, optionally against a model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape

from upflux_etl.cli.console import console, friendly_errors


def mine(
    log_file: str = typer.Argument(..., help="event log: .csv[.gz], .xes[.gz] or .parquet"),
    case: str = typer.Option(
        None, "--case", help="case id column (default: case:concept:name, case_id, case...)"
    ),
    activity: str = typer.Option(
        None, "--activity", help="activity column (default: concept:name, activity...)"
    ),
    timestamp: str = typer.Option(
        None, "--timestamp", help="timestamp column (default: time:timestamp, timestamp...)"
    ),
    sep: str = typer.Option(",", "--sep", help="CSV field separator"),
    model: str = typer.Option(
        None, "--model", help="BPMN 2.0 reference model: adds alignment fitness"
    ),
    cache: str = typer.Option(
        None, "--cache", help="Parquet file keeping alignments per model and variant"
    ),
    from_activity: str = typer.Option(
        None, "--from-activity", help="with --to-activity: throughput times (p50/p90) between them"
    ),
    to_activity: str = typer.Option(None, "--to-activity", help="see --from-activity"),
    cases_out: str = typer.Option(
        None, "--cases-out", help="with --model: per-case deviations and fitness (.csv or .parquet)"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Cases, events, variants, directly-follows graph, durations and (with --model) fitness."""
    from upflux_etl.mining.bpmn import read_bpmn
    from upflux_etl.mining.cache import read_cache, write_cache
    from upflux_etl.mining.columns import LogColumns
    from upflux_etl.mining.read import read_event_log
    from upflux_etl.mining.summary import summarise

    with friendly_errors():
        log = read_event_log(Path(log_file), LogColumns(case, activity, timestamp), sep=sep)
        reference = read_bpmn(Path(model)) if model else None
        kept = read_cache(Path(cache)) if cache else {}
        pair = (from_activity, to_activity) if from_activity and to_activity else None
        summary = summarise(log, reference, kept, pair)
        if cache and reference is not None:
            write_cache(Path(cache), kept)
        if cases_out and reference is not None:
            table = summary.cases()
            if cases_out.endswith(".parquet"):
                table.to_parquet(cases_out, index=False)
            else:
                table.to_csv(cases_out, index=False)
    payload = summary.to_json()
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    _print(payload)


def _print(payload: dict) -> None:
    d = payload["case_duration_seconds"]
    console.print(
        f"cases {payload['cases']}  events {payload['events']}  activities "
        f"{payload['activities']}  variants {payload['variants']}  directly-follows edges "
        f"{payload['edges']}"
    )
    if payload["events_without_case"]:
        console.print(f"events without a case id (not analysed): {payload['events_without_case']}")
    console.print(
        f"case duration: mean {_days(d['mean'])}, p50 {_days(d['p50'])}, p90 {_days(d['p90'])}, "
        f"max {_days(d['max'])}"
    )
    console.print("top variants:")
    for v in payload["top_variants"]:
        console.print(
            f"  {v['cases']:>7} {v['coverage']:6.1%}  {escape(' > '.join(v['activities']))}"
        )
    console.print("top edges (count, mean time):")
    for e in payload["top_edges"]:
        console.print(
            f"  {e['count']:>7}  {escape(e['source'])} > {escape(e['target'])}  "
            f"{_days(e['mean_seconds'])}"
        )
    if "throughput_seconds" in payload:
        t = payload["throughput_seconds"]
        console.print(
            f"throughput {escape(t['from'])} -> {escape(t['to'])}: {t['count']} cases, "
            f"p50 {_days(t['p50'])}, p90 {_days(t['p90'])}"
        )
    if "fitness" in payload:
        console.print(
            f"fitness (alignments) {payload['fitness']:.6f}  fitting cases "
            f"{payload['fitting_cases']:.1%}"
        )
        for dev in payload["top_deviations"]:
            console.print(f"  {dev['count']:>7}  {dev['kind']}: {escape(dev['activity'])}")


def _days(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min"
