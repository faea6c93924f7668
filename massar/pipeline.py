"""The pipeline's stages as plain functions. The ``massar`` command and the Airflow DAGs both call these:
one code path, no logic in DAG files."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import polars as pl

from massar.settings import DBT_PROJECT_DIR, export_environment, paths

log = logging.getLogger(__name__)

WRITER_POOL = "duckdb_writer"

# dbt runs layer by layer; each selector's tests run with it (their parents are built by then).
DBT_LAYERS: tuple[tuple[str, str], ...] = (
    ("seeds", "resource_type:seed"),
    ("staging", "path:models/staging"),
    ("marts", "path:models/intermediate path:models/marts path:models/restricted path:models/audit"),
)


def generate_exports(
    pupils: int, seed: int = 42, years: int = 1, out: Path | None = None, fault_rate: float = 0.01
) -> dict[str, object]:
    """Write synthetic Massar exports (see ``massar.synthetic``)."""
    from massar.synthetic.generate import generate

    summary = generate(
        out or paths().exports, pupils=pupils, seed=seed, years=years, fault_rate=fault_rate, progress=True
    )
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(summary).items()}


def export_regions() -> list[str]:
    """Region codes present in the exports folder."""
    from ingestion.loader import regions_in

    return regions_in(paths().exports)


def ingest_region(region_code: str) -> dict[str, int]:
    """Ingest one region's exports into the lake; returns the region's reconciled counts."""
    from ingestion.loader import ingest_region as _ingest

    p = paths()
    records = _ingest(p.exports, p.lake, region_code)
    totals = {
        "files": len(records),
        "rows_in": 0,
        "rows_accepted": 0,
        "rows_quarantined": 0,
        "rejected_files": 0,
    }
    for r in records:
        r.check()
        totals["rows_in"] += r.rows_in
        totals["rows_accepted"] += r.rows_accepted
        totals["rows_quarantined"] += r.rows_quarantined
        totals["rejected_files"] += r.status == "rejected"
    log.info("region %s: %s", region_code, totals)
    return totals


def reconcile_regions(per_region: list[dict[str, int]]) -> dict[str, int]:
    """National totals of the regional loads; fails when rows in != accepted + quarantined."""
    keys = ("files", "rows_in", "rows_accepted", "rows_quarantined", "rejected_files")
    totals = {k: sum(r[k] for r in per_region) for k in keys}
    if totals["rows_in"] != totals["rows_accepted"] + totals["rows_quarantined"]:
        raise ValueError(f"rows in != accepted + quarantined: {totals}")
    return totals


def ingest_all() -> dict[str, dict[str, int]]:
    return {region: ingest_region(region) for region in export_regions()}


def load_report() -> pl.DataFrame:
    """Per region and entity: rows in, accepted, quarantined; and quarantined rows by reason."""
    from ingestion.load_log import read_log

    frame = read_log(paths().load_log)
    return (
        frame.group_by("region_code", "entity")
        .agg(
            pl.len().alias("files"),
            pl.col("rows_in").sum(),
            pl.col("rows_accepted").sum(),
            pl.col("rows_quarantined").sum(),
            (pl.col("status") == "rejected").sum().alias("rejected_files"),
        )
        .sort("region_code", "entity")
    )


def quarantine_report() -> pl.DataFrame:
    files = sorted(paths().quarantine.glob("*/*/*/*.parquet"))
    if not files:
        return pl.DataFrame(schema={"entity": pl.String, "reason_code": pl.String, "rows": pl.UInt32})
    frame = pl.concat(
        [pl.read_parquet(f).with_columns(pl.lit(f.parts[-4]).alias("entity")) for f in files], how="diagonal"
    )
    return frame.group_by("entity", "reason_code").agg(pl.len().alias("rows")).sort("entity", "reason_code")


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def run_dbt(*args: str) -> None:
    """Run a dbt command on the project, against the candidate warehouse."""
    env = {**os.environ, **export_environment()}
    cmd = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    log.info("running %s", " ".join(cmd))
    completed = subprocess.run(cmd, env=env, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed (exit {completed.returncode})")


def build_warehouse(full_refresh: bool = False) -> None:
    """dbt build (seeds, models, tests, unit tests) into the candidate warehouse."""
    paths().warehouse.mkdir(parents=True, exist_ok=True)
    run_dbt("build", *(["--full-refresh"] if full_refresh else []))


def check_candidate() -> dict[str, object]:
    """Run the quality gate on the candidate; raise ``GateFailedError`` when a critical check fails."""
    from expectations.gate import enforce, run_gate

    result = run_gate(paths())
    print(result.summary())
    enforce(result)
    return {
        "publishable": result.publishable,
        "warnings": len(result.warnings),
        "data_docs": result.data_docs,
    }


def publish_candidate(keep: int = 5) -> str:
    """Publish the checked candidate atomically; returns the new version name."""
    from warehouse.publish import publish

    p = paths()
    version = publish(p.candidate_db, p.published_dir, keep=keep)
    log.info("published %s", version.version)
    return version.version
