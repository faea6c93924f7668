"""Ingestion throughput against a floor: the same export files just read and rewritten as Parquet by DuckDB.

    .venv/bin/python benchmarks/bench_ingest.py                 # 1 M pupils under /tmp, deleted afterwards
    .venv/bin/python benchmarks/bench_ingest.py --pupils 50000 --keep --profile

Prints rows/s for both and the ratio ours/floor (target: <= 2), with the CPU time of each and the load
average. The floor parses the same CSV files with DuckDB's reader (typed: decimal comma, dd/mm/yyyy) and
writes them as zstd Parquet, one file per export, in the same run and on the same machine, region by
region in turn with ours (so that both see the same changes of load on a shared machine). Ours does
everything ingestion does: decoding, header mapping, typing, every contract check (patterns, code lists,
ranges, rules, calendar, foreign keys, enrollment periods, duplicates), quarantine with the raw values,
lineage, atomic commit and the load log.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestion.loader import discover, ingest_region, regions_in
from synthetic.generate import generate


def run_ours(exports: Path, lake: Path, region: str) -> int:
    """Our ingestion of one region's files; rows read."""
    return sum(r.rows_in for r in ingest_region(exports, lake, region))


def run_floor(con: duckdb.DuckDBPyConnection, exports: Path, out: Path, region: str) -> int:
    """The floor for one region's files: DuckDB reads each file and writes it as zstd Parquet; rows."""
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for i, export in enumerate(discover(exports, region)):
        target = out / f"{region}_{i:05d}.parquet"
        source = export.path.as_posix().replace("'", "''")
        con.execute(
            f"""COPY (SELECT * FROM read_csv('{source}', delim=';', header=true, decimal_separator=',',
                dateformat='%d/%m/%Y')) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"""
        )
        rows += con.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]
    return rows


class Clock:
    """Wall and CPU (all threads of this process) seconds spent in the blocks it timed."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def time(self, run: Callable[[], int]) -> int:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return run()
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def report(label: str, rows: int, clock: Clock) -> None:
    print(
        f"{label:32} {rows:,} rows, {clock.wall:.1f} s, {rows / clock.wall:,.0f} rows/s "
        f"(CPU {clock.cpu:.1f} s)",
        flush=True,
    )


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
        # Region by region, floor and ours in turn (which one goes first alternates): on a shared machine
        # the load changes during a run, and both then see the same periods of it.
        con = duckdb.connect()
        floor_clock, ours_clock = Clock(), Clock()
        floor_rows = ours_rows = 0
        profiler = cProfile.Profile() if args.profile else None
        print(f"start: {load_average()}", flush=True)
        for i, region in enumerate(regions_in(exports)):

            def floor_run(region: str = region) -> int:
                return floor_clock.time(lambda: run_floor(con, exports, floor, region))

            def ours_run(region: str = region) -> int:
                if profiler:
                    profiler.enable()
                try:
                    return ours_clock.time(lambda: run_ours(exports, lake, region))
                finally:
                    if profiler:
                        profiler.disable()

            if i % 2 == 0:
                floor_rows += floor_run()
                ours_rows += ours_run()
            else:
                ours_rows += ours_run()
                floor_rows += floor_run()
            print(
                f"  region {region}: {ours_rows:,} rows so far; floor {floor_clock.wall:.0f} s, "
                f"ours {ours_clock.wall:.0f} s ({load_average()})",
                flush=True,
            )
        print(f"end: {load_average()}")
        report("floor (DuckDB CSV -> Parquet)", floor_rows, floor_clock)
        report("ours (ingestion)", ours_rows, ours_clock)
        print(
            f"ratio ours/floor: {ours_clock.wall / floor_clock.wall:.2f} (target <= 2); "
            f"CPU time ratio {ours_clock.cpu / floor_clock.cpu:.2f}"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    finally:
        if not args.keep:
            shutil.rmtree(args.root, ignore_errors=True)


if __name__ == "__main__":
    main()
