"""Real ``dag.test()`` runs of the daily and the backfill DAGs, the quality gate on a real dbt build
(a critical failure blocks publishing, a warning publishes with a flag), a task that fails once and succeeds
on retry, and lake compaction, on a tiny synthetic country in a data folder of this module's own.

The first publication loads only the bulk exports; the daily DAG then loads one day's drops and the
backfill DAG the remaining days. Expected row counts come from the drop CSV files themselves.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from massar import pipeline
from massar.settings import export_environment, paths

PUPILS = 150
SEED = 3
DAILY_DAYS = 5  # daily drop files for the last school days of the year


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    """A tiny country with its bulk exports in the lake; the daily drops not loaded yet, nothing published
    (the first daily run builds the warehouse from scratch)."""
    from synthetic.generate import generate

    previous = os.environ["MASSAR_HOME"]
    root = Path(tempfile.mkdtemp(prefix="massar-dagruns-"))
    os.environ["MASSAR_HOME"] = str(root)
    export_environment()
    try:
        generate(root / "exports", pupils=PUPILS, seed=SEED, years=1, fault_rate=0.0, daily_days=DAILY_DAYS)
        for region in pipeline.export_regions():
            pipeline.ingest_region_bulk(region)
        yield root
    finally:
        os.environ["MASSAR_HOME"] = previous
        export_environment()
        if os.environ.get("MASSAR_KEEP_TEST_DATA") != "1":
            shutil.rmtree(root, ignore_errors=True)


def _drop_days(exports: Path) -> list[str]:
    return sorted({p.stem.split("__")[1] for p in exports.glob("*/*/absences__*.csv")})


def _csv_keys(exports: Path, days: list[str]) -> int:
    """Distinct absence keys in the drop files of ``days``, read straight from the CSV files."""
    frames = [
        pl.read_csv(io.StringIO(p.read_bytes().decode("utf-8-sig")), separator=";", infer_schema=False)
        for day in days
        for p in sorted(exports.glob(f"*/*/absences__{day}.csv"))
    ]
    if not frames:
        return 0
    keys = ["school_year", "student_code", "absence_date", "session_number"]
    return pl.concat(frames).select(keys).unique().height


def _published_absences(days: list[str]) -> int:
    from warehouse.publish import connect_current

    con = connect_current(paths().published_dir)
    try:
        return con.execute(
            "select count(*) from marts.fct_absence where absence_date::varchar in (select unnest(?))", [days]
        ).fetchall()[0][0]
    finally:
        con.close()


def _publications() -> list[tuple[str, str, int]]:
    from warehouse.publish import connect_current

    con = connect_current(paths().published_dir)
    try:
        return con.execute(
            "select version, gate_verdict, warnings_count from audit.publication order by published_at"
        ).fetchall()
    finally:
        con.close()


def _loaded_sources() -> set[str]:
    from ingestion.load_log import read_log

    frame = read_log(paths().load_log)
    return set(frame.filter(pl.col("status") == "loaded")["source_file"].to_list())


def _lake_fingerprint(entity: str) -> tuple[int, int, int]:
    """Rows, distinct lineage keys and a content hash of an entity's accepted rows in the lake."""
    glob = paths().lake / entity / "*" / "*" / "*.parquet"
    with duckdb.connect() as con:
        return con.execute(
            f"select count(*), count(distinct (_source_file, _line_number)), "
            f"sum(hash(_source_file, _line_number, student_code)) "
            f"from read_parquet('{glob}', union_by_name=true)"
        ).fetchall()[0]


def test_daily_dag_loads_one_day_and_survives_a_retry(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daily DAG loads exactly the day's drops. One ingestion task is made to fail once after its files
    reached the lake (before its load-log commit): Airflow retries it and no row is duplicated."""
    import ingestion.loader
    from massar.orchestration import run_dag

    days = _drop_days(home / "exports")
    assert len(days) >= 2, "the generator should write daily drops for several days"
    day = days[0]
    assert any(pipeline.drop_files(region, [day]) for region in pipeline.export_regions())

    real_write_record = ingestion.loader.write_record
    failures = []

    def fail_once(*args, **kwargs):
        if not failures:
            failures.append(args)
            raise OSError("simulated crash after the batch files were renamed into the lake")
        return real_write_record(*args, **kwargs)

    monkeypatch.setattr(ingestion.loader, "write_record", fail_once)
    assert run_dag("massar_daily", {"day": day}) == "success"
    assert failures, "the simulated failure did not happen"

    expected = _csv_keys(home / "exports", [day])
    assert expected > 0
    assert _published_absences([day]) == expected
    rows, distinct, _ = _lake_fingerprint("absences")
    assert rows == distinct, "a retried ingestion left duplicate rows in the lake"
    loaded = _loaded_sources()
    assert any(f"__{day}" in s for s in loaded)
    assert not any(f"__{d}" in s for s in loaded for d in days[1:]), "the daily DAG loaded other days"
    publications = _publications()
    assert len(publications) == 1
    assert publications[-1][1] in {"pass", "warn"}


def test_backfill_dag_loads_the_range(home: Path) -> None:
    from massar.orchestration import run_dag

    days = _drop_days(home / "exports")
    rest = days[1:]
    assert _published_absences(rest) == 0
    assert run_dag("massar_backfill", {"start": rest[0], "end": rest[-1]}) == "success"
    assert _published_absences(rest) == _csv_keys(home / "exports", rest)
    drops = {p.relative_to(home / "exports").as_posix() for p in (home / "exports").glob("*/*/*__*.csv")}
    assert {d for d in drops if d.split("__")[1][:10] in rest} <= _loaded_sources()
    rows, distinct, _ = _lake_fingerprint("absences")
    assert rows == distinct
    # The candidate started from the published version (if any): the publication history continues.
    assert _publications()[-1][1] in {"pass", "warn"}


def test_daily_gate_reads_the_daily_build_data_tests(home: Path) -> None:
    """The daily gate validates the day's new lake batches and reads the outcome of the data tests that the
    daily build's dbt invocations ran (one per layer, recorded by the Cosmos callback), without running
    them again."""
    history = (paths().gx_root / "gate_history.jsonl").read_text(encoding="utf-8").splitlines()
    last = json.loads(history[-1])
    assert last["scope"].startswith("daily: ")
    assert last["dbt_tests_run"] > 0 and last["dbt_tests"] == []
    assert last["suites"]["dbt_tests"] is True
    # dbt ran in Cosmos's project copies; the artifacts above were kept, and so was dbt's partial parse
    # file, in Cosmos's cache, for the next run's parse
    assert (paths().dbt_target / "run_results.json").exists()
    assert list((paths().home / "cosmos").glob("dbt_build__changed/target/partial_parse.msgpack"))


def _next_school_day(day: str) -> str:
    from datetime import date, timedelta

    following = date.fromisoformat(day) + timedelta(days=1)
    if following.weekday() == 6:  # Sunday
        following += timedelta(days=1)
    return following.isoformat()


def _student_key(student_code: str) -> str:
    """The pseudonymous key, computed here as docs/architecture.md defines it: the salt is the home's
    pseudonym key, read from its file (or the variable that overrides it)."""
    import hashlib

    salt = os.environ.get("MASSAR_PSEUDONYM_KEY") or (paths().home / "keys" / "pseudonym.key").read_text()
    return hashlib.sha256((salt.strip() + student_code).encode("utf-8")).hexdigest()[:16]


def _read_export(path: Path) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(path.read_bytes().decode("utf-8-sig")), separator=";", infer_schema=False)


def _write_drop(path: Path, frame: pl.DataFrame) -> None:
    """A drop file as Massar writes it: UTF-8 with BOM, ``;``, CRLF."""
    text = frame.write_csv(separator=";").replace("\n", "\r\n")
    path.write_bytes(("\ufeff" + text).encode("utf-8"))


def _warehouse_tables(path: Path, schemas: tuple[str, ...] = ("marts", "serving")) -> dict[str, pl.DataFrame]:
    """Every table of ``schemas`` of a DuckDB file (the dbt-built ones of a warehouse file by default),
    sorted on its non-float, non-nested columns (sums of doubles may differ in their last bits with the
    order of the rows: floats are compared with a tolerance)."""
    tables: dict[str, pl.DataFrame] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) and table_type = 'BASE TABLE'",
            [list(schemas)],
        ).fetchall()
        for schema, table in names:
            frame = con.sql(f'select * from "{schema}"."{table}"').pl()
            keys = [c for c, t in frame.schema.items() if not t.is_float() and not t.is_nested()]
            tables[f"{schema}.{table}"] = frame.sort(keys or frame.columns, nulls_last=True)
    return tables


def _differ(left: pl.DataFrame, right: pl.DataFrame) -> bool:
    from polars.testing import assert_frame_equal

    try:
        assert_frame_equal(left, right, rel_tol=1e-9, abs_tol=1e-9)
    except AssertionError:
        return True
    return False


INCREMENTAL = {}  # state shared by the two tests below (module order): the incrementally built version


def test_daily_increment_applies_late_corrections_and_deletions(home: Path) -> None:
    """A later day's drop corrects an absence of September and deletes another one (bulk-loaded): the
    daily DAG's incremental build rewrites only the touched dates, and the published marts show both."""
    from massar.orchestration import run_dag
    from warehouse.publish import connect_current, current

    exports = home / "exports"
    day = _next_school_day(_drop_days(exports)[-1])
    bulk = sorted(exports.glob("*/*/absences.csv"))[0]
    frame = _read_export(bulk)
    fixed, gone = frame.row(0, named=True), frame.row(1, named=True)
    flipped = "0" if fixed["justified"] == "1" else "1"
    reasons = frame.filter(pl.col("justified") == "1")["reason_code"].drop_nulls()
    reason = reasons[0] if flipped == "1" else None
    _write_drop(
        bulk.with_name(f"absences__{day}.csv"),
        pl.DataFrame([{**fixed, "justified": flipped, "reason_code": reason}]),
    )
    keys = ["school_year", "region_code", "student_code", "absence_date", "session_number"]
    _write_drop(bulk.with_name(f"absences__{day}__deleted.csv"), pl.DataFrame([{k: gone[k] for k in keys}]))

    assert run_dag("massar_daily", {"day": day}) == "success"

    def published_row(row: dict[str, str]) -> list[tuple]:
        con = connect_current(paths().published_dir)
        try:
            return con.execute(
                "select justified from marts.fct_absence where student_key = ? and absence_date = "
                "strptime(?, '%d/%m/%Y')::date and session_number = ?",
                [_student_key(row["student_code"]), row["absence_date"], int(row["session_number"])],
            ).fetchall()
        finally:
            con.close()

    assert published_row(fixed) == [(flipped == "1",)], "the late correction was not applied"
    assert published_row(gone) == [], "the late deletion was not applied"
    INCREMENTAL["version"] = current(paths().published_dir)


@pytest.mark.slow  # ~100 s: in `make test-all`, out of the default suite (< 15 min)
def test_school_year_close_rebuilds_and_equals_the_increments(home: Path) -> None:
    """The school-year DAG (year close): loads the close entities (already there: nothing loaded twice),
    rebuilds the warehouse from scratch, gates and publishes the year's results. Its full rebuild holds
    exactly the rows the daily increments built on the same lake (every mart and serving table, and the
    parent lookup store built from the restricted file)."""
    from ingestion.load_log import read_log
    from massar.orchestration import run_dag
    from warehouse.publish import current

    incremental = INCREMENTAL.get("version")
    assert incremental is not None, "runs after test_daily_increment_applies_late_corrections_and_deletions"
    log_rows = read_log(paths().load_log).height
    publications = len(_publications())

    assert run_dag("massar_school_year", {"phase": "close"}) == "success"

    assert read_log(paths().load_log).height == log_rows, "the close phase loaded already-loaded files again"
    published = current(paths().published_dir)
    assert published.version != incremental.version
    history = _publications()
    assert len(history) == publications + 1 and history[-1][1] in {"pass", "warn"}
    # The year close indicators are published: annual results for graded pupils only (keys computed here
    # from the grade files), and exam results for every region with exam candidates.
    exports = home / "exports"
    graded = {
        _student_key(code)
        for p in exports.glob("*/*/grades*.csv")
        for code in _read_export(p)["student_code"].to_list()
    }
    exam_regions = {p.parent.name for p in exports.glob("*/*/exam_results.csv") if _read_export(p).height}
    with duckdb.connect(str(published.path), read_only=True) as con:
        annual = {r[0] for r in con.execute("select student_key from marts.fct_annual_result").fetchall()}
        exam = {r[0] for r in con.execute("select region_code from marts.agg_exam_results").fetchall()}
    assert annual and annual <= graded
    assert exam and exam <= exam_regions

    full, increments = _warehouse_tables(published.path), _warehouse_tables(incremental.path)
    assert sorted(full) == sorted(increments)
    differing = [name for name in full if _differ(full[name], increments[name])]
    assert not differing, f"the daily increments differ from a full rebuild in {differing}"
    # The restricted file is not kept with a version: its rows live on in each version's lookup store.
    from warehouse.serving import lookup_store_path

    full, increments = (
        _warehouse_tables(lookup_store_path(v.version), ("lookup",)) for v in (published, incremental)
    )
    assert sorted(full) == ["lookup.card", "lookup.pupil"] == sorted(increments)
    differing = [name for name in full if _differ(full[name], increments[name])]
    assert not differing, f"the daily increments' lookup store differs from a full rebuild in {differing}"


def test_critical_failure_blocks_publishing(home: Path) -> None:
    """A mart made to violate a critical expectation of the gate after the build (the register counts one
    pupil more than the lake holds: the reconciliation): the gate blocks, nothing is published, the
    previous version stays current and readable."""
    from expectations.gate import GateFailedError
    from warehouse import build_record
    from warehouse.publish import PublishError, current, validate_version

    total = "select sum(pupils) from marts.agg_enrollment_by_region"
    p = paths()
    live = current(p.published_dir)
    with duckdb.connect(str(live.path), read_only=True) as con:
        published_pupils = con.execute(total).fetchall()[0][0]
    pipeline.prepare_candidate()
    with duckdb.connect(str(p.candidate_db)) as con:
        con.execute("update marts.agg_enrollment_by_region set pupils = pupils + 1 where rowid = 0")
    build_record.seal(p.candidate_db, p.lake, "a bad build, simulated")
    with pytest.raises(GateFailedError, match="Reconciliation"):
        pipeline.check_candidate()
    with pytest.raises(PublishError):
        pipeline.publish_candidate()
    assert current(p.published_dir) == live
    validate_version(live.path)
    with duckdb.connect(str(live.path), read_only=True) as con:
        assert con.execute(total).fetchall()[0][0] == published_pupils
    # A candidate changed after a passing gate is not publishable either.
    pipeline.prepare_candidate()
    pipeline.check_candidate()
    with duckdb.connect(str(p.candidate_db)) as con:
        con.execute("delete from marts.dim_school where rowid = 0")
    with pytest.raises(PublishError):
        pipeline.publish_candidate()
    assert current(p.published_dir) == live


@pytest.mark.slow  # ~50 s: in `make test-all`, out of the default suite (< 15 min)
def test_warning_publishes_with_a_visible_flag(home: Path) -> None:
    """An absence spike on one region's last day (day-over-day anomaly) is a warning: published, flagged."""
    from warehouse import build_record
    from warehouse.publish import current, rollback

    p = paths()
    previous = current(p.published_dir)
    pipeline.prepare_candidate()
    with duckdb.connect(str(p.candidate_db)) as con:
        region, last_day = con.execute(
            "select region_code, max(absence_date) from marts.fct_absence group by 1 order by count(*) desc"
        ).fetchall()[0]
        for copy in range(1, 40):
            con.execute(
                "insert into marts.fct_absence select * replace (session_number + ? as session_number) "
                "from marts.fct_absence where region_code = ? and absence_date = ? and session_number < 100",
                [100 * copy, region, last_day],
            )
    build_record.seal(p.candidate_db, p.lake, "a build with an anomaly, simulated")
    verdict = pipeline.check_candidate()
    assert verdict["publishable"] and verdict["verdict"] == "warn" and verdict["warnings"] >= 1
    version = pipeline.publish_candidate(gate=verdict)
    assert _publications()[-1][:2] == (version, "warn")
    history = (p.gx_root / "gate_history.jsonl").read_text(encoding="utf-8").strip().splitlines()
    flagged = json.loads(history[-1])["failures"]
    assert any(f["suite"] == "absence_day_over_day" and f["severity"] == "warning" for f in flagged)
    rollback(p.published_dir, previous.version)


def test_compaction_keeps_the_lake_readable_and_is_idempotent(home: Path) -> None:
    from ingestion.integrity import check_lake
    from ingestion.lake import uncommitted_files
    from massar.orchestration import run_dag
    from warehouse.compaction import JOURNAL, compact_lake, partitions

    p = paths()
    before = _lake_fingerprint("absences")
    crowded = [d for d in partitions(p.lake) if len(list(d.glob("*.parquet"))) >= 2]
    assert crowded, "daily drops should have left partitions with several files"

    # A compaction killed after the merged file replaced its keeper, before the sources were removed.
    target = crowded[0]
    sources = sorted(target.glob("*.parquet"))
    merged = pl.concat([pl.read_parquet(f) for f in sources], how="diagonal_relaxed")
    tmp = target / f".compact-{sources[-1].name}.tmp-1"
    merged.write_parquet(tmp)
    plan = {"tmp": tmp.name, "keeper": sources[-1].name, "sources": [f.name for f in sources[:-1]]}
    (target / JOURNAL).write_text(json.dumps(plan))
    os.replace(tmp, sources[-1])

    # A pending batch (a file without its load-log record) keeps its partition untouched.
    pending_partition = crowded[1] if len(crowded) > 1 else None
    if pending_partition is not None:
        some = sorted(pending_partition.glob("*.parquet"))[0]
        shutil.copyfile(some, pending_partition / "0pendingbatch.parquet")

    report = compact_lake(p.lake)
    assert report.partitions >= 1 and report.files_after < report.files_before
    if pending_partition is not None:
        assert (pending_partition / "0pendingbatch.parquet").exists()
        (pending_partition / "0pendingbatch.parquet").unlink()
    assert not (target / JOURNAL).exists()
    assert _lake_fingerprint("absences") == before
    assert uncommitted_files(p.lake) == []
    # The load log names each merged file with its new checksum (the interrupted one's too).
    assert check_lake(p.lake, full=True).problems == []

    # Maintenance DAG: compaction (idempotent: the rest of the partitions) and version pruning.
    assert run_dag("massar_maintenance") == "success"
    assert _lake_fingerprint("absences") == before
    assert compact_lake(p.lake).partitions == 0
    assert all(len(list(d.glob("*.parquet"))) == 1 for d in partitions(p.lake) if d.parts[-3] == "absences")
