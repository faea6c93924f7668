"""The quality gate: run the checkpoints on the candidate and decide, in one place, whether to publish.

Checkpoints run through a file-backed Great Expectations context under ``$MASSAR_HOME/gx``, so every run
keeps its validation results (the history) and rebuilds the Data Docs site.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import great_expectations as gx
import pandas as pd
import polars as pl
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.suites import (
    CRITICAL,
    absence_anomaly_suite,
    dim_school_suite,
    enrollment_by_region_suite,
    freshness_suite,
    mart_checks,
    mart_contract_suite,
    mart_contracts,
    mart_profile_sql,
    raw_entity_suite,
)
from ingestion.codelists import allowed_codes
from ingestion.contracts import CONTRACTS
from massar.settings import DBT_PROJECT_DIR, Paths, limit_memory
from warehouse.publish import candidate_fingerprint, current

log = logging.getLogger(__name__)

DATASOURCE = "massar_frames"
RAW_ENTITIES = ("pupils",)
MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
ANOMALY_K = 3.0  # standard deviations: a region's last-day absences beyond this are flagged (warning)
ANOMALY_WINDOW = 20  # previous school days the mean and deviation are computed on
ANOMALY_MIN_DAYS = 5  # fewer previous days: no judgement
FRESHNESS_MAX_LAG_DAYS = 1


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
        }

    def summary(self) -> str:
        lines = [f"quality gate: {'PASS' if self.publishable else 'BLOCKED'} ({len(self.suites)} suites)"]
        for f in self.failures:
            lines.append(f"  [{f.severity}] {f.suite}: {f.expectation}({f.column or ''}) — {f.description}")
            lines.append(f"      observed: {f.observed}; action: {f.on_failure}")
        return "\n".join(lines)


#: Date columns of the lake rows (the day's drops) and of the marts: a daily run's window of changed days.
LAKE_DATE_COLUMNS = ("absence_date", "assessment_date")
MART_DATE_COLUMNS = ("absence_date", "calendar_date", "assessment_date")
PARTITION_COLUMNS = ("school_year", "region_code")


@dataclass(frozen=True)
class Scope:
    """What the gate validates. ``full``: every lake batch and every mart row. Otherwise a daily run's:
    the lake batches loaded since the published version (``batches``), and in the marts only the rows of
    the ``partitions`` (school year, region) those batches fed and of the ``days`` window of the batches'
    dates, as far as a mart has these columns (``_partition_filter``), and only the marts the batches can
    reach (``models``: the marts outside it are the published version's, validated when it was published).
    The aggregate suites (reconciliation, freshness, day-over-day anomalies) always read their whole marts;
    the daily dbt build runs the data tests (keys, not null) of every mart it rebuilds (on the partitions it
    rewrote, for the batch-driven facts: dbt/macros/scoped_tests.sql)."""

    full: bool = True
    reason: str = "full validation"
    batches: frozenset[str] = frozenset()
    partitions: tuple[tuple[str, str], ...] = ()
    days: tuple[date, date] | None = None
    #: the models the new batches can reach (dbt lineage, ``models_fed_by``); None: every mart
    models: frozenset[str] | None = None

    def describe(self) -> str:
        if self.full:
            return f"full ({self.reason})"
        window = f", days {self.days[0]}..{self.days[1]}" if self.days else ""
        reach = f", {len(self.models)} models reached" if self.models is not None else ""
        return f"daily: {len(self.batches)} new batches, {len(self.partitions)} partitions{window}{reach}"


#: Sources every load feeds (the load log and the quarantine), besides the entities loaded.
LOAD_SOURCES = ("load_log", "quarantine")


def models_fed_by(entities: set[str], dbt_target: Path) -> frozenset[str] | None:
    """Names of the dbt models downstream of the lake sources of ``entities`` and of the load log and
    quarantine (a deletion reaches the models through its entity's staging view), from the ``child_map``
    of dbt's ``manifest.json`` written by the build; None when there is no manifest. A mart outside this
    set was not rebuilt by a daily build: it is the published version's, already validated."""
    manifest_path = dbt_target / "manifest.json"
    if not manifest_path.exists():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    child_map: dict[str, list[str]] = manifest.get("child_map", {})
    queue = [f"source.massar.massar.{name}" for name in (*sorted(entities), *LOAD_SOURCES)]
    seen: set[str] = set()
    while queue:
        node = queue.pop()
        for child in child_map.get(node, []):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    nodes = manifest.get("nodes", {})
    return frozenset(nodes[n]["name"] for n in seen if n.startswith("model.") and n in nodes)


def _load_log_batches(db: Path) -> pl.DataFrame | None:
    """``audit.load_log`` of a warehouse file (None when it has none)."""
    with duckdb.connect(str(db), read_only=True) as con:
        present = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'audit' "
            "and table_name = 'load_log'"
        ).fetchall()[0][0]
        if not present:
            return None
        return con.sql(
            "select batch_id, entity, source_file, school_year, region_code from audit.load_log"
        ).pl()


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
    batches = frozenset(added["batch_id"])
    days: list[date] = []
    undated = False  # a batch of an entity without a day column (a transfer …) may change any day's rows
    for entity in set(added["entity"]):
        for folder in (paths.lake, paths.lake / "_deletions"):
            files = [f for f in (folder / entity).glob("*/*/*.parquet") if f.stem in batches]
            if not files:
                continue
            frame = pl.read_parquet(files, hive_partitioning=False)
            dated = [c for c in LAKE_DATE_COLUMNS if c in frame.columns]
            undated = undated or not dated
            for column in dated:
                if frame[column].drop_nulls().len():
                    days += [frame[column].min(), frame[column].max()]  # type: ignore[list-item]
    if undated:
        days = []
    partitions = tuple(sorted(set(added.select("school_year", "region_code").iter_rows())))
    return Scope(
        full=False,
        reason="daily drops",
        batches=batches,
        partitions=partitions,  # type: ignore[arg-type]
        days=(min(days), max(days)) if days else None,
        models=models_fed_by(set(added["entity"]), paths.dbt_target),
    )


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
    from ingestion.contracts import CONTRACTS
    from ingestion.state import current_state

    enrollments = _lake_frame(lake, "enrollments")
    if enrollments.is_empty():
        return 0
    deletions = _lake_frame(lake / "_deletions", "enrollments")
    current = current_state(
        enrollments, list(CONTRACTS["enrollments"].primary_key), deletions if deletions.height else None
    )
    return current.select(pl.struct("school_year", "student_code").n_unique()).item()


def _mart(candidate_db: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(candidate_db), read_only=True) as con:
        return con.execute(f"select * from {table}").df()  # table names are constants of this module


def _mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Tables of the candidate's ``marts`` schema and their columns (marts still being added are absent)."""
    rows = con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
    ).fetchall()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables


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
            from ranked where back between 2 and {ANOMALY_WINDOW + 1} group by 1
        )
        select r.region_code, r.absence_date as last_day, r.absences as last_day_absences,
            h.mean_absences, h.std_absences,
            case when h.days >= {ANOMALY_MIN_DAYS} and h.std_absences > 0
                then (r.absences - h.mean_absences) / h.std_absences end as z_score
        from ranked r left join history h using (region_code)
        where r.back = 1
        order by 1
        """
    ).df()


def _partition_filter(scope: Scope, columns: set[str]) -> tuple[str, list[object]]:
    """Constant SQL (with ``?`` parameters) restricting a mart to the scope's partitions (when it has
    ``school_year`` and ``region_code``) and to its days window (when it has a date column of
    ``MART_DATE_COLUMNS``); no restriction for the other marts (dimensions, aggregates)."""
    if scope.full:
        return "", []
    where: list[str] = []
    if set(PARTITION_COLUMNS) <= columns:
        where.append("(school_year, region_code) in (select school_year, region_code from scope_partitions)")
    params: list[object] = []
    date_column = next((c for c in MART_DATE_COLUMNS if c in columns), None)
    if scope.days is not None and date_column is not None:
        where.append(f"{date_column} between ? and ?")  # a constant name of this module
        params += list(scope.days)
    return " and ".join(where), params


def mart_plan(
    candidate_db: Path, lake: Path, scope: Scope | None = None
) -> list[tuple[gx.ExpectationSuite, pd.DataFrame]]:
    """Suites and frames for the marts present in the candidate (a mart not built yet is skipped).

    The mart contracts are checked on profiles computed in DuckDB, restricted to the scope's partitions
    for the marts partitioned by school year and region (``_partition_filter``)."""
    scope = scope or Scope()
    plan: list[tuple[gx.ExpectationSuite, pd.DataFrame]] = []
    contracts = mart_contracts(MARTS_DIR)
    with duckdb.connect(str(candidate_db), read_only=True) as con:
        limit_memory(con)  # the profiles aggregate whole marts: 13.9 GB at 1 M pupils under DuckDB's default
        con.register(
            "scope_partitions",
            pd.DataFrame(list(scope.partitions), columns=list(PARTITION_COLUMNS), dtype="object"),
        )
        present = _mart_columns(con)
        profiles: dict[str, tuple] = {}
        for name, contract in sorted(contracts.items()):
            if name not in present or (scope.models is not None and name not in scope.models):
                continue  # not built yet, or not reached by the daily batches (the published mart)
            where, params = _partition_filter(scope, present[name])
            sql = mart_profile_sql(f"marts.{name}", contract, present[name], where)
            row = con.execute(sql, params).df().iloc[0].to_dict()
            profiles[name] = (contract, row)
        if profiles:
            plan.append((mart_contract_suite(), mart_checks(profiles)))
        if "agg_enrollment_by_region" in present:
            plan.append(
                (
                    enrollment_by_region_suite(_expected_pupils(lake), sorted(allowed_codes("regions"))),
                    con.execute("select * from marts.agg_enrollment_by_region").df(),
                )
            )
        if "dim_school" in present:
            plan.append((dim_school_suite(), con.execute("select * from marts.dim_school").df()))
        if "fct_absence" in present:
            fresh = freshness_frame(con, lake)
            if fresh is not None:
                plan.append((freshness_suite(FRESHNESS_MAX_LAG_DAYS), fresh))
            plan.append((absence_anomaly_suite(ANOMALY_K), anomaly_frame(con)))
    return plan


#: Result formats: the mart contracts' failing checks are named by their ``check_id`` (one row per check).
RESULT_FORMATS: dict[str, dict[str, object]] = {
    "mart_contracts": {"result_format": "COMPLETE", "unexpected_index_column_names": ["check_id"]},
}
DEFAULT_RESULT_FORMAT: dict[str, object] = {"result_format": "SUMMARY"}


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
            result_format=RESULT_FORMATS.get(suite.name, DEFAULT_RESULT_FORMAT),
        )
    )


def _validate(context: gx.data_context.AbstractDataContext, suite: gx.ExpectationSuite, frame: pd.DataFrame):
    try:
        source = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, LookupError):
        source = context.data_sources.add_pandas(DATASOURCE)
    return _checkpoint(context, source, suite).run(batch_parameters={"dataframe": frame})


def _failures(suite: gx.ExpectationSuite, frame: pd.DataFrame, checkpoint_result) -> list[Failure]:
    """The failed expectations of a checkpoint run; for the mart contracts, one per failed check."""
    failures: list[Failure] = []
    for run in checkpoint_result.run_results.values():
        for r in run.results:
            if r.success:
                continue
            cfg = r.expectation_config
            severity = str(getattr(cfg, "severity", CRITICAL) or CRITICAL).split(".")[-1].lower()
            checks = [
                (row.get("check_id") if isinstance(row, dict) else row)
                for row in (r.result.get("unexpected_index_list") or [])
            ]
            if suite.name == "mart_contracts" and checks and "check_id" in frame.columns:
                for check in frame[frame["check_id"].isin(checks)].itertuples(index=False):
                    failures.append(
                        Failure(
                            suite=suite.name,
                            expectation=cfg.type,
                            column=f"{check.mart}.{check.column_name}",
                            severity=severity,
                            description=str(check.description),
                            on_failure=str(check.on_failure),
                            observed=f"{check.observed} (bounds {check.low}..{check.high})"[:200],
                        )
                    )
                continue
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
    """Validate the raw lake batches and the candidate marts. Never raises on a failed expectation:
    the caller decides (see ``enforce``).

    ``scope`` defaults to ``gate_scope`` (a daily run validates the batches it loaded and the partitions
    they fed); ``full`` forces the whole lake and every mart row."""
    candidate_db = candidate_db or paths.candidate_db
    scope = Scope(reason="asked for") if full else (scope or gate_scope(paths, candidate_db))
    paths.gx_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(paths.gx_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    result = GateResult(
        run_at=datetime.now(UTC).isoformat(timespec="seconds"), scope=scope.describe(), build=build
    )
    log.info("quality gate scope: %s", result.scope)

    result.candidate = candidate_fingerprint(candidate_db)
    plan: list[tuple[gx.ExpectationSuite, pd.DataFrame]] = []
    for entity in RAW_ENTITIES:
        frame = _lake_frame(paths.lake, entity, None if scope.full else scope.batches)
        if frame.is_empty():  # a daily run that loaded none of this entity: nothing new to check
            continue
        lake_cols = [c for c in frame.columns if not c.startswith("_")]
        plan.append((raw_entity_suite(CONTRACTS[entity]), frame.select(lake_cols).to_pandas()))
    plan.extend(mart_plan(candidate_db, paths.lake, scope))

    identifiers = []
    for suite, frame in plan:
        checkpoint_result = _validate(context, suite, frame)
        result.suites[suite.name] = bool(checkpoint_result.success)
        identifiers.extend(checkpoint_result.run_results)
        result.failures.extend(_failures(suite, frame, checkpoint_result))
    # Only this run's pages (and the index) are rendered: the earlier runs' pages are already built.
    context.build_data_docs(resource_identifiers=identifiers)
    docs = context.get_docs_sites_urls()
    result.data_docs = docs[0]["site_url"] if docs else None
    _append_history(paths.gx_root, result)
    return result


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
        "failures": [asdict(f) for f in result.failures],
    }
    with (gx_root / "gate_history.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def record_refusal(paths: Paths, reason: str, candidate_db: Path | None = None) -> GateResult:
    """Record in the gate's history a blocked run that validated nothing: the candidate is not a complete
    build of the present lake (``reason``, from ``warehouse.build_record.verify``)."""
    candidate_db = candidate_db or paths.candidate_db
    result = GateResult(run_at=datetime.now(UTC).isoformat(timespec="seconds"), scope="not run")
    result.candidate = candidate_fingerprint(candidate_db)
    result.suites["build_complete"] = False
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
