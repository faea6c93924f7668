"""Ingestion throughput against a floor: the same export files just read and rewritten as Parquet by DuckDB.

    .venv/bin/python benchmarks/bench_ingest.py                 # 1 M pupils under /tmp, deleted afterwards
    .venv/bin/python benchmarks/bench_ingest.py --pupils 50000 --keep --profile

Prints rows/s for both and the ratio ours/floor (target: <= 2). The floor parses the same CSV files with
DuckDB's reader (typed: decimal comma, dd/mm/yyyy) and writes them as zstd Parquet, one file per export,
in the same run and on the same machine. Ours does everything ingestion does: decoding, header mapping,
typing, every contract check (patterns, code lists, ranges, rules, calendar, foreign keys, enrollment
periods, duplicates), quarantine with the raw values, lineage, atomic commit and the load log.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestion.loader import discover, ingest_region, regions_in
from massar.synthetic.generate import generate


def run_ours(exports: Path, lake: Path) -> tuple[float, int]:
    started = time.perf_counter()
    rows = 0
    for region in regions_in(exports):
        rows += sum(r.rows_in for r in ingest_region(exports, lake, region))
        elapsed = time.perf_counter() - started
        print(f"  ours: region {region} done, {rows:,} rows in {elapsed:.0f} s", flush=True)
    return time.perf_counter() - started, rows


def run_floor(exports: Path, out: Path) -> tuple[float, int]:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    started = time.perf_counter()
    rows = 0
    for i, export in enumerate(discover(exports)):
        target = out / f"{i:05d}.parquet"
        source = export.path.as_posix().replace("'", "''")
        con.execute(
            f"""COPY (SELECT * FROM read_csv('{source}', delim=';', header=true, decimal_separator=',',
                dateformat='%d/%m/%Y')) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"""
        )
        rows += con.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]
    return time.perf_counter() - started, rows


def report(label: str, rows: int, seconds: float) -> None:
    print(f"{label:32} {rows:,} rows, {seconds:.1f} s, {rows / seconds:,.0f} rows/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/massar_bench_ingest"))
    parser.add_argument("--keep", action="store_true", help="keep the generated exports and the lake")
    parser.add_argument("--profile", action="store_true", help="cProfile our ingestion, top 25 by time")
    args = parser.parse_args()

    exports, lake, floor = args.root / "exports", args.root / "lake", args.root / "floor"
    if not any(exports.glob("*/manifest.json")):
        started = time.perf_counter()
        generate(exports, pupils=args.pupils, seed=42, fault_rate=0.01)
        print(f"generated {args.pupils} pupils in {time.perf_counter() - started:.0f} s", flush=True)
    shutil.rmtree(lake, ignore_errors=True)
    shutil.rmtree(floor, ignore_errors=True)
    size = sum(p.stat().st_size for p in exports.rglob("*.csv"))
    print(f"exports: {size / 1e9:.2f} GB in {len(discover(exports))} files", flush=True)

    try:
        floor_s, floor_rows = run_floor(exports, floor)
        report("floor (DuckDB CSV -> Parquet)", floor_rows, floor_s)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        ours_s, ours_rows = run_ours(exports, lake)
        if profiler:
            profiler.disable()
        report("ours (ingestion)", ours_rows, ours_s)
        print(f"ratio ours/floor: {ours_s / floor_s:.2f} (target <= 2)")
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    finally:
        if not args.keep:
            shutil.rmtree(args.root, ignore_errors=True)


if __name__ == "__main__":
    main()
