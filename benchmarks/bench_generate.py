"""Benchmark of the synthetic source: a full school year (every entity) for N pupils.

Prints the time, rows, rows/s and the highest resident set size reached at each step ("simulation" is
the population, classes, staff, absences, grades, exams and parent-secret hashes of a region-year; each
entity's step is formatting, fault injection, drop split and writing), then the totals and the process's
peak RSS.

    .venv/bin/python benchmarks/bench_generate.py --pupils 1000000 [--out DIR] [--keep] [--record DIR]
        [--chunk-pupils N]

A region larger than ``--chunk-pupils`` (default ``synthetic.chunks.CHUNK_PUPILS``) is generated in
chunks (see docs/synthetic.md, "Scale"); "writing (wait)" is the time spent waiting for the writer thread
to finish the previous entity's files (reported apart, not in the next entity's step).

``--record DIR`` also writes the figures to ``DIR/generate-<pupils>p-<UTC time>.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthetic.chunks import CHUNK_PUPILS
from synthetic.generate import DAILY_DAYS, GenerationSummary, generate


def _record(folder: Path, args: argparse.Namespace, summary: GenerationSummary, size: int, peak_mb: float,
            load_start: tuple[float, ...], started: str, cpu: float) -> Path:  # fmt: skip
    """``generate-<pupils>p-<time>.json`` and ``.md`` with the step figures of the run."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"generate-{args.pupils}p-{started.replace('-', '').replace(':', '')[:15]}Z"
    steps = [
        {
            "step": step,
            "seconds": round(seconds, 2),
            "rows": summary.rows.get(step, 0),
            "rows_per_s": round(summary.rows.get(step, 0) / seconds) if seconds else None,
            "rss_after_mb": round(summary.rss_by_step.get(step, 0) / 1e6),
        }
        for step, seconds in summary.seconds_by_step.items()
    ]
    total_rows = sum(summary.rows.values())
    result = {
        "benchmark": "generate",
        "started_at": started,
        "options": {
            "pupils": args.pupils,
            "years": args.years,
            "seed": args.seed,
            "fault_rate": args.fault_rate,
            "daily_days": DAILY_DAYS,
            "chunk_pupils": args.chunk_pupils,
        },
        "chunks_per_region": summary.chunks,
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "load_avg_start": [round(x, 1) for x in load_start],
            "load_avg_end": [round(x, 1) for x in os.getloadavg()],
        },
        "files": summary.files,
        "size_gb": round(size / 1e9, 2),
        "seconds": round(summary.seconds, 1),
        "cpu_seconds": round(cpu, 1),  # user + system time of the process (all its threads)
        "rows": total_rows,
        "rows_per_s": round(total_rows / summary.seconds),
        "peak_rss_mb": round(peak_mb),
        "steps": steps,
    }
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# Synthetic source: {args.pupils:,} pupils, {args.years} school year(s)",
        "",
        f"Started {started}; load average {result['machine']['load_avg_start']} at the start, "
        f"{result['machine']['load_avg_end']} at the end ({os.cpu_count()} cores shared with other "
        "engineers).",
        f"{summary.files} files, {size / 1e9:.2f} GB; total {summary.seconds:.1f} s wall "
        f"({cpu:.1f} s of CPU, "
        f"user + system), {total_rows:,} rows ({total_rows / summary.seconds:,.0f} rows/s), "
        f"peak RSS {peak_mb:,.0f} MB.",
        f"Chunks of at most {args.chunk_pupils:,} pupils: {sum(summary.chunks.values())} "
        f"({', '.join(f'{k}: {v}' for k, v in summary.chunks.items() if v > 1) or 'one per region'}).",
        "",
        "| step | seconds | rows | rows/s | RSS after step (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for st in steps:
        rate = f"{st['rows_per_s']:,}" if st["rows"] and st["rows_per_s"] else ""
        rows = f"{st['rows']:,}" if st["rows"] else ""
        lines.append(f"| {st['step']} | {st['seconds']:.1f} | {rows} | {rate} | {st['rss_after_mb']:,} |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return stem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fault-rate", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=None, help="default: a temporary folder, removed after")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--record", type=Path, default=None, help="write generate-*.json/.md figures here")
    parser.add_argument("--chunk-pupils", type=int, default=CHUNK_PUPILS, help="largest chunk of a region")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-generate-"))
    load_start = os.getloadavg()
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    try:
        summary = generate(
            out,
            args.pupils,
            seed=args.seed,
            years=args.years,
            fault_rate=args.fault_rate,
            progress=True,
            daily_days=DAILY_DAYS,
            chunk_pupils=args.chunk_pupils,
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
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    print(
        f"{'total':22s} {summary.seconds:9.1f} {total_rows:13,d} {total_rows / summary.seconds:12,.0f} "
        f"{peak:12,.0f}"
    )
    print(f"cpu (user + system) {cpu:.1f} s; load average at the end {os.getloadavg()}")
    if args.record:
        stem = _record(args.record, args, summary, size, peak, load_start, started, cpu)
        print(f"recorded: {stem}.{{json,md}}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
