"""The quality gate: run the checkpoints on the candidate and decide, in one place, whether to publish.

Checkpoints run through a file-backed Great Expectations context under ``$MASSAR_HOME/gx``, so every run
keeps its validation results (the history) and rebuilds the Data Docs site.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import great_expectations as gx
import pandas as pd
import polars as pl
from great_expectations.checkpoint import UpdateDataDocsAction

from expectations.suites import CRITICAL, dim_school_suite, enrollment_by_region_suite, raw_entity_suite
from ingestion.codelists import allowed_codes
from ingestion.contracts import CONTRACTS
from massar.settings import Paths

log = logging.getLogger(__name__)

DATASOURCE = "massar_frames"
RAW_ENTITIES = ("pupils",)


class GateFailedError(Exception):
    """A critical expectation failed: the candidate must not be published."""


@dataclass
class Failure:
    suite: str
    expectation: str
    column: str | None
    severity: str
    description: str
    on_failure: str
    observed: str


@dataclass
class GateResult:
    run_at: str
    suites: dict[str, bool] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    data_docs: str | None = None

    @property
    def critical(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity != CRITICAL]

    @property
    def publishable(self) -> bool:
        return not self.critical

    def summary(self) -> str:
        lines = [f"quality gate: {'PASS' if self.publishable else 'BLOCKED'} ({len(self.suites)} suites)"]
        for f in self.failures:
            lines.append(f"  [{f.severity}] {f.suite}: {f.expectation}({f.column or ''}) — {f.description}")
            lines.append(f"      observed: {f.observed}; action: {f.on_failure}")
        return "\n".join(lines)


def _lake_frame(lake: Path, entity: str) -> pl.DataFrame:
    files = sorted((lake / entity).glob("*/*/*.parquet"))
    if not files:
        return pl.DataFrame()
    return pl.read_parquet(
        files, hive_partitioning=True, hive_schema={"school_year": pl.String(), "region_code": pl.String()}
    )


def _expected_pupils(lake: Path) -> int:
    enrollments = _lake_frame(lake, "enrollments")
    if enrollments.is_empty():
        return 0
    return enrollments.select(pl.struct("school_year", "student_code").n_unique()).item()


def _mart(candidate_db: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(candidate_db), read_only=True) as con:
        return con.execute(f"select * from {table}").df()  # table names are constants of this module


def _validate(context: gx.data_context.AbstractDataContext, suite: gx.ExpectationSuite, frame: pd.DataFrame):
    source = context.data_sources.add_or_update_pandas(DATASOURCE)
    asset_name = suite.name
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(name=asset_name)
    try:
        batch_definition = asset.get_batch_definition("whole")
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"validate_{suite.name}", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"gate_{suite.name}",
            validation_definitions=[definition],
            actions=[UpdateDataDocsAction(name="update_data_docs")],
            result_format={"result_format": "SUMMARY"},
        )
    )
    return checkpoint.run(batch_parameters={"dataframe": frame})


def run_gate(paths: Paths, candidate_db: Path | None = None) -> GateResult:
    """Validate the raw lake batches and the candidate marts. Never raises on a failed expectation:
    the caller decides (see ``enforce``)."""
    candidate_db = candidate_db or paths.candidate_db
    paths.gx_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(paths.gx_root))
    result = GateResult(run_at=datetime.now(UTC).isoformat(timespec="seconds"))

    plan: list[tuple[gx.ExpectationSuite, pd.DataFrame]] = []
    for entity in RAW_ENTITIES:
        frame = _lake_frame(paths.lake, entity)
        lake_cols = [c for c in frame.columns if not c.startswith("_")]
        plan.append((raw_entity_suite(CONTRACTS[entity]), frame.select(lake_cols).to_pandas()))
    plan.append(
        (
            enrollment_by_region_suite(_expected_pupils(paths.lake), sorted(allowed_codes("regions"))),
            _mart(candidate_db, "marts.agg_enrollment_by_region"),
        )
    )
    plan.append((dim_school_suite(), _mart(candidate_db, "marts.dim_school")))

    for suite, frame in plan:
        checkpoint_result = _validate(context, suite, frame)
        result.suites[suite.name] = bool(checkpoint_result.success)
        for run in checkpoint_result.run_results.values():
            for r in run.results:
                if r.success:
                    continue
                cfg = r.expectation_config
                observed = r.result.get("observed_value", r.result.get("unexpected_count", ""))
                result.failures.append(
                    Failure(
                        suite=suite.name,
                        expectation=cfg.type,
                        column=cfg.kwargs.get("column"),
                        severity=str(getattr(cfg, "severity", CRITICAL) or CRITICAL).split(".")[-1].lower(),
                        description=cfg.description or "",
                        on_failure=(cfg.meta or {}).get("on_failure", ""),
                        observed=str(observed)[:200],
                    )
                )
    docs = context.get_docs_sites_urls()
    result.data_docs = docs[0]["site_url"] if docs else None
    _append_history(paths.gx_root, result)
    return result


def _append_history(gx_root: Path, result: GateResult) -> None:
    record = {
        "run_at": result.run_at,
        "publishable": result.publishable,
        "suites": result.suites,
        "failures": [asdict(f) for f in result.failures],
    }
    with (gx_root / "gate_history.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def enforce(result: GateResult) -> None:
    """Raise when the gate blocks publishing; log warnings otherwise."""
    for failure in result.warnings:
        log.warning("quality warning (publishing with a flag): %s %s", failure.suite, failure.description)
    if not result.publishable:
        raise GateFailedError(result.summary())
