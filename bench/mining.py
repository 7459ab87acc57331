"""Process mining: ours against pm4py (AGPL-3.0, test-only extra) in the same run.

1. Statistics on an event log of >= 5M events: directly-follows graph, variants and case
   durations (each side reads the same Parquet file; reading is reported apart).
2. Alignment fitness on a log of >= 100k cases and >= 10k variants against a model with a
   parallel gateway and a loop: ours and pm4py's log_fitness (standard costs, silent
   moves 1 against 10000), which must be equal.

Each side runs in its own subprocess, so its peak memory (ru_maxrss) is its own.
Usage: python bench/mining.py [--cases 700000] [--align-cases 100000] [--skip-pm4py-align]
Prints a Markdown section to append to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOISE = [f"noise {i}" for i in range(30)]
REPEAT = 2


def peak_mb() -> float:
    """This process's own peak resident memory (VmHWM: unlike ru_maxrss, not inherited
    from the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(cases: int, seed: int) -> dict:
    """Traces of the benchmark model (register; lab || imaging; approve or reject; maybe
    rework from the start; notify; archive) with noise: missing, extra and swapped events."""
    rng = random.Random(seed)
    case_ids, activities, stamps = [], [], []
    start = 1_700_000_000
    for c in range(cases):
        trace = []
        for _ in range(1 + (rng.random() < 0.3) + (rng.random() < 0.1)):
            trace.append("register")
            trace += ["lab", "imaging"] if rng.random() < 0.5 else ["imaging", "lab"]
            trace.append("approve" if rng.random() < 0.8 else "reject")
        trace += ["notify", "archive"]
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            kind, at = rng.random(), rng.randrange(len(trace))
            if kind < 0.3 and len(trace) > 2:
                del trace[at]
            elif kind < 0.7:
                trace.insert(at, rng.choice(NOISE))
            elif at + 1 < len(trace):
                trace[at], trace[at + 1] = trace[at + 1], trace[at]
        t = start + rng.randrange(365 * 86400)
        name = f"case {c:07d}"
        for activity in trace:
            t += rng.choice((0, 60, 300, 3600, 7200, 86400))
            case_ids.append(name)
            activities.append(activity)
            stamps.append(t)
    return {"case": case_ids, "activity": activities, "timestamp": stamps}


def write_log(path: Path, cases: int, seed: int) -> int:
    import pandas as pd

    data = simulate(cases, seed)
    frame = pd.DataFrame(
        {
            "case:concept:name": data["case"],
            "concept:name": data["activity"],
            "time:timestamp": pd.to_datetime(data["timestamp"], unit="s", utc=True),
        }
    )
    # File order is not case order: shuffle, so both sides must sort.
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    frame.to_parquet(path, index=False)
    return len(frame)


def write_model(path: Path) -> None:
    from tests.support.bpmn import chain, write_bpmn

    def task(name: str) -> tuple[str, str]:
        return ("task", name)

    xor, par = ("exclusiveGateway", ""), ("parallelGateway", "")
    nodes = {
        "s": ("startEvent", ""),
        "again": xor,
        "register": task("register"),
        "fork": par,
        "lab": task("lab"),
        "imaging": task("imaging"),
        "join": par,
        "decide": xor,
        "approve": task("approve"),
        "reject": task("reject"),
        "decided": xor,
        "notify": task("notify"),
        "archive": task("archive"),
        "e": ("endEvent", ""),
    }
    flows = chain("s", "again", "register", "fork", "lab", "join", "decide", "approve", "decided")
    flows += chain("fork", "imaging", "join") + chain("decide", "reject", "decided")
    flows += chain("decided", "again") + chain("decided", "notify", "archive", "e")
    write_bpmn(path, nodes, flows)


# --- the measured sides, each in its own process ------------------------------------------


def _pm4py():
    with contextlib.redirect_stdout(io.StringIO()):
        import pm4py
    return pm4py


def child_stats(side: str, log: Path) -> dict:
    import pandas as pd

    out: dict = {}
    t = time.perf_counter()
    if side == "ours":
        from upflux_etl.mining.dfg import directly_follows
        from upflux_etl.mining.durations import case_durations
        from upflux_etl.mining.read import read_event_log
        from upflux_etl.mining.variants import variants

        events = read_event_log(log)
        out["read"] = time.perf_counter() - t
        steps = {
            "dfg": lambda: directly_follows(events, times=False).counts(),
            "variants": lambda: variants(events).as_dict(),
            "durations": lambda: sorted(case_durations(events).tolist()),
            "dfg_times": lambda: {
                (e.source, e.target): (e.mean_seconds, e.median_seconds)
                for e in directly_follows(events).edges
            },
        }
    else:
        pm4py = _pm4py()
        frame = pm4py.format_dataframe(pd.read_parquet(log))
        out["read"] = time.perf_counter() - t
        steps = {
            "dfg": lambda: pm4py.discover_dfg(frame)[0],
            "variants": lambda: pm4py.get_variants(frame),
            "durations": lambda: sorted(pm4py.get_all_case_durations(frame)),
            "dfg_times": lambda: {
                k: (v["mean"], v["median"])
                for k, v in pm4py.discover_performance_dfg(frame)[0].items()
            },
        }
    results = {}
    for name, step in steps.items():
        times = []
        for _ in range(REPEAT):  # the best of REPEAT: the machine is shared
            t = time.perf_counter()
            results[name] = step()
            times.append(time.perf_counter() - t)
        out[name] = min(times)
    out["digest"] = {
        "edges": len(results["dfg"]),
        "edge_total": int(sum(results["dfg"].values())),
        "variants": len(results["variants"]),
        "top_variant": max(results["variants"].values()),
        "durations_sum": float(sum(results["durations"])),
        "durations_n": len(results["durations"]),
        "mean_times_sum": round(sum(v[0] for v in results["dfg_times"].values()), 3),
        "median_times_sum": round(sum(v[1] for v in results["dfg_times"].values()), 3),
    }
    return out


def child_align(side: str, log: Path, model: Path) -> dict:
    import pandas as pd

    t = time.perf_counter()
    if side == "ours":
        from upflux_etl.mining.bpmn import read_bpmn
        from upflux_etl.mining.conformance import conformance
        from upflux_etl.mining.read import read_event_log
        from upflux_etl.mining.variants import variants

        found = variants(read_event_log(log))
        result = conformance(found, read_bpmn(model))
        fitness, fitting = result.fitness, result.fitting_share
        n_variants = len(found.sequences)
    else:
        pm4py = _pm4py()
        frame = pm4py.format_dataframe(pd.read_parquet(log))
        net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(model)))
        aligned = pm4py.conformance_diagnostics_alignments(frame, net, im, fm)
        # fitness_alignments' log_fitness: standard costs, silent moves included.
        fitness = 1 - sum(a["cost"] for a in aligned) / sum(a["bwc"] for a in aligned)
        fitting = sum(a["cost"] < 10000 for a in aligned) / len(aligned)
        n_variants = len(pm4py.get_variants(frame))
    return {
        "align": time.perf_counter() - t,
        "fitness": fitness,
        "fitting": fitting,
        "variants": n_variants,
    }


def run_child(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=700_000)
    parser.add_argument("--align-cases", type=int, default=100_000)
    parser.add_argument("--skip-pm4py-align", action="store_true")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, side, *paths = args.child
        result = (
            child_stats(side, Path(paths[0]))
            if kind == "stats"
            else child_align(side, Path(paths[0]), Path(paths[1]))
        )
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big, small, model = folder / "big.parquet", folder / "align.parquet", folder / "m.bpmn"
        events = write_log(big, args.cases, seed=1)
        align_events = write_log(small, args.align_cases, seed=2)
        write_model(model)
        print(
            f"logs: {events:,} events ({args.cases:,} cases); {align_events:,} events "
            f"({args.align_cases:,} cases)",
            file=sys.stderr,
        )
        stats = {side: run_child("stats", side, str(big)) for side in ("ours", "pm4py")}
        print(json.dumps(stats), file=sys.stderr)
        sides = ("ours",) if args.skip_pm4py_align else ("ours", "pm4py")
        align = {side: run_child("align", side, str(small), str(model)) for side in sides}
        print(json.dumps(align), file=sys.stderr)
    report(args, events, align_events, stats, align)


def report(args, events: int, align_events: int, stats: dict, align: dict) -> None:
    ours, theirs = stats["ours"], stats["pm4py"]
    same = ours["digest"] == theirs["digest"]
    print("\n## Process mining against pm4py (`python bench/mining.py`)\n")
    print(
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"{__import__('os').cpu_count()} cores; Python {platform.python_version()}; "
        f"date {datetime.now(UTC):%Y-%m-%d}.\n"
    )
    print(
        f"Statistics on {events:,} events, {args.cases:,} cases (synthetic: a model with a "
        f"parallel gateway and a loop, plus noise; rows shuffled). Same results: {same} "
        f"({ours['digest']['variants']:,} variants, {ours['digest']['edges']} edges).\n"
    )
    print("| step | ours s | pm4py s | x faster |")
    print("|---|---:|---:|---:|")
    labels = {
        "dfg": "directly-follows graph (frequencies; pm4py `discover_dfg`)",
        "variants": "variants (pm4py `get_variants`)",
        "durations": "case durations (pm4py `get_all_case_durations`)",
    }
    for step, label in labels.items():
        ratio = theirs[step] / ours[step]
        print(f"| {label} | {ours[step]:.2f} | {theirs[step]:.2f} | {ratio:.1f} |")
    total_o = sum(ours[s] for s in ("dfg", "variants", "durations"))
    total_t = sum(theirs[s] for s in ("dfg", "variants", "durations"))
    print(f"| all three | {total_o:.2f} | {total_t:.2f} | {total_t / total_o:.1f} |")
    print(
        f"| reading (Parquet -> sorted log; pm4py: read + format_dataframe) | "
        f"{ours['read']:.2f} | {theirs['read']:.2f} | {theirs['read'] / ours['read']:.1f} |"
    )
    print(
        f"| all three + reading | {total_o + ours['read']:.2f} | {total_t + theirs['read']:.2f} "
        f"| {(total_t + theirs['read']) / (total_o + ours['read']):.1f} |"
    )
    print(
        f"| directly-follows times, mean and median (pm4py `discover_performance_dfg`) | "
        f"{ours['dfg_times']:.2f} | {theirs['dfg_times']:.2f} | "
        f"{theirs['dfg_times'] / ours['dfg_times']:.1f} |"
    )
    print(f"| peak MB (whole process) | {ours['peak_mb']:,.0f} | {theirs['peak_mb']:,.0f} | |\n")
    print(f"Times are the best of {REPEAT} runs of each step on the loaded log.\n")
    a = align["ours"]
    print(
        f"Alignment fitness on {align_events:,} events, {args.align_cases:,} cases, "
        f"{a['variants']:,} variants (reading and variants included on both sides):\n"
    )
    print("| side | seconds | fitness | fitting cases | peak MB |")
    print("|---|---:|---:|---:|---:|")
    for side, r in align.items():
        print(
            f"| {side} | {r['align']:.1f} | {r['fitness']:.9f} | {r['fitting']:.4f} | "
            f"{r['peak_mb']:,.0f} |"
        )
    if "pm4py" in align:
        p = align["pm4py"]
        print(
            f"\nEqual: {abs(a['fitness'] - p['fitness']) < 1e-9}; ours "
            f"{p['align'] / a['align']:.1f}x faster."
        )


if __name__ == "__main__":
    main()
