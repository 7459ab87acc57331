"""Generate the demo hospital by hand.

``python -m hospitalis_demo --out DIR`` (or ``upflux demo-erp --out DIR``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from hospitalis_demo import generate


def main(argv: list[str] | None = None, prog: str = "python -m hospitalis_demo") -> int:
    """Parse arguments, generate, print a summary.

    Args:
        argv: the command-line arguments; ``sys.argv[1:]`` when omitted.
        prog: the command name shown in usage and errors (``upflux demo-erp`` delegates here).

    Returns:
        The exit code (argparse exits by itself on bad arguments and ``--help``).
    """
    parser = argparse.ArgumentParser(prog=prog, description="Generate the Hospitalis demo ERP.")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--beds", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--erp-url", help="default: sqlite:///OUT/erp.sqlite")
    parser.add_argument("--platform-url", help="default: sqlite:///OUT/platform.sqlite")
    parser.add_argument("--schema", help="PostgreSQL schema / MariaDB database to (re)create")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    result = generate(
        args.erp_url or f"sqlite:///{out / 'erp.sqlite'}",
        args.platform_url or f"sqlite:///{out / 'platform.sqlite'}",
        out,
        seed=args.seed,
        beds=args.beds,
        months=args.months,
        end_date=args.end_date,
        scale=args.scale,
        schema=args.schema,
        progress=lambda step, f: print(f"[{f:4.0%}] {step}", file=sys.stderr),
    )
    for dataset, rows in result.row_counts.items():
        print(f"{dataset:15} {rows:>10,}")
    print(f"done in {result.seconds:.1f} s: {result.ground_truth_path}, {result.defects_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
