"""The pipeline's stages as plain functions. The ``massar`` command and the Airflow DAGs both call these:
one code path, no logic in DAG files. The functions that write hold the home's writer lock
(``@holds_writer_lock``, re-entrant: a command or task that already holds it just runs them)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ingestion.lake import recover
from ingestion.load_log import read_log
from massar.settings import DBT_PROJECT_DIR, export_environment, paths, restrict_access
from warehouse.compaction import compact_lake as _compact
from warehouse.writer_lock import holds_writer_lock

# Imported inside the functions that use them: every ``massar`` command imports this module, ``massar
# --help`` included. Measured with ``python -X importtime -c "import massar.cli; import X"`` (2 shared
# cores), on top of the 0.6 s this module and the command take: expectations.gate 9 to 19 s (Great
# Expectations), warehouse.serving 0.7 to 0.9 s (numpy, pyarrow), synthetic.generate 0.6 to 0.9 s,
# ingestion.integrity 0.6 s and ingestion.loader 0.4 to 0.5 s (pyarrow), duckdb and the modules that
# import it (warehouse.publish, warehouse.build_record) 0.3 to 0.4 s.

if TYPE_CHECKING:
    from warehouse.publish import Verdict

log = logging.getLogger(__name__)

WRITER_POOL = "duckdb_writer"

# dbt runs layer by layer; each selector's tests run with it (their parents are built by then).
DBT_LAYERS: tuple[tuple[str, str], ...] = (
    ("seeds", "resource_type:seed"),
    ("staging", "path:models/staging"),
    (
        "marts",
        "path:models/intermediate path:models/marts path:models/restricted path:models/audit "
        "path:models/serving",
    ),
)


def generate_exports(
    pupils: int, seed: int = 42, years: int = 1, out: Path | None = None, fault_rate: float = 0.01
) -> dict[str, object]:
    """Write synthetic Massar exports (see ``synthetic``): bulk files, then the year's last school
    days as daily drops (with late corrections and deletions)."""
    from synthetic.generate import DAILY_DAYS, generate

    summary = generate(
        out or paths().exports,
        pupils=pupils,
        seed=seed,
        years=years,
        fault_rate=fault_rate,
        progress=True,
        daily_days=DAILY_DAYS,
    )
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(summary).items()}


def export_regions() -> list[str]:
    """Region codes present in the exports folder."""
    from ingestion.loader import regions_in

    return regions_in(paths().exports)


@holds_writer_lock()
def ingest_region(region_code: str, verify: bool = False) -> dict[str, int]:
    """Ingest one region's exports into the lake; returns the region's reconciled counts. Damaged lake
    files of the region are rebuilt first (``verify``: their checksums are compared too)."""
    from ingestion.loader import ingest_region as _ingest

    p = paths()
    records = _ingest(p.exports, p.lake, region_code, verify=verify)
    totals = {
        "files": len(records),
        "rows_in": 0,
        "rows_accepted": 0,
        "rows_quarantined": 0,
        "rows_rejected": 0,
        "blank_lines": 0,
        "rejected_files": 0,
    }
    for r in records:
        r.check()
        totals["rows_in"] += r.rows_in
        totals["rows_accepted"] += r.rows_accepted
        totals["rows_quarantined"] += r.rows_quarantined
        totals["rows_rejected"] += r.rows_rejected
        totals["blank_lines"] += r.blank_lines
        totals["rejected_files"] += r.status == "rejected"
    log.info("region %s: %s", region_code, totals)
    return totals


def reconcile_regions(per_region: list[dict[str, int]]) -> dict[str, int]:
    """National totals of the regional loads; fails when rows in != accepted + quarantined + rejected."""
    keys = ("files", "rows_in", "rows_accepted", "rows_quarantined", "rows_rejected", "blank_lines",
            "rejected_files")  # fmt: skip
    totals = {k: sum(r.get(k, 0) for r in per_region) for k in keys}
    if totals["rows_in"] != totals["rows_accepted"] + totals["rows_quarantined"] + totals["rows_rejected"]:
        raise ValueError(f"rows in != accepted + quarantined + rejected: {totals}")
    return totals


def ingest_all() -> dict[str, dict[str, int]]:
    return {region: ingest_region(region) for region in export_regions()}


def load_report() -> pl.DataFrame:
    """Per region and entity: files, rows in, accepted, quarantined, rows of rejected files, blank lines
    skipped, rejected files (from the load log). rows_in = accepted + quarantined + rejected."""

    frame = read_log(paths().load_log)
    return (
        frame.group_by("region_code", "entity")
        .agg(
            pl.len().alias("files"),
            pl.col("rows_in").sum(),
            pl.col("rows_accepted").sum(),
            pl.col("rows_quarantined").sum(),
            pl.col("rows_rejected").sum(),
            pl.col("blank_lines").sum(),
            (pl.col("status") == "rejected").sum().alias("rejected_files"),
        )
        .sort("region_code", "entity")
    )


def _quarantine_counts() -> pl.DataFrame:
    """Quarantined rows per batch and reason: batch_id, region_code, entity, reason_code, rows."""
    quarantine = paths().quarantine
    schema = {
        "batch_id": pl.String,
        "region_code": pl.String,
        "entity": pl.String,
        "reason_code": pl.String,
        "rows": pl.UInt32,
    }
    if not any(quarantine.glob("*/*/*/*.parquet")):
        return pl.DataFrame(schema=schema)
    return (
        pl.scan_parquet(
            str(quarantine / "*" / "*" / "*" / "*.parquet"),
            hive_partitioning=False,
            include_file_paths="__path",
        )
        .select(
            pl.col("_batch_id").alias("batch_id"),
            pl.col("__path").str.extract(r"region_code=([^/]+)/").alias("region_code"),
            pl.col("__path").str.extract(r"_quarantine/([^/]+)/").alias("entity"),
            "reason_code",
        )
        .group_by("batch_id", "region_code", "entity", "reason_code")
        .agg(pl.len().alias("rows"))
        .sort("region_code", "entity", "batch_id", "reason_code")
        .collect()
    )


def quarantine_report() -> pl.DataFrame:
    """Per region and entity: quarantined rows by reason."""
    return (
        _quarantine_counts()
        .group_by("region_code", "entity", "reason_code")
        .agg(pl.col("rows").sum())
        .sort("region_code", "entity", "reason_code")
    )


def batch_report() -> pl.DataFrame:
    """Per batch (one file): status, rows in, accepted, quarantined, and the quarantined rows by reason
    (``reasons``: ``reason=count`` pairs, most frequent first)."""

    log_ = read_log(paths().load_log)
    reasons = (
        _quarantine_counts()
        .sort("rows", "reason_code", descending=[True, False])
        .group_by("batch_id", maintain_order=True)
        .agg(pl.concat_str("reason_code", pl.lit("="), pl.col("rows").cast(pl.String)).str.join(", "))
        .rename({"reason_code": "reasons"})
    )
    return (
        log_.join(reasons, on="batch_id", how="left")
        .select(
            "region_code",
            "source_file",
            "batch_id",
            "status",
            "rows_in",
            "rows_accepted",
            "rows_quarantined",
            "rows_rejected",
            "blank_lines",
            pl.col("reasons").fill_null(""),
            "message",
        )
        .sort("region_code", "source_file")
    )


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


class BuildFailedError(RuntimeError):
    """A dbt build of the candidate failed: the candidate is not publishable (``warehouse.build_record``)."""


def run_dbt(*args: str, record: str | None = None, cwd: Path | None = None) -> None:
    """Run a dbt command on the project, against the candidate warehouse.

    ``record`` (a label): the invocation is a step of the candidate's build; its outcome (dbt's
    ``run_results.json``) is added to the build record, and a failure raises ``BuildFailedError``."""
    from warehouse import build_record

    env = {**os.environ, **export_environment()}
    results = paths().dbt_target / "run_results.json"
    if record is not None:
        results.unlink(missing_ok=True)  # a run that writes none must not be judged by an older one
    cmd = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    log.info("running %s", " ".join(cmd))
    completed = subprocess.run(cmd, env=env, check=False, cwd=cwd)
    restrict_access(paths().restricted_db)
    if record is not None:
        outcome = build_record.record_step(paths().candidate_db, results, completed.returncode, record)
        if outcome["status"] == "failed":
            counts = build_record.describe(outcome["steps"][-1]["counts"])  # type: ignore[index]
            raise BuildFailedError(f"dbt {args[0]} failed (exit {completed.returncode}; {counts})")
    if completed.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed (exit {completed.returncode})")


DBT_ARTIFACTS = ("manifest.json", "run_results.json")


@holds_writer_lock()
def keep_dbt_artifacts(project_dir: str, context: object = None, **_: object) -> None:
    """Copy dbt's artifacts from a project copy's ``target`` folder to ``DBT_TARGET_PATH`` and add the run's
    outcome to the candidate's build record (the Cosmos operators' callback: they run dbt in a temporary
    copy, whose target goes away with it)."""

    from warehouse import build_record

    source, target = Path(project_dir) / "target", paths().dbt_target
    ti = context.get("ti") if hasattr(context, "get") else None  # type: ignore[union-attr]
    task = getattr(ti, "task_id", "")
    restrict_access(paths().restricted_db)
    build_record.record_step(paths().candidate_db, source / "run_results.json", None, str(task))
    target.mkdir(parents=True, exist_ok=True)
    for name in DBT_ARTIFACTS:
        if (source / name).exists():
            shutil.copyfile(source / name, target / f".{name}.tmp")
            os.replace(target / f".{name}.tmp", target / name)


@holds_writer_lock()
def prepare_candidate(planned_steps: int | None = None) -> str | None:
    """Start the candidate warehouse from the current published version (write-audit-publish step 1).

    The candidate inherits the build record of the version it copies (``warehouse.build_record``); with
    ``planned_steps``, a build of that many dbt invocations begins (the DAGs: one per layer).
    Returns the version copied (None when nothing is published yet: dbt then builds from scratch)."""
    from warehouse import build_record
    from warehouse.publish import SUFFIX
    from warehouse.publish import prepare_candidate as _prepare

    p = paths()
    copied = _prepare(p.candidate_db, p.published_dir)
    if copied is None:
        build_record.record_path(p.candidate_db).unlink(missing_ok=True)
    else:
        build_record.inherit(p.candidate_db, p.published_dir / f"{copied}{SUFFIX}", copied)
    if planned_steps is not None:
        build_record.begin(p.candidate_db, p.lake, planned=planned_steps)
    log.info("candidate starts from %s", copied or "an empty warehouse")
    return copied


@holds_writer_lock()
def build_warehouse(full_refresh: bool = False, fresh_candidate: bool = True) -> None:
    """dbt build (seeds, models, tests, unit tests) into the candidate warehouse, recorded in the
    candidate's build record (``BuildFailedError`` when a node fails).

    The candidate first becomes a copy of the published version (``fresh_candidate``), so incremental models
    continue from what is published and a failed build never touches a published file."""
    from warehouse import build_record

    p = paths()
    p.warehouse.mkdir(parents=True, exist_ok=True)
    if fresh_candidate:
        prepare_candidate()
    build_record.begin(p.candidate_db, p.lake, planned=1)
    run_dbt("build", *(["--full-refresh"] if full_refresh else []), record="build")


def lake_sources_with_files() -> list[str]:
    """The tables of the ``massar`` source whose lake glob matches at least one file (dbt var
    ``lake_sources_with_files`` of a Spark build: Spark SQL cannot list files; on DuckDB macro
    lake_source_has_files asks ``glob()``)."""
    from ingestion.dbt_sources import lake_globs

    lake = paths().lake
    return sorted(name for name, pattern in lake_globs().items() if next(lake.glob(pattern), None))


def build_on_spark(select: list[str] | None = None, full_refresh: bool = False, tests: bool = True) -> None:
    """dbt build of the project on Apache Spark (profile target ``spark``, docs/scaling.md) from the same
    lake: the tables go to Spark's warehouse ($MASSAR_HOME/spark/, or the cluster's), not to the DuckDB
    candidate; nothing is recorded for the gate or published (those read DuckDB files). ``select``: dbt
    selectors (``--select``), everything by default; ``tests=False``: seeds and models only (no data or
    unit tests)."""
    env = export_environment()
    paths().spark_dir.mkdir(parents=True, exist_ok=True)
    variables = json.dumps({"lake_sources_with_files": lake_sources_with_files()})
    args = ["build", "--target", "spark", "--vars", variables]
    if select:
        args += ["--select", *select]
    if not tests:
        args += ["--exclude", "resource_type:test", "resource_type:unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    # Spark writes derby.log and its scratch files in the working folder: keep them in the home
    log.info("running dbt %s on Spark (master %s)", " ".join(args), env.get("SPARK_MASTER", "local[2]"))
    run_dbt(*args, cwd=paths().spark_dir)


@holds_writer_lock()
def check_candidate(full: bool = False) -> dict[str, object]:
    """Run the quality gate on the candidate; raise ``GateFailedError`` when a critical check fails.

    The candidate must first be the complete, successful build of the lake as it is
    (``warehouse.build_record.verify``): otherwise ``UnverifiedBuildError`` is raised (and recorded in the
    gate's history as a blocked run) without running the suites. A candidate that differs from the
    published version by daily drops only is checked on what they changed (``expectations.gate.gate_scope``);
    ``full`` checks everything. Returns the verdict that ``publish_candidate`` records with the version,
    bound to this candidate and build (``candidate``, ``build``)."""
    from expectations.gate import enforce, record_refusal, run_gate
    from warehouse import build_record

    p = paths()
    try:
        build = build_record.verify(p.candidate_db, p.lake)
    except build_record.UnverifiedBuildError as exc:
        record_refusal(p, str(exc))
        raise
    result = run_gate(p, full=full, build=str(build["id"]))
    print(result.summary())
    enforce(result)
    return result.verdict()


def _last_verdict() -> dict[str, object] | None:
    """The gate's last record, if it was made on the candidate as it is now."""
    from warehouse.publish import candidate_fingerprint

    p = paths()
    history = p.gx_root / "gate_history.jsonl"
    if not history.exists():
        return None
    lines = history.read_text(encoding="utf-8").strip().splitlines()
    if not lines:
        return None
    record = json.loads(lines[-1])
    if record.get("candidate") != candidate_fingerprint(p.candidate_db):
        return None
    return {
        "publishable": record["publishable"],
        "verdict": record.get("verdict", "pass"),
        "warnings": sum(f["severity"] != "critical" for f in record["failures"]),
        "critical": sum(f["severity"] == "critical" for f in record["failures"]),
        "run_at": record["run_at"],
        "data_docs": record.get("data_docs"),
        "candidate": record.get("candidate"),
        "build": record.get("build"),
    }


def _publishable_verdict(gate: dict[str, object] | None) -> Verdict:
    """The gate's verdict on the candidate as built now (``gate``, else the gate's last record); raises
    ``PublishError`` when the build is not the complete, successful build of the lake as it is, when the
    gate did not check this exact candidate and build, or when it blocked it."""
    from warehouse import build_record
    from warehouse.publish import PublishError, Verdict, candidate_fingerprint

    p = paths()
    build = build_record.verify(p.candidate_db, p.lake)
    gate = gate or _last_verdict()
    if gate is None:
        raise PublishError("the candidate was not checked by the gate since its build: run massar check")
    if gate.get("candidate") != candidate_fingerprint(p.candidate_db) or gate.get("build") != build["id"]:
        raise PublishError(
            "the gate's verdict is not for this candidate as built now (it changed or was rebuilt since): "
            "run massar check"
        )
    if not gate["publishable"]:
        raise PublishError("the quality gate blocked this candidate (critical failures): not publishing")
    return Verdict(
        verdict=str(gate.get("verdict", "pass")),
        warnings=int(gate.get("warnings", 0)),  # type: ignore[call-overload]
        critical=int(gate.get("critical", 0)),  # type: ignore[call-overload]
        gate_run_at=str(gate.get("run_at") or "") or None,
        data_docs=str(gate.get("data_docs") or "") or None,
    )


@holds_writer_lock()
def publish_candidate(keep: int = 5, gate: dict[str, object] | None = None) -> str:
    """Publish the checked candidate atomically, with its serving stores; returns the new version name.

    Refused (``PublishError``) unless the candidate is the complete, successful build of the lake as it is
    (``warehouse.build_record.verify``) and ``gate`` is a passing verdict for this exact candidate and
    build. ``gate`` is ``check_candidate``'s result; without it, the gate's last record is used.

    The version is one unit: the warehouse file and its serving stores (``serving/<version>/``, derived
    from the candidate while the version is copied; the lookup store from the candidate's restricted file,
    which is not copied into the version) are all in place before ``CURRENT`` switches, once."""
    from warehouse import build_record
    from warehouse.publish import new_version_name, publish, stores_dir
    from warehouse.serving import commit_stores, discard_stores, stores_root

    p = paths()
    verdict = _publishable_verdict(gate)
    history = p.gx_root / "gate_history.jsonl"
    name = new_version_name(p.published_dir)
    folder = stores_dir(stores_root(), name)
    started = time.perf_counter()
    # The serving stores are derived from the candidate (the version's content) while the version is
    # copied: the copy is I/O, the stores are DuckDB work. They are put in place once the copy is checked,
    # before the version file is renamed and CURRENT switches.
    with ThreadPoolExecutor(max_workers=1) as pool:
        stores = pool.submit(stage_serving_stores, p.candidate_db, name, restricted_db=p.restricted_db)

        def put_stores_in_place(version: str) -> None:
            staged = stores.result()
            if staged is not None:
                commit_stores(staged)
            log.info("serving stores of %s in place, %.1f s", version, time.perf_counter() - started)

        try:
            version = publish(
                p.candidate_db,
                p.published_dir,
                keep=keep,
                verdict=verdict,
                gate_history=history,
                version=name,
                on_staged=put_stores_in_place,
                stores_root=stores_root(),
            )
        except BaseException:
            if stores.exception() is None:  # waits for the stores; the publication's error is the one raised
                discard_stores(stores.result() or [])
            shutil.rmtree(folder, ignore_errors=True)  # the stores of a version that was not published
            raise
    build_record.keep_with_version(p.candidate_db, version.path)
    log.info(
        "published %s (%s, %s warning(s)) in %.1f s",
        version.version,
        verdict.verdict,
        verdict.warnings,
        time.perf_counter() - started,
    )
    return version.version


@holds_writer_lock()
def rollback_version(version: str | None = None) -> str:
    """Point readers back to an earlier published ``version`` (default: the one before the current), with
    its serving stores; returns the version name. With a damaged ``CURRENT``, naming the version repairs
    the pointer.

    Each version keeps its own stores (``serving/<version>/``): they are rebuilt first only when missing
    (a version published before stores were kept per version), then ``CURRENT`` switches once."""
    from warehouse.publish import SUFFIX, rollback, rollback_target

    p = paths()
    name = rollback_target(p.published_dir, version)
    ensure_serving_stores(p.published_dir / f"{name}{SUFFIX}")
    restored = rollback(p.published_dir, name)
    log.info("rolled back to %s", restored.version)
    return restored.version


def _store_source(store: Path, table: str) -> str | None:
    import duckdb

    try:
        with duckdb.connect(str(store), read_only=True) as con:
            return str(con.execute(f"select source from {table}").fetchall()[0][0])
    except (duckdb.Error, IndexError):
        return None


def lookup_source(published_db: Path) -> Path:
    """The file the lookup store of a published version is built from again: the restricted file when it
    is still the one that version's build wrote (the version's build record names it), or the version
    file itself when it holds the lookup's serving models (published before they moved to the restricted
    file). Otherwise ``PublishError``: a version keeps its own lookup store, the restricted file only
    the last build's rows."""
    import duckdb

    from warehouse import build_record
    from warehouse.publish import PublishError, restricted_fingerprint

    p = paths()
    record = build_record.read(published_db) or {}
    if p.restricted_db.exists() and record.get("restricted") == restricted_fingerprint(p.candidate_db):
        return p.restricted_db
    with duckdb.connect(str(published_db), read_only=True) as con:
        legacy = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'serving' and table_name = 'lookup_pupil'"
        ).fetchall()[0][0]
    if legacy:
        return published_db
    raise PublishError(
        f"the parent lookup store of {published_db.stem} is missing and cannot be rebuilt: the restricted "
        "file holds a later build's rows (publish a new build instead)"
    )


def ensure_serving_stores(published_db: Path) -> None:
    """Write a published version's serving stores when they are missing or not that version's."""
    from warehouse.serving import (
        commit_stores,
        followup_store_path,
        lookup_store_path,
        public_stats_store_path,
    )

    version = published_db.stem
    lookup, stats = lookup_store_path(version), public_stats_store_path(version)
    followup = followup_store_path(version)
    if (
        _store_source(lookup, "meta.build") == version
        and _store_source(stats, "stats.about") == version
        and _store_source(followup, "followup.about") == version
    ):
        return
    staged = stage_serving_stores(published_db, version, full=True, restricted_db=lookup_source(published_db))
    if staged is not None:
        commit_stores(staged)


@holds_writer_lock()
def refresh_lookup_store(published_db: Path, full: bool = False) -> Path | None:
    """Write the serving stores of a published version (``serving/<version>/``): the lookup store patched
    from the current version's (only the pupils whose serving rows changed,
    ``warehouse.serving.update_lookup_store``), or rebuilt with ``full``. The lookup store's rows come from
    ``lookup_source``."""
    from warehouse.serving import commit_stores, lookup_store_path

    staged = stage_serving_stores(
        published_db, published_db.stem, full=full, restricted_db=lookup_source(published_db)
    )
    if staged is None:
        return None
    commit_stores(staged)
    return lookup_store_path(published_db.stem)


def stage_serving_stores(
    source_db: Path, version: str, full: bool = False, *, restricted_db: Path
) -> list[tuple[Path, Path]] | None:
    """Write the public statistics store of a warehouse file and the parent lookup store of its restricted
    file (``version``: the name of the version it is, or will be) in ``serving/<version>/`` under
    temporary names: returns the (written file, target) pairs for ``warehouse.serving.commit_stores``, or
    None when the file has no serving models. The lookup store is patched from the current version's store
    when there is one."""
    import duckdb

    from warehouse.publish import CurrentPointerError, current
    from warehouse.serving import (
        LOOKUP_STORE,
        Staged,
        build_followup_store,
        build_lookup_store,
        build_public_stats_store,
        discard_stores,
        followup_store_path,
        lookup_store_path,
        public_stats_store_path,
        stores_root,
        update_lookup_store,
    )

    with duckdb.connect(str(source_db), read_only=True) as con:
        has_serving = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'serving'"
        ).fetchall()[0][0]
    if not has_serving:
        log.warning("warehouse without serving models: parent lookup store not refreshed")
        return None
    lookup = lookup_store_path(version)
    previous = None
    try:
        live = current(paths().published_dir)
    except CurrentPointerError:
        live = None
    if live is not None and live.version != version:
        previous = lookup_store_path(live.version)
    if previous is None or not previous.exists():
        legacy = stores_root() / LOOKUP_STORE  # the single store of a home published before versions
        previous = legacy if legacy.exists() else None
    staged: Staged = []
    try:
        # public statistics, suppressed (a no-op on older versions)
        build_public_stats_store(
            source_db, target=public_stats_store_path(version), staged=staged, source=version
        )
        # the directorates' follow-up table (Massar codes of chronic absentees), outside the warehouse
        build_followup_store(
            source_db,
            target=followup_store_path(version),
            restricted_db=restricted_db,
            staged=staged,
            source=version,
        )
        if full or previous is None:
            build_lookup_store(restricted_db, target=lookup, staged=staged, source=version)
        else:
            update = update_lookup_store(
                restricted_db, target=lookup, staged=staged, source=version, previous=previous
            )
            log.info(
                "lookup store: %s, %s pupils changed %s", update.mode, update.changed_pupils, update.reason
            )
    except BaseException:
        discard_stores(staged)
        raise
    return staged


def drop_files(region_code: str, days: list[str] | None = None) -> list:
    """A region's export files (``ingestion.reader.ExportFile``); with ``days`` (``yyyy-mm-dd``), only the
    daily drops of those days (``<entity>__<day>.csv`` and ``<entity>__<day>__deleted.csv``)."""
    from ingestion.loader import discover

    files = discover(paths().exports, region_code)
    if days is None:
        return files
    wanted = set(days)
    return [e for e in files if e.period in wanted]


@holds_writer_lock()
def _ingest_exports(region_code: str, exports: list, label: str) -> dict[str, int]:
    """Ingest some of a region's files, after undoing any batch an interrupted run left half-done and
    rebuilding the region's damaged lake files (``ingestion.integrity.ensure_intact``)."""
    from ingestion.integrity import ensure_intact
    from ingestion.loader import LakeCache, ingest_file

    p = paths()
    rolled_back = recover(p.lake, region_code)
    if rolled_back:
        log.warning("region %s: rolled back %d interrupted batch(es)", region_code, len(rolled_back))
    rebuilt = ensure_intact(p.exports, p.lake, region_code)
    if rebuilt:
        log.warning(
            "region %s: rebuilt %d damaged lake file(s): %s", region_code, len(rebuilt), ", ".join(rebuilt)
        )
    cache = LakeCache(p.lake)
    totals = {"files": 0, "rows_in": 0, "rows_accepted": 0, "rows_quarantined": 0, "rows_rejected": 0,
              "blank_lines": 0, "rejected_files": 0}  # fmt: skip
    for export in exports:
        r = ingest_file(export, p.lake, load_log=p.load_log, cache=cache)
        r.check()
        totals["files"] += 1
        totals["rows_in"] += r.rows_in
        totals["rows_accepted"] += r.rows_accepted
        totals["rows_quarantined"] += r.rows_quarantined
        totals["rows_rejected"] += r.rows_rejected
        totals["blank_lines"] += r.blank_lines
        totals["rejected_files"] += r.status == "rejected"
    log.info("%s: %s", label, totals)
    return totals


def ingest_region_drops(region_code: str, days: list[str]) -> dict[str, int]:
    """Ingest only the daily drops of ``days`` for one region (idempotent: loaded content is skipped)."""
    return _ingest_exports(
        region_code, drop_files(region_code, days), f"region {region_code}, drops of {', '.join(days)}"
    )


def ingest_region_entities(region_code: str, entities: list[str]) -> dict[str, int]:
    """Ingest a region's bulk (whole-period) exports of ``entities``: the school-year DAG's start-of-year
    (enrollments, classes, timetables …) and year-close (results, decisions …) loads."""
    wanted = set(entities)
    exports = [e for e in drop_files(region_code) if e.entity in wanted]
    return _ingest_exports(region_code, exports, f"region {region_code}, entities {', '.join(entities)}")


def ingest_region_bulk(region_code: str) -> dict[str, int]:
    """Ingest a region's bulk exports only (``<entity>.csv``), leaving the daily drops to the daily DAG."""
    exports = [e for e in drop_files(region_code) if e.period is None]
    return _ingest_exports(region_code, exports, f"region {region_code}, bulk exports")


def daily_dbt_selector(days: list[str]) -> str:
    """dbt selection for a daily build: only what depends on the sources that received drops on ``days``.

    The candidate is a copy of the published warehouse, so every model outside this selection is already
    current there; seeds are left as published (the school-year DAG rebuilds everything). With nothing
    published yet, everything is selected."""
    from warehouse.publish import current

    if current(paths().published_dir) is None:
        return "fqn:*"
    entities: set[str] = set()
    deletions = False
    for region in export_regions():
        for export in drop_files(region, days):
            entities.add(export.entity)
            deletions = deletions or export.deleted
    sources = [*sorted(entities), "load_log", "quarantine"]
    if "enrollments" in entities:  # its rejected rows trace pupils (int_enrollment__lost_records)
        sources.append("enrollment_quarantine")
    selection = [f"source:massar.{name}+" for name in sources]
    if deletions:
        # A deletion reaches the models through the deleted entity's staging view (selected above with
        # its entity); the deletions view itself is re-created (its SQL depends on which files exist),
        # not everything downstream of it, which is every staging view.
        selection.append("stg_massar__deletions")
    return " ".join(selection)


# What a daily build leaves out (``daily_dbt_exclude``): dbt unit tests (they test code, not data: dbt's
# advice is to run them in development and CI, and the full builds run them), and the data tests of the
# staging and intermediate views. Those views read the whole lake at query time, so their tests cost what
# the history costs; the day's rows were checked against their contract by the ingestion and by the raw
# Great Expectations suites, and the full builds (school-year DAG, ``massar build``) run these tests.
DAILY_DBT_EXCLUDE = " ".join(
    (
        "resource_type:unit_test",
        "resource_type:test,path:models/staging",
        "resource_type:test,path:models/intermediate",
    )
)


def daily_dbt_exclude(days: list[str]) -> str:
    """dbt exclusion of a daily build (``DAILY_DBT_EXCLUDE``, whatever the days: a daily build never runs
    the unit tests and the lake views' tests; the full builds do)."""
    return DAILY_DBT_EXCLUDE


# dbt vars of a daily build: the tests of the batch-driven incremental facts read only the partitions the
# run rewrote (``dbt/macros/scoped_tests.sql``; the other rows are the published ones, already tested).
DAILY_DBT_VARS: dict[str, object] = {"scope_tests_to_changes": True}


def daily_dbt_args(days: list[str]) -> list[str]:
    """``dbt build`` arguments of the daily build of ``days``: the selection, the exclusion and the vars."""
    return [
        "--select",
        daily_dbt_selector(days),
        "--exclude",
        daily_dbt_exclude(days),
        "--vars",
        json.dumps(DAILY_DBT_VARS),
    ]


@holds_writer_lock()
def build_daily(days: list[str]) -> None:
    """The daily dbt build (what the day's drops feed) into the candidate, as the daily DAG runs it: a
    partial build, complete when every selected node succeeded."""
    from warehouse import build_record

    p = paths()
    build_record.begin(p.candidate_db, p.lake, planned=1, kind=f"daily build of {', '.join(days)}")
    run_dbt("build", *daily_dbt_args(days), record="daily")


def school_days(start: str, end: str) -> list[str]:
    """Days from ``start`` to ``end`` (inclusive, ``yyyy-mm-dd``) that are not Sundays."""

    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"empty date range {start}..{end}")
    days = (first + timedelta(n) for n in range((last - first).days + 1))
    return [d.isoformat() for d in days if d.weekday() != 6]


@holds_writer_lock()
def compact_lake() -> dict[str, int]:
    """Maintenance: merge small committed Parquet files per lake partition (see ``warehouse.compaction``)."""

    report = _compact(paths().lake)
    log.info("lake compaction: %s", report)
    return asdict(report)


@holds_writer_lock()
def prune_versions(keep: int = 5) -> list[str]:
    """Maintenance: delete published versions older than the newest ``keep`` (never the current one)."""
    from warehouse.publish import prune
    from warehouse.serving import stores_root

    return prune(paths().published_dir, keep, stores_root())
