"""Benchmark of the synthetic source: a full school year (every entity) for N pupils.

Prints the time, rows, rows/s and the highest resident set size reached at each step ("simulation" is
the population, classes, staff, absences, grades, exams and parent-secret hashes of a region-year; each
entity's step is formatting, fault injection, drop split and writing), then the totals and the process's
peak RSS.

    .venv/bin/python benchmarks/bench_generate.py --pupils 1000000 [--out DIR] [--keep]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from massar.synthetic.generate import DAILY_DAYS, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fault-rate", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=None, help="default: a temporary folder, removed after")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-generate-"))
    try:
        summary = generate(
            out,
            args.pupils,
            seed=args.seed,
            years=args.years,
            fault_rate=args.fault_rate,
            progress=True,
            daily_days=DAILY_DAYS,
        )
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    total_rows = sum(summary.rows.values())
    print(
        f"pupils={args.pupils:,} years={args.years} seed={args.seed} files={summary.files} "
        f"size={size / 1e9:.2f} GB"
    )
    print(f"{'step':22s} {'seconds':>9s} {'rows':>13s} {'rows/s':>12s} {'peak RSS MB':>12s}")
    for step, seconds in summary.seconds_by_step.items():
        rows = summary.rows.get(step, 0)
        rate = f"{rows / seconds:12,.0f}" if rows and seconds else f"{'':12s}"
        print(f"{step:22s} {seconds:9.1f} {rows:13,d} {rate} {summary.rss_by_step.get(step, 0) / 1e6:12,.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"{'total':22s} {summary.seconds:9.1f} {total_rows:13,d} {total_rows / summary.seconds:12,.0f} "
        f"{peak:12,.0f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
