"""The quality gate: decide, in one place, whether to publish the candidate.

The data tests dbt ran on the candidate's build (keys, mandatory columns, code lists, ranges, business
rules) are not run again: their outcome is read from the candidate's build record (dbt's run results, kept
per invocation by ``warehouse.build_record``), and every one that did not pass is a failure of the
``dbt_tests`` suite (critical, or a warning for a test of ``warn`` severity), named, with what it guards
and what to do. The gate itself checks what dbt's tests cannot (``expectations.suites``): the ingestion
contract on the lake rows, the reconciliation of the marts with the lake, freshness, day-over-day
anomalies and the regions' coverage. These run as checkpoints through a file-backed Great Expectations
context under ``$MASSAR_HOME/gx``, so every run keeps its validation results (the history) and rebuilds
the Data Docs site.
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
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations import data_docs, thresholds
from expectations.suites import (
    CRITICAL,
    WARNING,
    absence_anomaly_suite,
    enrollment_by_region_suite,
    freshness_suite,
    raw_entity_suite,
)
from ingestion.codelists import allowed_codes
from ingestion.contracts import CONTRACTS
from ingestion.state import current_state
from massar.settings import Paths, limit_memory
from warehouse import build_record
from warehouse.publish import candidate_fingerprint, current

log = logging.getLogger(__name__)

DATASOURCE = "massar_frames"
RAW_ENTITIES = ("pupils",)
#: the suite under which dbt's data tests that did not pass are reported
DBT_TESTS_SUITE = "dbt_tests"


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
    candidate: str = ""
    scope: str = "full"
    build: str = ""  # the id of the candidate's build record (``warehouse.build_record``)
    dbt_tests_run: int | None = None  # the build's data tests (None: no build record read)
    dbt_tests_failed: list[str] = field(default_factory=list)  # names of those that did not pass

    @property
    def critical(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity != CRITICAL]

    @property
    def publishable(self) -> bool:
        return not self.critical

    def verdict(self) -> dict[str, object]:
        """What publishing records with the version (``audit.publication``)."""
        return {
            "publishable": self.publishable,
            "verdict": "blocked" if not self.publishable else ("warn" if self.warnings else "pass"),
            "warnings": len(self.warnings),
            "critical": len(self.critical),
            "run_at": self.run_at,
            "data_docs": self.data_docs,
            # what the verdict is about: publishing refuses it for any other candidate or build
            "candidate": self.candidate,
            "build": self.build,
            # dbt's data tests of the build that failed or warned, by name (their details: ``failures``)
            "dbt_tests": self.dbt_tests_failed,
        }

    def summary(self) -> str:
        lines = [f"quality gate: {'PASS' if self.publishable else 'BLOCKED'} ({len(self.suites)} suites)"]
        if self.dbt_tests_run is not None:
            lines.append(
                f"  dbt data tests of the build: {self.dbt_tests_run} run, read from its run results"
            )
        for f in self.failures:
            lines.append(f"  [{f.severity}] {f.suite}: {f.expectation}({f.column or ''}) — {f.description}")
            lines.append(f"      observed: {f.observed}; action: {f.on_failure}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Scope:
    """What the gate validates of the lake. ``full``: every lake batch. Otherwise a daily run's: the lake
    batches loaded since the published version (``batches``). The mart suites (reconciliation, freshness,
    day-over-day anomalies) always read their whole marts; the daily dbt build ran the data tests of every
    model it rebuilt (on the partitions it rewrote, for the batch-driven facts:
    dbt/macros/scoped_tests.sql), whose outcome the gate reads from the build record."""

    full: bool = True
    reason: str = "full validation"
    batches: frozenset[str] = frozenset()

    def describe(self) -> str:
        return f"full ({self.reason})" if self.full else f"daily: {len(self.batches)} new batches"


def _load_log_batches(db: Path) -> pl.DataFrame | None:
    """``audit.load_log`` of a warehouse file (None when it has none)."""
    with duckdb.connect(str(db), read_only=True) as con:
        present = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'audit' "
            "and table_name = 'load_log'"
        ).fetchall()[0][0]
        if not present:
            return None
        return con.sql("select batch_id, source_file from audit.load_log").pl()


def gate_scope(paths: Paths, candidate_db: Path) -> Scope:
    """The daily scope when the candidate differs from the published version by daily drops only (the
    batches in the candidate's ``audit.load_log`` and not in the published one's); full otherwise
    (nothing published, no new batch, or a bulk export among them: a start-of-year or full build)."""
    live = current(paths.published_dir)
    if live is None or not live.path.exists():
        return Scope(reason="nothing published yet")
    new, published = _load_log_batches(candidate_db), _load_log_batches(live.path)
    if new is None or published is None:
        return Scope(reason="no load log in the warehouse")
    added = new.filter(~pl.col("batch_id").is_in(published["batch_id"].implode()))
    if added.is_empty():
        return Scope(reason="no batch since the published version")
    bulk = added.filter(~pl.col("source_file").str.contains("__"))
    if not bulk.is_empty():
        return Scope(reason=f"{bulk.height} bulk export(s) loaded")
    return Scope(full=False, reason="daily drops", batches=frozenset(added["batch_id"]))


def _lake_frame(root: Path, entity: str, batches: frozenset[str] | None = None) -> pl.DataFrame:
    """An entity's accepted rows in the lake (only the files of ``batches`` when given)."""
    files = sorted((root / entity).glob("*/*/*.parquet"))
    if batches is not None:
        files = [f for f in files if f.stem in batches]
    if not files:
        return pl.DataFrame()
    return pl.read_parquet(
        files, hive_partitioning=True, hive_schema={"school_year": pl.String(), "region_code": pl.String()}
    )


def _expected_pupils(lake: Path) -> int:
    """Pupil-years with an enrollment in the lake's current state (corrections and deletions applied),
    computed here from the lake files, independently of dbt."""

    enrollments = _lake_frame(lake, "enrollments")
    if enrollments.is_empty():
        return 0
    deletions = _lake_frame(lake / "_deletions", "enrollments")
    current = current_state(
        enrollments, list(CONTRACTS["enrollments"].primary_key), deletions if deletions.height else None
    )
    return current.select(pl.struct("school_year", "student_code").n_unique()).item()


def _lake_glob(lake: Path, entity: str) -> str | None:
    if not any((lake / entity).glob("*/*/*.parquet")):
        return None
    return (
        f"read_parquet('{lake / entity}/*/*/*.parquet', hive_partitioning=true, "
        "hive_types={'school_year': 'VARCHAR', 'region_code': 'VARCHAR'}, union_by_name=true)"
    )


def freshness_frame(con: duckdb.DuckDBPyConnection, lake: Path) -> pd.DataFrame | None:
    """Per region: the last day loaded in the lake (latest drop date of accepted absences; the absence date
    when the lake has no drop dates), the last absence day in the lake and in ``marts.fct_absence``, and
    ``school_days_behind``: the school days between the region's last school day loaded and the most
    advanced region's, in the latest school year, from ``marts.agg_absence_freshness`` (the same figure
    and definition as the data-quality page's freshness table: days with a roll call or an absence,
    counted on the school calendar). A region of the lake without any such day counts every loaded day
    of the most advanced region."""
    source = _lake_glob(lake, "absences")
    if source is None:
        return None
    columns = {r[0] for r in con.execute(f"describe select * from {source}").fetchall()}
    loaded = "max(_drop_date)" if "_drop_date" in columns else "max(absence_date)"
    return con.execute(
        f"""
        with lake as (
            select region_code, {loaded} as last_day_loaded, max(absence_date) as lake_last_absence
            from {source} group by 1
        ),
        mart as (
            select region_code, max(absence_date) as mart_last_absence from marts.fct_absence group by 1
        ),
        latest as (
            select region_code, last_day_number
            from marts.agg_absence_freshness
            where school_year = (select max(school_year) from marts.agg_absence_freshness)
        ),
        national as (select max(last_day_number) as last_day_number from latest)
        select lake.region_code, last_day_loaded, lake_last_absence, mart_last_absence,
            coalesce(date_diff('day', mart_last_absence, lake_last_absence), 9999) as mart_lag_days,
            (national.last_day_number - coalesce(latest.last_day_number, 0))::integer as school_days_behind
        from lake
        left join mart using (region_code)
        left join latest using (region_code)
        cross join national
        order by 1
        """
    ).df()


def anomaly_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per region: absences on its last day against the mean and deviation of the previous days."""
    return con.execute(
        f"""
        with daily as (
            select region_code, absence_date, count(*) as absences
            from marts.fct_absence group by 1, 2
        ),
        ranked as (
            select *, row_number() over (partition by region_code order by absence_date desc) as back
            from daily
        ),
        history as (
            select region_code, avg(absences) as mean_absences, stddev_samp(absences) as std_absences,
                count(*) as days
            from ranked where back between 2 and {thresholds.ANOMALY_WINDOW + 1} group by 1
        )
        select r.region_code, r.absence_date as last_day, r.absences as last_day_absences,
            h.mean_absences, h.std_absences,
            case when h.days >= {thresholds.ANOMALY_MIN_DAYS} and h.std_absences > 0
                then (r.absences - h.mean_absences) / h.std_absences end as z_score
        from ranked r left join history h using (region_code)
        where r.back = 1
        order by 1
        """
    ).df()


def _marts(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables of the candidate's ``marts`` schema (marts still being added are absent)."""
    return {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }


def mart_plan(candidate_db: Path, lake: Path) -> list[tuple[gx.ExpectationSuite, pd.DataFrame]]:
    """Suites and frames of the checks on the marts that dbt's tests cannot make (a mart not built yet is
    skipped): the reconciliation of the pupils counted with the lake's, the regions' coverage, freshness
    and day-over-day anomalies per region. Each reads small aggregate frames computed in DuckDB."""
    plan: list[tuple[gx.ExpectationSuite, pd.DataFrame]] = []
    with duckdb.connect(str(candidate_db), read_only=True) as con:
        limit_memory(con)
        present = _marts(con)
        if "agg_enrollment_by_region" in present:
            plan.append(
                (
                    enrollment_by_region_suite(_expected_pupils(lake), sorted(allowed_codes("code_regions"))),
                    con.execute("select region_code, pupils from marts.agg_enrollment_by_region").df(),
                )
            )
        if "fct_absence" in present:
            fresh = freshness_frame(con, lake)
            if fresh is not None:
                plan.append((freshness_suite(thresholds.FRESHNESS_MAX_SCHOOL_DAYS_BEHIND), fresh))
            plan.append((absence_anomaly_suite(thresholds.ANOMALY_K), anomaly_frame(con)))
    return plan


def dbt_test_failures(record: dict[str, object]) -> list[Failure]:
    """dbt's data tests of the build that did not pass, from its build record, as failures of the
    ``dbt_tests`` suite: a warning for a test that only warned (``warn`` severity), critical otherwise
    (failed, errored, or skipped because what it tests failed). ``description``: what the test guards
    (its yml description or its generic test's ``meta.guards``, else its kind, model and column);
    ``on_failure``: its ``meta.on_failure`` (dbt_project.yml gives every test one)."""
    failures = []
    for test in build_record.failed_tests(record):
        target = f"{test['model']}.{test['column']}" if test.get("column") else str(test.get("model") or "")
        rows = f", {test['failures']} row(s)" if test.get("failures") is not None else ""
        failures.append(
            Failure(
                suite=DBT_TESTS_SUITE,
                expectation=str(test.get("test") or "singular"),
                column=target or None,
                severity=WARNING if test["status"] == "warn" else CRITICAL,
                description=str(test.get("description") or ""),
                on_failure=str(test.get("on_failure") or ""),
                observed=f"{test['name']}: {test['status']}{rows}; {test.get('message') or ''}"[:400],
            )
        )
    return failures


def _add_dbt_tests(result: GateResult, record: dict[str, object] | None) -> None:
    """The build's dbt data tests into the gate's result: the ``dbt_tests`` suite, its failures by name."""
    if record is None:
        return
    failures = dbt_test_failures(record)
    result.dbt_tests_run = sum(int(s.get("tests_run") or 0) for s in record.get("steps") or [])  # type: ignore[union-attr]
    result.dbt_tests_failed = [str(t["name"]) for t in build_record.failed_tests(record)]
    result.suites[DBT_TESTS_SUITE] = not any(f.severity == CRITICAL for f in failures)
    result.failures.extend(failures)


def _checkpoint(
    context: gx.data_context.AbstractDataContext, source: object, suite: gx.ExpectationSuite
) -> gx.Checkpoint:
    """The suite's checkpoint (its own dataframe asset and validation definition), stored in the context."""
    asset_name = suite.name
    try:
        asset = source.get_asset(asset_name)  # type: ignore[attr-defined]
    except LookupError:
        asset = source.add_dataframe_asset(name=asset_name)  # type: ignore[attr-defined]
    try:
        batch_definition = asset.get_batch_definition("whole")
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"validate_{suite.name}", data=batch_definition, suite=suite)
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"gate_{suite.name}",
            validation_definitions=[definition],
            # Data Docs are built once per gate run (``run_gate``), for this run's results only.
            actions=[],
            result_format={"result_format": "SUMMARY"},
        )
    )


def _validate(context: gx.data_context.AbstractDataContext, suite: gx.ExpectationSuite, frame: pd.DataFrame):
    try:
        source = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, LookupError):
        source = context.data_sources.add_pandas(DATASOURCE)
    return _checkpoint(context, source, suite).run(batch_parameters={"dataframe": frame})


def _failures(suite: gx.ExpectationSuite, checkpoint_result) -> list[Failure]:
    """The failed expectations of a checkpoint run."""
    failures: list[Failure] = []
    for run in checkpoint_result.run_results.values():
        for r in run.results:
            if r.success:
                continue
            cfg = r.expectation_config
            severity = str(getattr(cfg, "severity", CRITICAL) or CRITICAL).split(".")[-1].lower()
            observed = r.result.get("observed_value", r.result.get("unexpected_count", ""))
            failures.append(
                Failure(
                    suite=suite.name,
                    expectation=cfg.type,
                    column=cfg.kwargs.get("column"),
                    severity=severity,
                    description=cfg.description or "",
                    on_failure=(cfg.meta or {}).get("on_failure", ""),
                    observed=str(observed)[:200],
                )
            )
    return failures


def run_gate(
    paths: Paths,
    candidate_db: Path | None = None,
    scope: Scope | None = None,
    full: bool = False,
    build: str = "",
) -> GateResult:
    """Report the dbt data tests of the candidate's build (from its build record, which must be the record
    ``build`` names when given) and validate the raw lake batches and the candidate marts. Never raises on
    a failed expectation: the caller decides (see ``enforce``).

    ``scope`` defaults to ``gate_scope`` (a daily run validates the lake batches it loaded); ``full``
    forces the whole lake."""
    candidate_db = candidate_db or paths.candidate_db
    scope = Scope(reason="asked for") if full else (scope or gate_scope(paths, candidate_db))
    paths.gx_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(paths.gx_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    rebuild_all = _install_offline_site(context)
    result = GateResult(
        run_at=datetime.now(UTC).isoformat(timespec="seconds"), scope=scope.describe(), build=build
    )
    log.info("quality gate scope: %s", result.scope)

    result.candidate = candidate_fingerprint(candidate_db)
    record = build_record.read(candidate_db)
    if build and (record or {}).get("id") != build:
        raise ValueError(f"the candidate's build record is not build {build}")
    _add_dbt_tests(result, record)
    plan: list[tuple[gx.ExpectationSuite, pd.DataFrame]] = []
    for entity in RAW_ENTITIES:
        frame = _lake_frame(paths.lake, entity, None if scope.full else scope.batches)
        if frame.is_empty():  # a daily run that loaded none of this entity: nothing new to check
            continue
        lake_cols = [c for c in frame.columns if not c.startswith("_")]
        plan.append((raw_entity_suite(CONTRACTS[entity]), frame.select(lake_cols).to_pandas()))
    plan.extend(mart_plan(candidate_db, paths.lake))

    identifiers = []
    for suite, frame in plan:
        checkpoint_result = _validate(context, suite, frame)
        result.suites[suite.name] = bool(checkpoint_result.success)
        identifiers.extend(checkpoint_result.run_results)
        result.failures.extend(_failures(suite, checkpoint_result))
    # Only this run's pages (and the index) are rendered: the earlier runs' pages are already built, unless
    # the site's configuration has just been installed (earlier pages were rendered with other templates).
    context.build_data_docs(resource_identifiers=None if rebuild_all else identifiers)
    docs = context.get_docs_sites_urls()
    result.data_docs = docs[0]["site_url"] if docs else None
    _append_history(paths.gx_root, result)
    return result


def _install_offline_site(context) -> bool:
    """Make the context's Data Docs site the offline one (``expectations.data_docs``); whether its
    configuration changed."""
    wanted = data_docs.site_config()
    sites = context.list_data_docs_sites()
    if sites.get(data_docs.SITE_NAME) == wanted:
        return False
    if data_docs.SITE_NAME in sites:
        context.update_data_docs_site(data_docs.SITE_NAME, wanted)
    else:
        context.add_data_docs_site(data_docs.SITE_NAME, wanted)
    return True


def _append_history(gx_root: Path, result: GateResult) -> None:
    record = {
        "run_at": result.run_at,
        "publishable": result.publishable,
        "verdict": result.verdict()["verdict"],
        "candidate": result.candidate,
        "build": result.build,
        "scope": result.scope,
        "data_docs": result.data_docs,
        "suites": result.suites,
        "dbt_tests_run": result.dbt_tests_run,
        "dbt_tests": result.dbt_tests_failed,
        "failures": [asdict(f) for f in result.failures],
    }
    with (gx_root / "gate_history.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def record_refusal(paths: Paths, reason: str, candidate_db: Path | None = None) -> GateResult:
    """Record in the gate's history a blocked run that validated nothing: the candidate is not a complete
    build of the present lake (``reason``, from ``warehouse.build_record.verify``); the dbt data tests of
    its build that did not pass are named (a failed test fails the build)."""
    candidate_db = candidate_db or paths.candidate_db
    result = GateResult(run_at=datetime.now(UTC).isoformat(timespec="seconds"), scope="not run")
    result.candidate = candidate_fingerprint(candidate_db)
    result.suites["build_complete"] = False
    _add_dbt_tests(result, build_record.read(candidate_db))  # the failed data tests, by name
    result.failures.append(
        Failure(
            suite="build_complete",
            expectation="last_build_succeeded",
            column=None,
            severity=CRITICAL,
            description=reason,
            on_failure="block publishing; rebuild the candidate",
            observed=reason,
        )
    )
    paths.gx_root.mkdir(parents=True, exist_ok=True)
    _append_history(paths.gx_root, result)
    return result


def enforce(result: GateResult) -> None:
    """Raise when the gate blocks publishing; log warnings otherwise."""
    for failure in result.warnings:
        log.warning("quality warning (publishing with a flag): %s %s", failure.suite, failure.description)
    if not result.publishable:
        raise GateFailedError(result.summary())
