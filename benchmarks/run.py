"""Benchmark harness: the whole pipeline at a chosen scale, beside the engine floor and a pandas baseline.

    .venv/bin/python benchmarks/run.py --scale tiny|100k|1m|national [--home DIR] [--stages a,b,...]
        [--years 2] [--seed 42] [--loaded-days N] [--lookups 500] [--keep-going] [--skip-unit-tests]
        [--daily-airflow]

In its own ``MASSAR_HOME`` (default ``/tmp/massar-bench-<scale>``, wiped when ``generate`` runs), every
stage runs in a child process (so each stage's peak RSS is its own: ``getrusage`` of the child and of the
processes it waited for, e.g. dbt) and calls the same library functions as the ``massar`` command:

Stages (what each calls and what its rows/s counts; details in docs/benchmarks.md):
generate (``pipeline.generate_exports``, faults off; lines written), ingest (``pipeline.ingest_region`` per
region; rows in), build (``pipeline.build_warehouse(full_refresh=True)``; lake rows), check
(``pipeline.check_candidate``, the GX gate; mart rows), publish (``pipeline.publish_candidate``; mart rows),
floor (``benchmarks/floor/core_marts.sql``; export lines), pandas (``benchmarks/baselines/``; export
lines), compare (both baselines vs the published marts, ``benchmarks/compare.py``; a mismatch fails the
run), daily (the held-back day: ``ingest_region_drops``, ``prepare_candidate``, ``build_daily``,
``check_candidate``, ``publish_candidate``, as the ``massar_daily`` DAG does;
the day's rows), daily_compare (the floor again after the increment vs the published marts), dashboards
(every ``dashboards.data_access`` query function, national scope, latest year, caches cleared; rows
returned), lookup (parent lookups on the real serving store, p50/p99), sizing (rows and bytes per entity
and mart, scaled to 9 M pupils).

Held-back day: the exports' last daily drop day (``--loaded-days N``: the last year's drops start after its
first N school days, and every drop day of that year is held back; the increment loads the first) is moved
out of the exports folder before ingestion and moved back for the ``daily`` stage. A ``daily`` stage run
again on the same home first undoes the previous increment (not timed: ``setup_s``). ``--daily-airflow``
runs the day through the ``massar_daily`` DAG (``dag.test()``) instead of calling its functions.

Prints a table and writes ``benchmarks/results/<scale>-<UTC timestamp>.json``; exits 1 when a stage failed
or a baseline's numbers differ from the marts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH_DIR))

SCALES: dict[str, int] = {"tiny": 2_000, "100k": 100_000, "1m": 1_000_000, "national": 9_000_000}
STAGES: tuple[str, ...] = (
    "generate",
    "ingest",
    "build",
    "check",
    "publish",
    "floor",
    "pandas",
    "compare",
    "daily",
    "daily_compare",
    "dashboards",
    "lookup",
    "sizing",
)
STATE_FILE = "bench_state.json"
HELD_BACK = "held_back"


# ------------------------------------------------------------------------------------------- state


def _state(home: Path) -> dict[str, Any]:
    path = home / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _save_state(home: Path, **values: Any) -> None:
    state = _state(home) | values
    (home / STATE_FILE).write_text(json.dumps(state, indent=2, default=str))


def _peak_rss_bytes() -> int:
    """Highest resident set of this process and of the children it waited for (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024


# ------------------------------------------------------------------------------------------- helpers


def _drop_day(path: Path) -> str | None:
    """``absences__2025-06-30.csv`` -> ``2025-06-30``; bulk files -> None."""
    parts = path.stem.split("__")
    return parts[1] if len(parts) > 1 else None


def _export_files(exports: Path) -> list[Path]:
    return sorted(p for p in exports.glob("*/*/*.csv"))


def _data_lines(files: list[Path]) -> int:
    total = 0
    for path in files:
        with path.open("rb") as f:
            total += max(0, sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1)
    return total


def _move_days(src_root: Path, dst_root: Path, days: set[str]) -> list[str]:
    moved = []
    for path in sorted(src_root.glob("*/*/*.csv")):
        if _drop_day(path) in days:
            target = dst_root / path.relative_to(src_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            moved.append(str(target.relative_to(dst_root)))
    return moved


def _marts_rows(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' and table_type = 'BASE TABLE'"
        ).fetchall()
        return sum(con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for (t,) in tables)


def _published_db() -> Path:
    from massar.settings import paths
    from warehouse.publish import current

    version = current(paths().published_dir)
    if version is None:
        raise RuntimeError("nothing published")
    return Path(version.path)


def _floor_sql(exports: Path) -> str:
    text = (BENCH_DIR / "floor" / "core_marts.sql").read_text(encoding="utf-8")
    return text.replace("${EXPORTS}", exports.as_posix()).replace(
        "${SEEDS}", (REPO / "dbt" / "seeds").as_posix()
    )


def run_floor(exports: Path, db: Path) -> None:
    import duckdb

    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute(_floor_sql(exports))


def compare_with(prefix: str, attach: str) -> list[dict[str, Any]]:
    import duckdb
    from compare import compare

    con = duckdb.connect()
    con.execute(f"attach '{_published_db()}' as ours (read_only)")
    con.execute(attach)
    return [vars(c) | {"equal": c.equal} for c in compare(con, "ours.marts.", prefix)]


# ------------------------------------------------------------------------------------------- stages
# Each returns (rows, rows_label, extra); the harness times the call.


def stage_generate(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    from massar import pipeline

    if opts["loaded_days"] is None:
        summary = pipeline.generate_exports(
            pupils=opts["pupils"], seed=opts["seed"], years=opts["years"], fault_rate=0.0
        )
        rows = sum(summary["rows"].values())  # type: ignore[union-attr]
        extra = {"files": summary["files"], "faults": summary["faults"]}
    else:
        # the last year's daily drops start after its first N school days (generate's own daily_from)
        from synthetic.calendar import school_days, school_year_label
        from synthetic.generate import generate

        last = school_year_label(2024 + opts["years"] - 1)
        start = school_days(last)[opts["loaded_days"]]
        result = generate(
            home / "exports",
            opts["pupils"],
            seed=opts["seed"],
            years=opts["years"],
            fault_rate=0.0,
            progress=True,
            daily_from=start,
        )
        rows = sum(result.rows.values())
        extra = {"files": result.files, "faults": result.faults}
    return rows, "lines written", extra


def hold_back(home: Path, loaded_days: int | None) -> dict[str, Any]:
    """Move the increment day's drops (and, with --loaded-days, every later drop day) out of the exports."""
    exports = home / "exports"
    years = sorted(p.name for p in exports.iterdir() if p.is_dir())
    last_year_days = sorted({d for p in exports.glob(f"{years[-1]}/*/*.csv") if (d := _drop_day(p))})
    if not last_year_days:
        raise RuntimeError("the exports have no daily drops: nothing to run the daily increment on")
    held = set(last_year_days) if loaded_days is not None else {last_year_days[-1]}
    day = min(held)
    moved = _move_days(exports, home / HELD_BACK, held)
    return {"increment_day": day, "held_back_days": sorted(held), "held_back_files": len(moved)}


def reset_to_exports(home: Path) -> list[str]:
    """Start a home again from its generated exports (``--reuse-exports``): everything derived from them
    (lake, warehouse, serving stores, Data Docs, Airflow and dbt state, baseline outputs) is removed, and
    the increment day is held back again, as right after ``generate``. Returns what was removed."""
    state = _state(home)
    day = state.get("increment_day")
    if not (home / "exports").is_dir() or day is None:
        raise RuntimeError(f"{home} has no generated exports to reuse: run the generate stage")
    _move_days(home / "exports", home / HELD_BACK, {day})  # the day is in the exports once loaded
    kept = {"exports", HELD_BACK, STATE_FILE, "bench.log"}
    removed = []
    for path in sorted(home.iterdir()):
        if path.name in kept:
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        removed.append(path.name)
    (home / STATE_FILE).write_text(json.dumps({"increment_day": day}, indent=2))
    return removed


def stage_ingest(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    from massar import pipeline

    per_region = [pipeline.ingest_region(r) for r in pipeline.export_regions()]
    totals = pipeline.reconcile_regions(per_region)
    _save_state(home, ingest=totals)
    return totals["rows_in"], "rows in", totals


def stage_build(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    from massar import pipeline

    pipeline.build_warehouse(full_refresh=True)
    return int(_state(home)["ingest"]["rows_accepted"]), "lake rows", dbt_timing()


def dbt_timing(top: int = 12) -> dict[str, Any]:
    """Where dbt's time went (``run_results.json``): seconds per resource type and the slowest nodes.
    Node times overlap (dbt runs 2 threads), so they add up to more than the wall time."""
    from massar.settings import paths

    path = paths().dbt_target / "run_results.json"
    if not path.exists():
        return {}
    results = json.loads(path.read_text())["results"]
    by_type: dict[str, float] = {}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        by_type[kind] = round(by_type.get(kind, 0.0) + r["execution_time"], 1)
    slowest = sorted(results, key=lambda r: -r["execution_time"])[:top]
    return {
        "dbt_nodes": len(results),
        "dbt_seconds_by_type": by_type,
        "dbt_slowest": {r["unique_id"].split(".", 2)[-1]: round(r["execution_time"], 1) for r in slowest},
    }


def stage_check(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    from massar import pipeline
    from massar.settings import paths

    verdict = pipeline.check_candidate()
    rows = _marts_rows(paths().candidate_db)
    _save_state(home, marts_rows=rows)
    return rows, "mart rows", {"verdict": verdict.get("verdict"), "warnings": verdict.get("warnings")}


def stage_publish(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    from massar import pipeline

    version = pipeline.publish_candidate()
    db = _published_db()
    return (
        int(_state(home).get("marts_rows", 0)),
        "mart rows",
        {"version": version, "warehouse_bytes": db.stat().st_size},
    )


def stage_floor(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    run_floor(home / "exports", home / "floor.duckdb")
    return (
        _data_lines(_export_files(home / "exports")),
        "export lines",
        {"floor_db_bytes": (home / "floor.duckdb").stat().st_size},
    )


def stage_pandas(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    from baselines.pandas_core_marts import build

    out = home / "pandas_marts"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    for name, frame in build(home / "exports").items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    return _data_lines(_export_files(home / "exports")), "export lines", {}


def stage_compare(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    results: dict[str, Any] = {}
    if (home / "floor.duckdb").exists():
        results["floor"] = compare_with(
            "floor.main.", f"attach '{home / 'floor.duckdb'}' as floor (read_only)"
        )
    pandas_dir = home / "pandas_marts"
    if pandas_dir.exists():
        import duckdb

        db = home / "pandas_marts.duckdb"
        db.unlink(missing_ok=True)
        with duckdb.connect(str(db)) as con:
            for path in sorted(pandas_dir.glob("*.parquet")):
                con.execute(f"create table {path.stem} as select * from read_parquet('{path}')")
        results["pandas"] = compare_with("pandas.main.", f"attach '{db}' as pandas (read_only)")
    keys = sum(v["keys_ours"] for side in results.values() for v in side)
    results["all_equal"] = bool(results) and all(v["equal"] for side in results.values() for v in side)
    return keys, "keys compared", results


def _undo_daily(home: Path, day: str, before: str) -> None:
    """Put a home back as it was before its daily stage, so the stage can be measured again on the same
    data: readers back on the version published before the increment (the versions published since are
    deleted), the day's batches removed from the lake (accepted rows, deletions, quarantine) and from the
    load log, the day's files held back again."""
    from ingestion.load_log import log_path, read_log
    from massar.pipeline import rollback_version
    from massar.settings import paths
    from warehouse.publish import versions

    p = paths()
    rollback_version(before)  # the serving stores follow, as ``massar rollback`` does
    # the versions the undone increment published go too: repeated measurements never prune ``before``
    for name in versions(p.published_dir):
        if name > before:
            (p.published_dir / f"{name}.duckdb").unlink()
    log_ = read_log(p.load_log)
    batches = [
        (row["region_code"], row["batch_id"])
        for row in log_.iter_rows(named=True)
        if _drop_day(Path(row["source_file"])) == day
    ]
    for region_code, batch_id in batches:
        for path in p.lake.glob(f"**/{batch_id}.parquet"):
            if path != log_path(p.load_log, region_code, batch_id):
                path.unlink()
        log_path(p.load_log, region_code, batch_id).unlink()
    _move_days(home / "exports", home / HELD_BACK, {day})
    # as in the daily routine, the candidate holds the version readers see (``prepare_candidate`` keeps it)
    from massar.pipeline import prepare_candidate

    prepare_candidate()
    print(f"daily stage undone: {len(batches)} batch(es) of {day} removed, readers back on {before}")


def stage_daily(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    from massar import pipeline
    from massar.settings import paths
    from warehouse.publish import current

    state = _state(home)
    day = state["increment_day"]
    setup_started = time.perf_counter()
    if state.get("daily_done") == day and state.get("published_before_daily"):
        _undo_daily(home, day, state["published_before_daily"])  # measure the same increment again
        _save_state(home, daily_done=None)
    setup_s = round(time.perf_counter() - setup_started, 3)
    before = current(paths().published_dir)
    if before is None:
        raise RuntimeError("nothing published")  # an increment needs a published warehouse
    _save_state(home, published_before_daily=before.version)
    _move_days(home / HELD_BACK, home / "exports", {day})
    steps: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        started = time.perf_counter()
        result = fn()
        steps[name] = round(time.perf_counter() - started, 3)
        return result

    if opts.get("daily_airflow"):
        return _daily_through_airflow(home, day, setup_s)
    per_region = timed(
        "ingest", lambda: [pipeline.ingest_region_drops(r, [day]) for r in pipeline.export_regions()]
    )
    totals = pipeline.reconcile_regions(per_region)
    timed("prepare_candidate", pipeline.prepare_candidate)
    timed("dbt_build", lambda: pipeline.build_daily([day]))  # the daily DAG's selection and exclusions
    gate = timed("check", pipeline.check_candidate)
    timed("publish", lambda: pipeline.publish_candidate(gate=gate))
    _save_state(home, daily_done=day)
    extra = {"day": day, "steps_s": steps, "ingest": totals, "setup_s": setup_s}
    return totals["rows_in"], "day rows in", extra | dbt_timing()


def _daily_through_airflow(home: Path, day: str, setup_s: float) -> tuple[int, str, dict[str, Any]]:
    """The held-back day through the real ``massar_daily`` DAG (``dag.test()``: one process, SQLite
    metadata), Airflow's own overhead included; the Airflow database set-up is not timed."""
    from ingestion.load_log import read_log
    from massar.orchestration import prepare_airflow, run_dag
    from massar.settings import paths

    started = time.perf_counter()
    prepare_airflow()
    setup_s += time.perf_counter() - started
    started = time.perf_counter()
    state = run_dag("massar_daily", {"day": day})
    seconds = round(time.perf_counter() - started, 3)
    if state != "success":
        raise RuntimeError(f"the daily DAG ended {state}")
    _save_state(home, daily_done=day)
    log_ = read_log(paths().load_log)
    day_rows = [r["rows_in"] for r in log_.iter_rows(named=True) if _drop_day(Path(r["source_file"])) == day]
    rows = int(sum(day_rows))
    extra = {"day": day, "via": "massar_daily dag.test()", "dag_s": seconds, "setup_s": round(setup_s, 3)}
    return rows, "day rows in", extra | dbt_timing()


def stage_daily_compare(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    if not _state(home).get("daily_done"):
        raise RuntimeError("the daily increment did not complete: nothing to compare")
    run_floor(home / "exports", home / "floor_after_daily.duckdb")
    floor = compare_with("floor.main.", f"attach '{home / 'floor_after_daily.duckdb'}' as floor (read_only)")
    return (
        sum(v["keys_ours"] for v in floor),
        "keys compared",
        {"floor": floor, "all_equal": all(v["equal"] for v in floor)},
    )


def _query_functions() -> dict[str, Any]:
    import importlib
    import inspect
    import pkgutil

    from dashboards import data_access

    found = {}
    for info in pkgutil.iter_modules(data_access.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{data_access.__name__}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                found[f"{info.name}.{name}"] = fn
    return found


def stage_dashboards(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    import inspect

    import duckdb

    from dashboards import data_access
    from dashboards.scope import NATIONAL

    with duckdb.connect(str(_published_db()), read_only=True) as con:
        year = con.execute("select max(school_year) from marts.fct_enrollment").fetchone()[0]
    data_access.clear_caches()
    per_function: dict[str, dict[str, Any]] = {}
    rows = 0
    with data_access.timed_queries() as timings:
        for name, fn in sorted(_query_functions().items()):
            params = inspect.signature(fn).parameters
            kwargs: dict[str, Any] = {}
            if "scope" in params:
                kwargs["scope"] = NATIONAL
            if "school_year" in params:
                kwargs["school_year"] = year
            before = len(timings)
            started = time.perf_counter()
            try:
                result = fn(**kwargs)
                error = None
            except Exception as exc:  # a page's query failing is reported, not fatal to the benchmark
                result, error = None, f"{type(exc).__name__}: {exc}"[:200]
            n = getattr(result, "height", None)
            n = n if n is not None else (len(result) if isinstance(result, list | tuple | dict) else 1)
            rows += n if error is None else 0
            per_function[name] = {
                "seconds": round(time.perf_counter() - started, 4),
                "queries": len(timings) - before,
                "rows": n if error is None else 0,
                **({"error": error} if error else {}),
            }
    slowest = sorted(per_function.items(), key=lambda kv: -kv[1]["seconds"])[:5]
    return (
        rows,
        "rows returned",
        {
            "functions": len(per_function),
            "errors": sum("error" in v for v in per_function.values()),
            "query_seconds_total": round(sum(s for _, s in timings), 3),
            "slowest": {k: v["seconds"] for k, v in slowest},
            "per_function": per_function,
        },
    )


def stage_lookup(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    import csv
    import random
    import tempfile

    from bench_lookup import time_lookups

    from dashboards.public.store import ServingStore
    from warehouse.serving import lookup_store_path

    store_path = lookup_store_path()
    store = ServingStore(store_path)
    codes = [r[0] for r in store._con.execute("select student_code from lookup.pupil").fetchall()]
    secrets: dict[str, str] = {}
    for path in (home / "exports").glob("*/parent_secrets.csv"):
        with path.open(encoding="utf-8-sig", newline="") as f:
            secrets.update({r["student_code"]: r["secret"] for r in csv.DictReader(f, delimiter=";")})
    rng = random.Random(1)
    known = [c for c in rng.sample(codes, min(len(codes), opts["lookups"])) if c in secrets]
    with tempfile.TemporaryDirectory() as tmp:
        figures = time_lookups(store, Path(tmp) / "state.sqlite", [(c, secrets[c]) for c in known], rng)
    return 3 * len(known), "lookups", {"store_pupils": len(codes), **figures}


NATIONAL_PUPILS = 9_000_000


def stage_sizing(home: Path, opts: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    """Rows and bytes per entity (exports, lake) and per mart, measured, and scaled linearly to a
    national school year (9 M pupils) by the pupil-years measured here."""
    import duckdb

    exports, lake = home / "exports", home / "lake"
    db = _published_db()
    with duckdb.connect(str(db), read_only=True) as con:
        pupil_years = con.execute("select count(*) from marts.fct_enrollment").fetchone()[0]
        marts = con.execute(
            "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
            "where schema_name in ('marts', 'serving', 'audit') order by 1"
        ).fetchall()
    from massar.settings import paths

    if paths().restricted_db.exists():  # the pupils' identity and the lookup's rows: a file of their own
        with duckdb.connect(str(paths().restricted_db), read_only=True) as con:
            marts += con.execute(
                "select 'restricted file: ' || schema_name || '.' || table_name, estimated_size "
                "from duckdb_tables() where schema_name in ('restricted', 'serving') order by 1"
            ).fetchall()
    scale = NATIONAL_PUPILS / pupil_years
    entities: dict[str, dict[str, float]] = {}
    for path in _export_files(exports):
        e = entities.setdefault(
            path.name.split("__")[0].removesuffix(".csv"), {"csv_rows": 0, "csv_bytes": 0}
        )
        e["csv_rows"] += _data_lines([path])
        e["csv_bytes"] += path.stat().st_size
    con = duckdb.connect()
    for name, e in entities.items():
        files = list((lake / name).rglob("*.parquet"))
        e["lake_bytes"] = sum(f.stat().st_size for f in files)
        e["lake_rows"] = (
            con.execute(
                "select coalesce(sum(num_rows), 0) from parquet_file_metadata(?)", [[str(f) for f in files]]
            ).fetchone()[0]
            if files
            else 0
        )
        e["national_rows_per_year"] = round(e["csv_rows"] * scale / opts["years"])
        e["national_csv_gb_per_year"] = round(e["csv_bytes"] * scale / opts["years"] / 1e9, 2)
        e["national_lake_gb_per_year"] = round(e["lake_bytes"] * scale / opts["years"] / 1e9, 2)
    warehouse = {t: {"rows": n, "national_rows_per_year": round(n * scale / opts["years"])} for t, n in marts}
    extra = {
        "pupil_years": pupil_years,
        "national_scale_factor": round(scale, 2),
        "warehouse_bytes": db.stat().st_size,
        "national_warehouse_gb_per_year": round(db.stat().st_size * scale / opts["years"] / 1e9, 1),
        "exports_bytes": sum(e["csv_bytes"] for e in entities.values()),
        "lake_bytes": sum(e["lake_bytes"] for e in entities.values()),
        "entities": entities,
        "tables": warehouse,
    }
    return sum(int(e["csv_rows"]) for e in entities.values()), "export lines", extra


STAGE_FUNCTIONS = {name: globals()[f"stage_{name}"] for name in STAGES}


# ------------------------------------------------------------------------------------------- harness


def run_stage_in_child(name: str, home: Path, opts: dict[str, Any], log: Path) -> dict[str, Any]:
    out = home / f".stage-{name}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--_stage", name, "--home", str(home), "--_opts", json.dumps(opts)]
    started = time.perf_counter()
    with log.open("ab") as f:
        f.write(f"\n===== {name} {datetime.now(UTC):%H:%M:%S}\n".encode())
        f.flush()
        code = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, env=os.environ.copy())
    wall = time.perf_counter() - started
    if code != 0 or not out.exists():
        return {"stage": name, "ok": False, "wall_s": round(wall, 2), "error": f"exit {code}, see {log}"}
    return json.loads(out.read_text()) | {"ok": True, "process_wall_s": round(wall, 2)}


def child(name: str, home: Path, opts: dict[str, Any]) -> int:
    """Run one stage in this (fresh) process and write its figures."""
    from massar.settings import export_environment

    export_environment()
    started = time.perf_counter()
    rows, label, extra = STAGE_FUNCTIONS[name](home, opts)
    # a stage's own preparation (the daily stage undoing an earlier increment) is not part of its time
    seconds = time.perf_counter() - started - float(extra.get("setup_s", 0.0))
    if name == "generate":
        extra |= hold_back(home, opts["loaded_days"])
        _save_state(home, increment_day=extra["increment_day"])
    result = {
        "stage": name,
        "seconds": round(seconds, 3),
        "rows": rows,
        "rows_label": label,
        "rows_per_s": round(rows / seconds) if seconds > 0 else None,
        "peak_rss_mb": round(_peak_rss_bytes() / 1e6),
        "extra": extra,
    }
    (home / f".stage-{name}.json").write_text(json.dumps(result, default=str))
    return 0


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(int(mem) / 1e6, 1),
        "python": platform.python_version(),
        "load_avg_start": os.getloadavg(),
    }


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    s = {r["stage"]: r for r in results if r.get("ok")}

    def sec(*names: str) -> float | None:
        return sum(s[n]["seconds"] for n in names) if all(n in s for n in names) else None

    ours_core = sec("ingest", "build")
    ours_full = sec("ingest", "build", "check", "publish")
    floor = sec("floor")
    pandas = sec("pandas")
    out: dict[str, Any] = {
        "ours_ingest_build_s": ours_core,
        "ours_ingest_build_check_publish_s": ours_full,
        "floor_s": floor,
        "pandas_s": pandas,
        "end_to_end_s": sec("generate", "ingest", "build", "check", "publish"),
        "peak_rss_mb": max((r.get("peak_rss_mb", 0) for r in results if r.get("ok")), default=None),
    }
    if ours_core and floor:
        out["ratio_ours_core_over_floor"] = round(ours_core / floor, 2)
    if ours_full and floor:
        out["ratio_ours_full_over_floor"] = round(ours_full / floor, 2)
    if ours_core and pandas:
        out["ratio_pandas_over_ours_core"] = round(pandas / ours_core, 2)
    if "daily" in s:
        out["daily_s"] = s["daily"]["seconds"]
    if "lookup" in s:
        out["lookup_right_secret_p50_ms"] = s["lookup"]["extra"]["right secret"]["p50_ms"]
        out["lookup_right_secret_p99_ms"] = s["lookup"]["extra"]["right secret"]["p99_ms"]
    for check in ("compare", "daily_compare"):
        if check in s:
            out[f"{check}_all_equal"] = s[check]["extra"]["all_equal"]
    return out


def print_table(results: list[dict[str, Any]], totals: dict[str, Any]) -> None:
    print(f"\n{'stage':14} {'seconds':>9} {'rows':>14} {'rows/s':>12} {'peak RSS MB':>12}  rows =")
    for r in results:
        if not r.get("ok"):
            print(f"{r['stage']:14} {'FAILED':>9}  {r.get('error', '')}")
            continue
        rate = f"{r['rows_per_s']:12,d}" if r.get("rows_per_s") is not None else f"{'':12}"
        print(
            f"{r['stage']:14} {r['seconds']:9.1f} {r['rows']:14,d} {rate} {r['peak_rss_mb']:12,d}  "
            + r["rows_label"]
        )
    for key, value in totals.items():
        print(f"  {key}: {value}")


def _parser() -> argparse.ArgumentParser:
    """The command line of the benchmark (and of its stage children)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="tiny")
    parser.add_argument("--pupils", type=int, default=None, help="override the scale's pupil count")
    parser.add_argument("--home", type=Path, default=None, help="MASSAR_HOME (wiped when generate runs)")
    parser.add_argument(
        "--stages", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}"
    )
    parser.add_argument("--years", type=int, default=2, help="school years (flows need 2)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--loaded-days",
        type=int,
        default=None,
        help="last year: bulk holds its first N school days; the increment loads day N+1",
    )
    parser.add_argument("--lookups", type=int, default=500, help="parent lookups per kind")
    parser.add_argument(
        "--results", type=Path, default=BENCH_DIR / "results", help="folder of the JSON results"
    )
    parser.add_argument("--keep-going", action="store_true", help="run later stages after a failed one")
    parser.add_argument(
        "--daily-airflow",
        action="store_true",
        help="daily stage: the day through the massar_daily DAG (dag.test(), with Airflow overhead)",
    )
    parser.add_argument(
        "--skip-unit-tests",
        action="store_true",
        help="dbt builds exclude unit tests (DBT_EXCLUDE_RESOURCE_TYPES=unit_test): fixed-size checks of the "
        "business rules, run by the test suite; data tests still run",
    )
    parser.add_argument(
        "--reuse-exports",
        action="store_true",
        help="without generate: keep the home's exports, remove everything derived from them, hold the "
        "increment day back again (a re-run of the later stages from a clean lake)",
    )
    parser.add_argument("--_stage", help=argparse.SUPPRESS)
    parser.add_argument("--_opts", help=argparse.SUPPRESS)
    return parser


def _run_stages(
    stages: list[str], home: Path, opts: dict[str, Any], log: Path, *, keep_going: bool
) -> list[dict[str, Any]]:
    """The stages asked for, in the order of ``STAGES``, each in a child process; stops at the first that
    fails unless ``keep_going``."""
    results: list[dict[str, Any]] = []
    for name in STAGES:
        if name not in stages:
            continue
        result = run_stage_in_child(name, home, opts, log)
        results.append(result)
        status = f"{result['seconds']:.1f} s" if result["ok"] else f"FAILED ({result['error']})"
        print(f"  {name:14} {status}", flush=True)
        if not result["ok"] and not keep_going:
            break
    return results


def _write_record(
    args: argparse.Namespace,
    opts: dict[str, Any],
    results: list[dict[str, Any]],
    totals: dict[str, Any],
    started_at: datetime,
    load_at_start: tuple[float, float, float],
    home: Path,
) -> Path:
    """The run's JSON record (options, machine, stages, summary) in the results folder; returns its path."""
    record = {
        "scale": args.scale,
        "options": opts,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine() | {"load_avg_start": load_at_start, "load_avg_end": os.getloadavg()},
        "home": str(home),
        "stages": results,
        "summary": totals,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    label = args.scale if args.pupils is None else f"{args.pupils}p"
    label += "" if args.loaded_days is None else f"-loaded{args.loaded_days}"
    label += "-airflow" if args.daily_airflow else ""
    out = args.results / f"{label}-{started_at:%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(record, indent=2, default=str))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)

    home = (args.home or Path(f"/tmp/massar-bench-{args.scale}")).resolve()
    os.environ["MASSAR_HOME"] = str(home)
    os.environ.setdefault("AIRFLOW_HOME", str(home / "airflow"))
    if args.skip_unit_tests:
        os.environ["DBT_EXCLUDE_RESOURCE_TYPES"] = "unit_test"
    if args._stage:
        # the project's own progress lines (with their times) go to the stage's log
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for package in ("massar", "ingestion", "expectations", "warehouse"):
            logging.getLogger(package).setLevel(logging.INFO)
        return child(args._stage, home, json.loads(args._opts))

    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stages: {sorted(unknown)}")
    opts = {
        "pupils": args.pupils or SCALES[args.scale],
        "years": args.years,
        "seed": args.seed,
        "loaded_days": args.loaded_days,
        "lookups": args.lookups,
        "daily_airflow": args.daily_airflow,
        "dbt_unit_tests": not args.skip_unit_tests,
    }
    if "generate" in stages:
        shutil.rmtree(home, ignore_errors=True)
    elif args.reuse_exports:
        print(f"reusing the exports of {home}: removed {', '.join(reset_to_exports(home)) or 'nothing'}")
    home.mkdir(parents=True, exist_ok=True)
    log = home / "bench.log"
    started_at = datetime.now(UTC)
    load_at_start = os.getloadavg()
    print(f"benchmark {args.scale}: {opts['pupils']:,} pupils, {args.years} year(s), home {home}, log {log}")
    results = _run_stages(stages, home, opts, log, keep_going=args.keep_going)
    totals = summary(results)
    print_table(results, totals)
    out = _write_record(args, opts, results, totals, started_at, load_at_start, home)
    print(f"results: {out}")
    failed = [r["stage"] for r in results if not r["ok"]]
    mismatch = any(totals.get(k) is False for k in ("compare_all_equal", "daily_compare_all_equal"))
    if mismatch:
        print("MISMATCH: a baseline's numbers differ from the published marts (see the JSON)")
    return 1 if failed or mismatch else 0


if __name__ == "__main__":
    raise SystemExit(main())
