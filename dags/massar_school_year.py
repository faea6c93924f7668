"""School year: the start-of-year loads (schools, classes, pupils, enrollments, staff, timetables) or the
year close (grades, exam results, decisions), per region (mapped), then a full dbt rebuild, gate, publish.

Param ``phase``: ``start`` or ``close``.
"""

from __future__ import annotations

from datetime import datetime

from _massar_tasks import (
    DEFAULT_ARGS,
    build_check_publish,
    list_regions,
    reconcile,
    writes,
)
from airflow.sdk import Param, dag, get_current_context, task

from massar import pipeline

PHASES = {
    "start": [
        "schools",
        "classes",
        "pupils",
        "enrollments",
        "teachers",
        "teaching_assignments",
        "timetables",
    ],
    "close": ["grades", "exam_results", "decisions", "enrollments"],
}


@dag(
    dag_id="massar_school_year",
    description="Start-of-year enrollment, classes and timetables; or the year close (results, decisions).",
    schedule=None,
    start_date=datetime(2025, 9, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"phase": Param("start", enum=sorted(PHASES), description="start (September) or close (June).")},
    tags=["massar", "school-year"],
)
def massar_school_year() -> None:
    @task
    def entities() -> list[str]:
        return PHASES[str(get_current_context()["params"]["phase"])]

    @task(max_active_tis_per_dag=2)
    @writes
    def ingest_region_entities(region_code: str, entities: list[str]) -> dict[str, int]:
        return pipeline.ingest_region_entities(region_code, entities)

    ingested = ingest_region_entities.partial(entities=entities()).expand(region_code=list_regions())
    build_check_publish(reconcile(ingested), full_refresh=True)


massar_school_year()
