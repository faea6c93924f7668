"""Only a complete, verified build is checked and published: a failed build, a candidate written after its
build, a lake changed since the build, or a gate verdict about another build are refused, by the command
line (one line on stderr, a documented exit code) as by the pipeline functions the DAGs call."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from publish_support import copy_home, home_at, last_line, massar, sealed_gate

from massar import pipeline
from massar.settings import paths
from warehouse import build_record
from warehouse.publish import PublishError, current

EXIT_REFUSED, EXIT_BUILD_FAILED = 2, 3  # docs/operations.md, "Exit codes"


@pytest.fixture
def home(pipeline_home: Path, tmp_path: Path) -> Iterator[Path]:
    with home_at(copy_home(pipeline_home, tmp_path / "home")) as root:
        yield root


def _truncate_one_grades_file(lake: Path) -> Path:
    """Damage one committed lake file as a failed disk or an interrupted copy would: cut it in half."""
    victim = sorted((lake / "grades").rglob("*.parquet"))[0]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    return victim


def test_a_failed_build_is_neither_checked_nor_published(home: Path) -> None:
    """One lake file truncated: the build of what reads it fails, and `massar check` and `massar publish`
    refuse the candidate, although the gate's last verdict was a pass."""
    p = paths()
    live = current(p.published_dir)
    assert live is not None
    _truncate_one_grades_file(p.lake)
    # A partial build (as a daily build is): the grades staging view and its tests, which read the file.
    build_record.begin(p.candidate_db, p.lake, planned=1, kind="test: grades staging")
    with pytest.raises(pipeline.BuildFailedError):
        pipeline.run_dbt("build", "--select", "stg_massar__grades", record="build")
    record = build_record.read(p.candidate_db)
    assert record is not None and record["status"] == "failed"
    assert set(record["steps"][0]["counts"]) - build_record.OK_STATUSES  # an error, a failed test

    check = massar(home, "check")
    assert check.returncode == EXIT_REFUSED, check.stderr
    assert last_line(check.stderr).startswith("not publishable: the candidate's last build failed")
    assert "Traceback" not in check.stderr
    history = (p.gx_root / "gate_history.jsonl").read_text(encoding="utf-8").strip().splitlines()
    assert json.loads(history[-1])["suites"]["build_complete"] is False

    published = massar(home, "publish")
    assert published.returncode == EXIT_REFUSED, published.stderr
    assert last_line(published.stderr).startswith("not published: the candidate's last build failed")
    assert "Traceback" not in published.stderr
    assert current(p.published_dir) == live
    with pytest.raises(PublishError, match="last build failed"):  # what the DAGs' publish task calls
        pipeline.publish_candidate(gate=sealed_gate_without_sealing(home))


def sealed_gate_without_sealing(home: Path) -> dict[str, object]:
    """A passing verdict that names the candidate and its (failed) build: still refused."""
    from warehouse.publish import candidate_fingerprint

    record = build_record.read(home / "warehouse" / "candidate.duckdb") or {}
    return {
        "publishable": True,
        "verdict": "pass",
        "candidate": candidate_fingerprint(home / "warehouse" / "candidate.duckdb"),
        "build": record.get("id"),
    }


def test_a_candidate_written_after_its_build_is_refused(home: Path) -> None:
    p = paths()
    gate = sealed_gate(home)
    with duckdb.connect(str(p.candidate_db)) as con:
        con.execute("delete from marts.dim_school where rowid = 0")
    with pytest.raises(build_record.UnverifiedBuildError, match="written after its last recorded build"):
        pipeline.publish_candidate(gate=gate)
    result = massar(home, "publish")
    assert result.returncode == EXIT_REFUSED and "Traceback" not in result.stderr
    assert "written after its last recorded build" in last_line(result.stderr)


def test_a_lake_changed_since_the_build_is_refused(home: Path) -> None:
    p = paths()
    gate = sealed_gate(home)
    build_record.verify(p.candidate_db, p.lake)  # as built: verified
    victim = sorted((p.lake / "absences").rglob("*.parquet"))[0]
    stat = victim.stat()
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # rewritten since
    with pytest.raises(build_record.UnverifiedBuildError, match="lake changed since"):
        pipeline.check_candidate()
    with pytest.raises(build_record.UnverifiedBuildError, match="lake changed since"):
        pipeline.publish_candidate(gate=gate)


def test_a_verdict_about_another_build_is_refused(home: Path) -> None:
    """The verdict names the candidate and its build: the same file re-declared as another build (a
    rebuild that produced identical bytes is still another build) needs its own check."""
    p = paths()
    live = current(p.published_dir)
    stale = sealed_gate(home)
    sealed_gate(home)  # a new build record for the same candidate
    with pytest.raises(PublishError, match="not for this candidate as built now"):
        pipeline.publish_candidate(gate=stale)
    assert current(p.published_dir) == live


def test_partial_build_counts_every_selected_node(tmp_path: Path) -> None:
    """A daily build selects part of the project: it is complete when every selected node succeeded; a
    skipped or failed node fails it, and so does a run that wrote no results."""
    candidate, lake = tmp_path / "candidate.duckdb", tmp_path / "lake"
    lake.mkdir()
    duckdb.connect(str(candidate)).close()

    def results(*statuses: str) -> Path:
        path = tmp_path / "run_results.json"
        path.write_text(
            json.dumps(
                {
                    "metadata": {"generated_at": "2999-01-01T00:00:00.000000Z"},
                    "results": [{"unique_id": f"n{i}", "status": s} for i, s in enumerate(statuses)],
                }
            ),
            encoding="utf-8",
        )
        return path

    build_record.begin(candidate, lake, planned=1)
    assert build_record.record_step(candidate, results("success", "pass", "warn", "no-op"), 0)["status"] == (
        "success"
    )
    build_record.verify(candidate, lake)
    for statuses in (("success", "skipped"), ("success", "error"), ("pass", "fail")):
        build_record.begin(candidate, lake, planned=1)
        assert build_record.record_step(candidate, results(*statuses), 1)["status"] == "failed"
    build_record.begin(candidate, lake, planned=1)
    assert build_record.record_step(candidate, tmp_path / "missing.json", 2)["status"] == "failed"
    # A build of three layers (the DAG): success only once the three are recorded.
    build_record.begin(candidate, lake, planned=3)
    for _ in range(2):
        assert build_record.record_step(candidate, results("success"), None)["status"] == "running"
        with pytest.raises(build_record.UnverifiedBuildError, match="did not finish"):
            build_record.verify(candidate, lake)
    assert build_record.record_step(candidate, results("success"), None)["status"] == "success"
    # An Airflow retry of a failed layer's task replaces that layer's outcome; another layer does not.
    build_record.begin(candidate, lake, planned=2)
    assert build_record.record_step(candidate, results("error"), None, "staging")["status"] == "failed"
    assert build_record.record_step(candidate, results("success"), None, "marts")["status"] == "failed"
    assert build_record.record_step(candidate, results("success"), None, "staging")["status"] == "success"


def test_the_dag_records_its_build_with_the_version(pipeline_home: Path) -> None:
    """The session pipeline (the Airflow DAG, dbt through Cosmos layer by layer) published a version that
    carries its build record: one successful step per layer, every node ok."""
    live = current(pipeline_home / "warehouse" / "published")
    assert live is not None
    record = build_record.read(live.path)
    assert record is not None and record["status"] == "success"
    assert [s["label"] for s in record["steps"]] == [f"dbt_build.{layer}" for layer, _ in pipeline.DBT_LAYERS]
    assert all(s["ok"] for s in record["steps"])
    assert set(build_record.totals(record)) <= build_record.OK_STATUSES


@pytest.mark.slow  # a full `massar build` of the session home (about a minute)
def test_cli_build_check_publish_after_a_damaged_lake_file(home: Path) -> None:
    """The operator's sequence of the fault campaign: a truncated lake file, `massar build` fails with a
    status, then `massar check` and `massar publish` refuse; nothing is published."""
    p = paths()
    live = current(p.published_dir)
    _truncate_one_grades_file(p.lake)
    build = massar(home, "build")
    assert build.returncode == EXIT_BUILD_FAILED, build.stderr[-2000:]
    assert last_line(build.stderr).startswith("build failed: dbt build failed")
    assert "Traceback" not in build.stderr
    for command, outcome in (("check", "not publishable"), ("publish", "not published")):
        result = massar(home, command)
        assert result.returncode == EXIT_REFUSED, result.stderr
        assert last_line(result.stderr).startswith(f"{outcome}: the candidate's last build failed")
    versions = massar(home, "versions")
    assert versions.returncode == 0
    current_lines = [line.split()[1] for line in versions.stdout.splitlines() if line.startswith("* ")]
    assert current_lines == [live.version]
    assert current(p.published_dir) == live
