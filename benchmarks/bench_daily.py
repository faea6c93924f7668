"""One school day end to end, against a full rebuild, at a chosen scale, with a per-stage profile.

    .venv/bin/python benchmarks/bench_daily.py --pupils 2000 [--seed 11] [--airflow] [--home DIR] [--days 2]

In ``--home`` (kept; exports already there are reused) or a temporary ``MASSAR_HOME``: generate a synthetic
country (with daily drops for the last days of the year), then time

- **full rebuild**: ingest the bulk exports, build the warehouse from nothing (``dbt build
  --full-refresh``), quality gate, publish;
- **school days**, one after the other (``--days``, default 1): ingest that day's drops per region, candidate
  from the published version, incremental ``dbt build`` of what the drops feed
  (``pipeline.daily_dbt_selector``), quality gate, publish. With ``--airflow``, each day runs through the
  ``massar_daily`` DAG (``dag.test()``), so the figure includes Airflow's own overhead.

For each dbt build it prints the slowest nodes (from dbt's ``run_results.json``); publishing is split into the
version copy, the public statistics store and the parent lookup's serving store (an incremental update of
the pupils whose serving rows changed; a full build when there is no usable store yet). Prints wall times
and the ratio (target at 1 M pupils: one day < 60 s and <= 10 % of the full rebuild).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TOP_NODES = 8


def _timed(label: str, step: Callable[[], object], indent: str = "  ") -> float:
    started = time.perf_counter()
    step()
    elapsed = time.perf_counter() - started
    print(f"{indent}{label:<44} {elapsed:8.1f} s", flush=True)
    return elapsed


def _dbt_profile(target: Path) -> None:
    """The slowest nodes of the last dbt invocation, and the totals per resource type."""
    results_file = target / "run_results.json"
    if not results_file.exists():
        return
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    per_type: dict[str, list[float]] = {}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        per_type.setdefault(kind, []).append(r["execution_time"])
    totals = ", ".join(f"{k} {len(v)} nodes {sum(v):.1f} s" for k, v in sorted(per_type.items()))
    print(f"      dbt nodes: {totals}")
    for r in sorted(results, key=lambda r: -r["execution_time"])[:TOP_NODES]:
        print(f"      {r['execution_time']:7.1f} s  {r['unique_id'].split('.', 2)[-1]}")


class _Split:
    """Times the parts of ``pipeline.publish_candidate`` (version copy, serving stores)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = time.perf_counter() - started

        setattr(module, name, timed)

    def report(self) -> None:
        for label, seconds in self.seconds.items():
            print(f"      {label:<42} {seconds:8.1f} s")
        self.seconds.clear()


def _one_day(day: str, regions: list[str], target: Path, split: _Split, airflow: bool) -> float:
    """Run and time one school day; returns its end-to-end seconds."""
    from massar import pipeline

    print(f"one school day ({day}):")
    if airflow:
        from massar.orchestration import run_dag

        daily = _timed("massar_daily DAG (dag.test)", lambda: run_dag("massar_daily", {"day": day}))
        _dbt_profile(target)
    else:
        daily = _timed(
            "ingest the day's drops", lambda: [pipeline.ingest_region_drops(r, [day]) for r in regions]
        )
        daily += _timed("candidate from the published version", pipeline.prepare_candidate)
        daily += _timed("dbt build (what the drops feed)", lambda: pipeline.build_daily([day]))
        _dbt_profile(target)
        gate: dict[str, object] = {}
        daily += _timed("quality gate", lambda: gate.update(pipeline.check_candidate()))
        daily += _timed("publish", lambda: pipeline.publish_candidate(gate=gate))
    split.report()
    print(f"  {'one school day, end to end':<44} {daily:8.1f} s")
    return daily


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--days", type=int, default=1, help="school days to run one after the other")
    parser.add_argument("--airflow", action="store_true", help="run each day through the massar_daily DAG")
    parser.add_argument("--home", type=Path, help="data folder to use and keep (exports there are reused)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = parser.parse_args()

    home = args.home.resolve() if args.home else Path(tempfile.mkdtemp(prefix="massar-bench-"))
    keep = args.keep or args.home is not None
    if args.home is not None:
        # a fresh lake and warehouse: the figures are those of a first full build, then the days
        for folder in ("lake", "warehouse", "dbt-target", "gx", "serving"):
            shutil.rmtree(home / folder, ignore_errors=True)
    os.environ["MASSAR_HOME"] = str(home)
    os.environ.setdefault("AIRFLOW_HOME", str(home / "airflow"))
    import warehouse.publish
    import warehouse.serving
    from massar import pipeline
    from massar.settings import export_environment, paths
    from synthetic.generate import generate

    export_environment()
    split = _Split()
    split.wrap(warehouse.publish, "publish", "publish: version copy + record")
    split.wrap(warehouse.serving, "update_lookup_store", "publish: parent lookup store update")
    split.wrap(warehouse.serving, "build_lookup_store", "publish: parent lookup store full build")
    split.wrap(warehouse.serving, "build_public_stats_store", "publish: public statistics store")
    target = paths().dbt_target
    try:
        print(f"bench_daily: {args.pupils} pupils, seed {args.seed}, data in {home}, {os.cpu_count()} cores")
        if not any((home / "exports").glob("*/*/absences__*.csv")):
            _timed(
                "generate exports",
                lambda: generate(home / "exports", pupils=args.pupils, seed=args.seed, daily_days=5),
            )
        regions = pipeline.export_regions()
        days = sorted({p.stem.split("__")[1][:10] for p in (home / "exports").glob("*/*/absences__*.csv")})
        if not days:
            print("the generator wrote no daily drops: nothing to measure")
            return 1

        print("full rebuild:")
        full = _timed(
            "ingest bulk exports (12 regions)", lambda: [pipeline.ingest_region_bulk(r) for r in regions]
        )
        full += _timed("dbt build --full-refresh", lambda: pipeline.build_warehouse(full_refresh=True))
        _dbt_profile(target)
        gate: dict[str, object] = {}
        full += _timed("quality gate", lambda: gate.update(pipeline.check_candidate()))
        full += _timed("publish", lambda: pipeline.publish_candidate(gate=gate))
        split.report()

        daily_times = [_one_day(day, regions, target, split, args.airflow) for day in days[: args.days]]
        print(
            f"full rebuild: {full:.1f} s   one school day: "
            + ", ".join(f"{d:.1f} s" for d in daily_times)
            + f"   ratio (first day): {daily_times[0] / full:.0%}"
        )
        return 0
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
