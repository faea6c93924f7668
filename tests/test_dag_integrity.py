"""DAG integrity: every DAG file imports cleanly, fast, with owners, retries, callbacks and tags set, and
every task that writes DuckDB in the single-slot writer pool, every task that writes holding the writer
lock."""

from __future__ import annotations

import time

import pytest

DAG_IDS = {"massar_pipeline", "massar_daily", "massar_backfill", "massar_school_year", "massar_maintenance"}
WRITERS = {"prepare_candidate", "quality_gate", "publish", "compact_lake", "prune_versions"}
PUBLISHING = DAG_IDS - {"massar_maintenance"}


@pytest.fixture(scope="module")
def dagbag():
    from massar.orchestration import load_dagbag, prepare_airflow

    prepare_airflow()
    started = time.perf_counter()
    bag = load_dagbag()
    print(f"\nDagBag parse: {time.perf_counter() - started:.2f} s for {len(bag.dags)} DAG(s)")
    for stat in bag.dagbag_stats:
        print(f"  {stat.file}: {stat.duration.total_seconds():.3f} s, {stat.task_num} tasks")
    return bag


def test_no_import_errors_and_fast_parsing(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) >= DAG_IDS
    for stat in dagbag.dagbag_stats:
        assert stat.duration.total_seconds() < 1.0, f"{stat.file} parses in {stat.duration}"


def test_every_task_has_owner_retries_timeout_callback_and_every_dag_tags(dagbag) -> None:
    from massar.orchestration import on_task_failure

    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        for t in dag.tasks:
            where = f"{dag_id}.{t.task_id}"
            assert t.owner and t.owner != "airflow", f"{where} has no owner"
            assert t.retries >= 1, f"{where} has no retries"
            assert t.retry_exponential_backoff, f"{where} retries without backoff"
            assert t.execution_timeout is not None, f"{where} has no timeout"
            callbacks = t.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert on_task_failure in callbacks, f"{where} raises no alert on failure"


def test_writers_share_the_single_slot_pool(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        for t in dag.tasks:
            if t.task_id in WRITERS or t.task_id.startswith("dbt_build."):
                assert t.pool == "duckdb_writer", f"{dag_id}.{t.task_id}"


def test_every_writing_task_holds_the_writer_lock(dagbag) -> None:
    from _massar_tasks import LockedDbtBuildOperator

    for dag_id, dag in dagbag.dags.items():
        for t in dag.tasks:
            where = f"{dag_id}.{t.task_id}"
            if t.task_id.startswith("dbt_build."):
                assert isinstance(t, LockedDbtBuildOperator), where
            elif t.task_id in WRITERS or t.task_id.startswith("ingest_region"):
                callable_ = getattr(t, "python_callable", None) or t.partial_kwargs["python_callable"]
                assert getattr(callable_, "holds_writer_lock", False), f"{where} writes without the lock"


@pytest.mark.parametrize("dag_id", sorted(PUBLISHING))
def test_write_audit_publish_shape(dagbag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt_build.")]
    assert dbt_tasks, "dbt must run through Cosmos task(s)"
    from cosmos.operators.local import DbtBuildLocalOperator

    assert all(isinstance(t, DbtBuildLocalOperator) for t in dbt_tasks)
    # candidate from the published version → dbt → gate → publish
    first = [t for t in dbt_tasks if not any(u.startswith("dbt_build.") for u in t.upstream_task_ids)]
    last = [t for t in dbt_tasks if not any(d.startswith("dbt_build.") for d in t.downstream_task_ids)]
    assert len(first) == len(last) == 1
    assert "prepare_candidate" in first[0].upstream_task_ids
    assert last[0].task_id in dag.get_task("quality_gate").upstream_task_ids
    assert "quality_gate" in dag.get_task("publish").upstream_task_ids
    if dag_id in {"massar_daily", "massar_backfill"}:  # incremental: only what the drops feed
        assert "dbt_selector" in str(first[0].select)
    # Ingestion fans out: one mapped task instance per region.
    mapped = [t for t in dag.tasks if type(t).__name__.endswith("MappedOperator")]
    assert mapped and all(t.task_id.startswith("ingest_region") for t in mapped)
    # publish announces the new version to asset-scheduled DAGs
    assert [o.uri for o in dag.get_task("publish").outlets] == ["massar://warehouse/published"]


def test_scheduling_deadline_and_assets(dagbag) -> None:
    daily = dagbag.dags["massar_daily"]
    assert daily.deadline, "the daily DAG needs a deadline alert"
    assert "day" in daily.params
    assert {"start", "end"} <= set(dagbag.dags["massar_backfill"].params)
    assert dagbag.dags["massar_school_year"].params["phase"] in {"start", "close"}
    maintenance = dagbag.dags["massar_maintenance"]
    assert type(maintenance.timetable).__name__ == "AssetTriggeredTimetable"
    assert "massar://warehouse/published" in repr(maintenance.timetable.asset_condition)
    assert dagbag.dags["massar_school_year"].get_task("dbt_build.marts").full_refresh is True


def test_failure_callback_writes_the_alerts_log(tmp_path, monkeypatch) -> None:
    import json
    from types import SimpleNamespace

    from massar.orchestration import alerts_log, on_deadline_missed, on_task_failure

    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    monkeypatch.delenv("MASSAR_ALERT_SMTP_HOST", raising=False)
    ti = SimpleNamespace(dag_id="massar_daily", task_id="publish", map_index=-1, run_id="r1", try_number=3)
    on_task_failure({"task_instance": ti, "exception": RuntimeError("disk full")})
    on_deadline_missed(
        {"dag_run": SimpleNamespace(dag_id="massar_daily", run_id="r1")}, dag_id="massar_daily"
    )
    records = [json.loads(line) for line in alerts_log().read_text(encoding="utf-8").splitlines()]
    assert alerts_log().parent == tmp_path / "alerts"
    assert [r["kind"] for r in records] == ["task_failed", "deadline_missed"]
    assert records[0]["task_id"] == "publish" and records[0]["error"] == "disk full"
    assert records[1]["run_id"] == "r1"
