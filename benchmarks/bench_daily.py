"""One school day end to end, against a full rebuild, at a chosen scale.

    .venv/bin/python benchmarks/bench_daily.py --pupils 2000 [--seed 11] [--airflow] [--keep]

In a temporary ``MASSAR_HOME``: generate a synthetic country (with daily drops for the last days of the
year), then time

- **full rebuild**: ingest the bulk exports, build the warehouse from nothing (``dbt build
  --full-refresh``), quality gate, publish;
- **one school day**: ingest that day's drops per region, candidate from the published version,
  incremental ``dbt build``, quality gate, publish. With ``--airflow``, the day runs through the
  ``massar_daily`` DAG (``dag.test()``), so the figure includes Airflow's own overhead. The daily build
  selects only the models fed by the sources that received drops (``pipeline.daily_dbt_selector``): the
  rest of the candidate is the published version, already current.

Prints wall times and the ratio (target at 1 M pupils: one day < 60 s and <= 10 % of the full rebuild).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _timed(label: str, step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    elapsed = time.perf_counter() - started
    print(f"  {label:<42} {elapsed:8.1f} s", flush=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--airflow", action="store_true", help="run the day through the massar_daily DAG")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="massar-bench-"))
    os.environ["MASSAR_HOME"] = str(home)
    os.environ.setdefault("AIRFLOW_HOME", str(home / "airflow"))
    from massar import pipeline
    from massar.settings import export_environment
    from massar.synthetic.generate import generate

    export_environment()
    try:
        print(f"bench_daily: {args.pupils} pupils, seed {args.seed}, data in {home}")
        _timed(
            "generate exports",
            lambda: generate(home / "exports", pupils=args.pupils, seed=args.seed, daily_days=5),
        )
        regions = pipeline.export_regions()
        days = sorted({p.stem.split("__")[1][:10] for p in (home / "exports").glob("*/*/absences__*.csv")})
        if not days:
            print("the generator wrote no daily drops: nothing to measure")
            return 1
        day = days[0]

        print("full rebuild:")
        full = _timed(
            "ingest bulk exports (12 regions)", lambda: [pipeline.ingest_region_bulk(r) for r in regions]
        )
        full += _timed("dbt build --full-refresh", lambda: pipeline.build_warehouse(full_refresh=True))
        gate: dict[str, object] = {}
        full += _timed("quality gate", lambda: gate.update(pipeline.check_candidate()))
        full += _timed("publish", lambda: pipeline.publish_candidate(gate=gate))

        print(f"one school day ({day}):")
        if args.airflow:
            from massar.orchestration import run_dag

            daily = _timed("massar_daily DAG (dag.test)", lambda: run_dag("massar_daily", {"day": day}))
        else:
            daily = _timed(
                "ingest the day's drops", lambda: [pipeline.ingest_region_drops(r, [day]) for r in regions]
            )
            daily += _timed("candidate from the published version", pipeline.prepare_candidate)
            selector = pipeline.daily_dbt_selector([day])
            daily += _timed(
                "dbt build (what the drops feed)", lambda: pipeline.run_dbt("build", "--select", selector)
            )
            gate = {}
            daily += _timed("quality gate", lambda: gate.update(pipeline.check_candidate()))
            daily += _timed("publish", lambda: pipeline.publish_candidate(gate=gate))

        print(f"full rebuild: {full:.1f} s   one school day: {daily:.1f} s   ratio: {daily / full:.0%}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
