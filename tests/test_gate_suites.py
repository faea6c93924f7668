"""The gate does not run again what dbt's data tests check: it reads their outcome from the build record.
A dbt test that fails blocks the gate, named in its record; the suites the gate runs itself hold no key or
mandatory-column check of a table that dbt tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from publish_support import copy_home, home_at

from expectations.gate import RAW_ENTITIES, dbt_test_failures, mart_plan
from expectations.suites import CRITICAL, WARNING, raw_entity_suite
from ingestion.contracts import CONTRACTS
from massar import pipeline
from massar.settings import paths
from warehouse import build_record

#: GX expectation types that check keys or mandatory columns: dbt's not_null / unique tests
KEY_AND_NOT_NULL = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
    "expect_select_column_values_to_be_unique_within_record",
    "expect_multicolumn_values_to_be_unique",
}


@pytest.fixture
def home(pipeline_home: Path, tmp_path: Path) -> Iterator[Path]:
    with home_at(copy_home(pipeline_home, tmp_path / "home")) as root:
        yield root


def test_a_failed_dbt_test_blocks_the_gate_named_with_what_it_guards(home: Path) -> None:
    """One school loses its region in the candidate: dbt's not_null test of dim_school.region_code fails
    during the (recorded) test run; the gate refuses the candidate and its record names that test, with
    what it guards and what to do, without running any check of its own."""
    p = paths()
    with duckdb.connect(str(p.candidate_db)) as con:
        con.execute(
            "update marts.dim_school set region_code = null "
            "where school_code = (select min(school_code) from marts.dim_school)"
        )
    build_record.begin(p.candidate_db, p.lake, planned=1, kind="test: dim_school's tests")
    with pytest.raises(pipeline.BuildFailedError):
        pipeline.run_dbt("test", "--select", "dim_school", record="build")
    failed = {t["name"]: t for t in build_record.failed_tests(build_record.read(p.candidate_db) or {})}
    assert set(failed) == {"not_null_dim_school_region_code"}  # dbt's name of that test
    assert failed["not_null_dim_school_region_code"]["failures"] == 1

    with pytest.raises(build_record.UnverifiedBuildError, match="not_null_dim_school_region_code"):
        pipeline.check_candidate()
    record = json.loads((p.gx_root / "gate_history.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert record["publishable"] is False and record["verdict"] == "blocked"
    assert record["dbt_tests"] == ["not_null_dim_school_region_code"]
    assert record["suites"] == {"build_complete": False, "dbt_tests": False}
    (failure,) = [f for f in record["failures"] if f["suite"] == "dbt_tests"]
    assert failure["severity"] == CRITICAL and failure["column"] == "dim_school.region_code"
    assert failure["expectation"] == "not_null"
    assert failure["observed"].startswith("not_null_dim_school_region_code: fail, 1 row(s)")
    assert "region" in failure["description"]  # the column's description says what it guards
    assert failure["on_failure"].startswith("Do not publish.")  # dbt_project.yml's default


def test_the_gate_runs_no_key_or_not_null_check_of_a_table_dbt_tests(pipeline_home: Path) -> None:
    """Counted on the suites the gate runs on the session pipeline: no key or not-null expectation on the
    marts; on the lake rows, not-null only for columns no dbt test reads (the staging view of the entity
    tests its key only), and no key check (dbt tests it on the current state)."""
    with home_at(pipeline_home):
        p = paths()
        plan = mart_plan(p.candidate_db, p.lake)
        manifest = json.loads((p.dbt_target / "manifest.json").read_text(encoding="utf-8"))
    assert {suite.name for suite, _ in plan} == {
        "mart_agg_enrollment_by_region",
        "freshness_by_region",
        "absence_day_over_day",
    }
    mart_types = [e.expectation_type for suite, _ in plan for e in suite.expectations]
    assert mart_types and not KEY_AND_NOT_NULL & set(mart_types)

    dbt_not_null = {
        (node["attached_node"].split(".")[-1], node["column_name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("name") == "not_null"
    }
    for entity in RAW_ENTITIES:
        suite = raw_entity_suite(CONTRACTS[entity])
        assert suite.name == f"raw_{entity}"
        types = [e.expectation_type for e in suite.expectations]
        assert not {t for t in types if "unique" in t}
        not_null = {e.column for e in suite.expectations if e.expectation_type in KEY_AND_NOT_NULL}
        assert not {(f"stg_massar__{entity}", c) for c in not_null} & dbt_not_null


def test_dbt_tests_that_warned_publish_with_a_flag() -> None:
    """A test of ``warn`` severity that found rows is a warning; a failed or errored one is critical."""
    record = {
        "steps": [
            {
                "tests_run": 3,
                "tests": [
                    {"name": "a", "status": "warn", "failures": 2, "test": "accepted_values",
                     "model": "m", "column": "c", "description": "d", "on_failure": "o"},
                    {"name": "b", "status": "error", "failures": None, "test": "singular",
                     "model": "m", "column": None, "description": "d", "on_failure": "o"},
                ],
            }
        ]
    }  # fmt: skip
    failures = dbt_test_failures(record)
    assert [(f.severity, f.column, f.observed.split(":")[0]) for f in failures] == [
        (WARNING, "m.c", "a"),
        (CRITICAL, "m", "b"),
    ]
