"""What rendering dbt as Airflow tasks costs: one ``dbt build`` task for a layer (what the DAGs do,
``dags/_massar_tasks.py``) against Cosmos's ``DbtTaskGroup`` (one task per model, its tests after it), timed
with ``dag.test()`` on the same layer of an already built home.

Usage (a home with a lake and a built candidate, e.g. after ``massar generate``, ``ingest``, ``build``):

    MASSAR_HOME=/tmp/demo .venv/bin/python benchmarks/bench_cosmos_rendering.py [dbt selector]

The default selector is the staging layer (views: the DuckDB work is small, the figure is mostly Airflow
and dbt start-up per task; 47 tasks as a task group, about 15 min on 2 shared cores: a narrower selector,
e.g. ``path:models/staging/massar/stg_massar__load_log.sql``, gives the per-task figure sooner).
Prints the wall time of each ``dag.test()``, the number of dbt tasks, and the
extra cost per task of the task group.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from massar.orchestration import prepare_airflow

SELECT = sys.argv[1] if len(sys.argv) > 1 else "path:models/staging"


def main() -> None:
    prepare_airflow()
    from airflow.sdk import DAG
    from cosmos import DbtTaskGroup, ExecutionConfig, ProjectConfig, RenderConfig
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior

    from massar import pipeline
    from massar.settings import DBT_PROJECT_DIR, paths

    sys.path.insert(0, str(DBT_PROJECT_DIR.parent / "dags"))
    from _massar_tasks import PROFILE, LockedDbtBuildOperator

    target = paths().home / "dbt-target"
    results = {}

    with DAG("bench_one_build", schedule=None, start_date=datetime(2025, 1, 1)) as one:
        LockedDbtBuildOperator(
            task_id="layer",
            project_dir=str(DBT_PROJECT_DIR),
            profile_config=PROFILE,
            select=SELECT,
            indirect_selection="buildable",
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=pipeline.dbt_executable(),
            append_env=True,
            install_deps=False,
            env={"DBT_TARGET_PATH": "target"},
        )

    with DAG("bench_task_group", schedule=None, start_date=datetime(2025, 1, 1)) as grouped:
        DbtTaskGroup(
            group_id="layer",
            project_config=ProjectConfig(DBT_PROJECT_DIR, manifest_path=target / "manifest.json"),
            profile_config=PROFILE,
            execution_config=ExecutionConfig(
                invocation_mode=InvocationMode.SUBPROCESS, dbt_executable_path=pipeline.dbt_executable()
            ),
            render_config=RenderConfig(
                load_method=LoadMode.DBT_MANIFEST, select=[SELECT], test_behavior=TestBehavior.AFTER_EACH
            ),
            operator_args={"install_deps": False, "append_env": True, "env": {"DBT_TARGET_PATH": "target"}},
        )

    # dag.test() runs the serialized DAG: write these two to the metadata database first (as the DAG
    # processor does for the DAG folder's files).
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    bag = DagBag(dag_folder=str(paths().home / "airflow" / "bench-dags"))
    for dag in (one, grouped):
        bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)

    for dag in (one, grouped):
        n_tasks = len(dag.tasks)
        started = time.perf_counter()
        run = dag.test()
        seconds = time.perf_counter() - started
        results[dag.dag_id] = (n_tasks, seconds)
        print(f"{dag.dag_id}: {n_tasks} task(s), dag.test() {seconds:.1f} s, state {run.state}", flush=True)

    (n1, t1), (n2, t2) = results["bench_one_build"], results["bench_task_group"]
    extra = (t2 - t1) / max(n2 - n1, 1)
    print(f"task group: {t2 - t1:+.1f} s for {n2 - n1} more task(s), {extra:.2f} s per task")


if __name__ == "__main__":
    main()
