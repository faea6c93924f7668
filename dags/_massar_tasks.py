"""Task building shared by the Massar DAG files (kept thin: every task calls ``massar.pipeline``).

Imported by the DAG files, listed in ``.airflowignore`` so the DAG processor does not parse it as a DAG file.
Nothing heavy runs at import: Cosmos operators are built from a fixed list of dbt layers, no dbt parse.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, TaskGroup, get_current_context, task
from airflow.sdk.definitions.callback import SyncCallback
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference
from airflow.sdk.exceptions import AirflowFailException
from cosmos import ProfileConfig
from cosmos.constants import InvocationMode
from cosmos.operators.local import DbtBuildLocalOperator

from massar import pipeline
from massar.orchestration import on_deadline_missed, on_task_failure
from massar.settings import DBT_PROJECT_DIR, export_environment, paths
from warehouse.writer_lock import holds_writer_lock, writer_lock

# Sets MASSAR_HOME-derived variables (lake, candidate, dbt target) in this process's environment; the dbt
# operators inherit the environment at execution time (``append_env``), never a copy frozen at parse time.
export_environment()

# Asset: data-aware scheduling between the DAGs. The one event another DAG waits for is a publication
# (massar_maintenance); the lake's batches are consumed by the build of the same run, so they are no asset.
PUBLISHED_WAREHOUSE = Asset("massar://warehouse/published")  # a new warehouse version is live

PROFILE = ProfileConfig(
    profile_name="massar", target_name="dev", profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml"
)
KEEP_VERSIONS = int(os.environ.get("MASSAR_KEEP_VERSIONS", "5"))
# The day's data must be published this long after the daily run is queued (20:00 → 23:00 by default).
PUBLISH_DEADLINE = timedelta(hours=float(os.environ.get("MASSAR_PUBLISH_DEADLINE_HOURS", "3")))


def task_lock_wait() -> float:
    """Seconds a writing task waits for the writer lock (``MASSAR_TASK_LOCK_WAIT``, default 3600, read when
    the task runs) before it fails with "another run is in progress" (and is retried).

    Every task that writes holds the home's writer lock (``warehouse.writer_lock``), so it never runs beside a
    ``massar`` command or another DAG's writer, and the mapped ingestion tasks of one run take turns. Under
    ``massar run`` the command already holds the lock: its tasks, run in the same process and thread,
    re-enter it."""
    return float(os.environ.get("MASSAR_TASK_LOCK_WAIT", "3600"))


def task_label() -> str:
    """The writer lock's holder label of the running task instance (``airflow dag.task[map_index]``)."""
    try:
        ti = get_current_context()["ti"]
    except Exception:  # outside a running task (a direct call)
        return "airflow task"
    index = getattr(ti, "map_index", -1)
    return f"airflow {ti.dag_id}.{ti.task_id}" + (f"[{index}]" if index is not None and index >= 0 else "")


#: Decorator of the task callables that write (under ``@task``).
writes = holds_writer_lock(task_label, wait=task_lock_wait)


class LockedDbtBuildOperator(DbtBuildLocalOperator):
    """Cosmos's ``dbt build`` holding the writer lock while it runs (dbt writes the candidate warehouse
    and its artifacts)."""

    def execute(self, context: Any, **kwargs: Any) -> None:
        with writer_lock(task_label(), wait=task_lock_wait()):
            super().execute(context, **kwargs)


DEFAULT_ARGS: dict[str, Any] = {
    "owner": "data-engineering",
    "retries": 2,
    "retry_delay": timedelta(seconds=10),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(hours=2),
    "on_failure_callback": on_task_failure,
}


def publish_deadline(dag_id: str) -> DeadlineAlert:
    """Deadline Alert: the run's data is not published ``PUBLISH_DEADLINE`` after the run was queued."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=PUBLISH_DEADLINE,
        callback=SyncCallback(
            on_deadline_missed,
            kwargs={"dag_id": dag_id, "message": f"{dag_id}: data not published within {PUBLISH_DEADLINE}"},
        ),
        name=f"{dag_id}_published_in_time",
    )


@task
def list_regions() -> list[str]:
    return pipeline.export_regions()


@task
def reconcile(per_region: list[dict[str, int]]) -> dict[str, int]:
    return pipeline.reconcile_regions(per_region)


@task(pool=pipeline.WRITER_POOL)
@writes
def prepare_candidate(planned_steps: int) -> str | None:
    """The candidate starts as a copy of the published version (incremental models continue from it), and
    its build record begins: ``planned_steps`` dbt invocations, each recorded by ``keep_dbt_artifacts``."""
    return pipeline.prepare_candidate(planned_steps=planned_steps)


def dbt_build(
    group_id: str = "dbt_build",
    full_refresh: bool = False,
    select: str | None = None,
    exclude: str | None = None,
) -> TaskGroup:
    """dbt through Cosmos, one ``dbt build`` per layer (not a ``DbtTaskGroup``: about 17.6 s per task on the
    demo, see ``dags/massar_pipeline.py``); with
    ``select`` (a templated dbt selection) and ``exclude``, one ``dbt build`` of that selection (task
    ``changed``)."""
    layers = pipeline.DBT_LAYERS if select is None else (("changed", select),)
    with TaskGroup(group_id) as group:
        previous = None
        for layer, selector in layers:
            step = LockedDbtBuildOperator(
                task_id=layer,
                project_dir=str(DBT_PROJECT_DIR),
                profile_config=PROFILE,
                select=selector,
                exclude=exclude if select is not None else None,
                # a test runs with the layer where all its parents are built (or upstream)
                indirect_selection="buildable",
                invocation_mode=InvocationMode.SUBPROCESS,
                dbt_executable_path=pipeline.dbt_executable(),
                append_env=True,
                install_deps=False,
                # Cosmos runs dbt in a fresh temporary copy of the project and keeps dbt's partial parse file
                # in its cache (one per task), rewriting its paths for the next copy: dbt's target must then
                # be the copy's own (not the shared DBT_TARGET_PATH), and the artifacts the gate and the
                # benchmarks read (manifest, run results) are copied to DBT_TARGET_PATH after the run.
                partial_parse=True,
                cache_dir=paths().home / "cosmos" / f"{group_id}__{layer}",
                env={"DBT_TARGET_PATH": "target"},
                callback=pipeline.keep_dbt_artifacts,
                full_refresh=full_refresh,
                # a daily selection tests only what the run rewrote (``pipeline.DAILY_DBT_VARS``)
                vars=pipeline.DAILY_DBT_VARS if select is not None else None,
                pool=pipeline.WRITER_POOL,
            )
            if previous is not None:
                previous >> step
            previous = step
    return group


@task(pool=pipeline.WRITER_POOL)
@writes
def quality_gate() -> dict[str, object]:
    """Great Expectations on the candidate; a critical failure fails the task without retrying."""
    # imported when the task runs, not at every DAG parse: Great Expectations takes 9 to 19 s to import
    # (python -X importtime, 2 shared cores), duckdb (warehouse.build_record) 0.3 to 0.4 s
    from expectations.gate import GateFailedError
    from warehouse.build_record import UnverifiedBuildError

    try:
        return pipeline.check_candidate()
    except (GateFailedError, UnverifiedBuildError) as exc:
        raise AirflowFailException(str(exc)) from exc


@task(pool=pipeline.WRITER_POOL, outlets=[PUBLISHED_WAREHOUSE])
@writes
def publish(gate: dict[str, object]) -> str:
    return pipeline.publish_candidate(keep=KEEP_VERSIONS, gate=gate)


@task
def dbt_selector(days: list[str]) -> dict[str, str]:
    """The daily build's dbt selection (models depending on the sources that received drops) and exclusion
    (unit tests and the tests of the lake views, see ``pipeline.DAILY_DBT_EXCLUDE``)."""
    return {"select": pipeline.daily_dbt_selector(days), "exclude": pipeline.daily_dbt_exclude(days)}


SELECTED = "{{ ti.xcom_pull(task_ids='dbt_selector')['select'] }}"
EXCLUDED = "{{ ti.xcom_pull(task_ids='dbt_selector')['exclude'] }}"


def build_check_publish(
    upstream: Any, full_refresh: bool = False, select: str | None = None, exclude: str | None = None
) -> Any:
    """candidate ← published; dbt build; quality gate; publish. Returns the publish task."""
    prepared = prepare_candidate(len(pipeline.DBT_LAYERS) if select is None else 1)
    build = dbt_build(full_refresh=full_refresh, select=select, exclude=exclude)
    upstream >> prepared >> build
    gate = quality_gate()
    build >> gate
    return publish(gate)
