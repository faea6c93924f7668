"""The benchmark harness at a tiny scale: the engine floor and the pandas baseline give the same numbers as
the marts of the real pipeline (generate, ingest, dbt build, gate, publish), and the comparison catches
a wrong number.

Slow (a real dbt build and quality gate, 3 to 5 minutes on the shared machine): ``pytest -m slow``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
RUN = REPO / "benchmarks" / "run.py"
sys.path.insert(0, str(REPO / "benchmarks"))

from compare import VIEWS, compare  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    home = tmp_path_factory.mktemp("bench") / "home"
    results = home.parent / "results"
    completed = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--scale",
            "tiny",
            "--pupils",
            "600",
            "--home",
            str(home),
            "--results",
            str(results),
            "--stages",
            "generate,ingest,build,check,publish,floor,pandas,compare",
            # the dbt unit tests check the rules on fixtures (tests/test_dbt*.py run them): not needed here
            "--skip-unit-tests",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (record,) = [json.loads(p.read_text()) for p in results.glob("600p-*.json")]
    return home, record


def test_every_stage_reports_time_rows_and_memory(bench: tuple[Path, dict]) -> None:
    _, record = bench
    stages = {s["stage"]: s for s in record["stages"]}
    assert list(stages) == ["generate", "ingest", "build", "check", "publish", "floor", "pandas", "compare"]
    for s in stages.values():
        assert s["ok"] and s["seconds"] > 0 and s["rows"] > 0 and s["peak_rss_mb"] > 0, s
    summary = record["summary"]
    assert summary["ratio_ours_core_over_floor"] > 0 and summary["ratio_pandas_over_ours_core"] > 0


def test_baselines_equal_the_published_marts(bench: tuple[Path, dict]) -> None:
    _, record = bench
    compared = next(s for s in record["stages"] if s["stage"] == "compare")["extra"]
    for side in ("floor", "pandas"):
        views = {v["view"]: v for v in compared[side]}
        assert set(views) == set(VIEWS)
        for name, v in views.items():
            assert v["keys_ours"] > 0 and v["keys_ours"] == v["keys_theirs"], (side, name, v)
            assert v["mismatches"] == 0, (side, name, v["example"])
    assert compared["all_equal"] is True


def _published(home: Path) -> Path:
    name = (home / "warehouse" / "published" / "CURRENT").read_text().strip().removesuffix(".duckdb")
    return home / "warehouse" / "published" / f"{name}.duckdb"


def test_enrollment_counts_match_an_independent_count_of_the_exports(bench: tuple[Path, dict]) -> None:
    """Pupils per school year straight from the enrollments CSV (distinct pupils with an event), against
    the published fct_enrollment: expected numbers not computed by the floor or the marts."""
    home, _ = bench
    con = duckdb.connect()
    expected = dict(
        con.execute(
            f"""select school_year, count(distinct student_code)
                from read_csv('{home}/exports/*/*/enrollments*.csv', delim=';', header=true, all_varchar=true)
                group by 1"""
        ).fetchall()
    )
    with duckdb.connect(str(_published(home)), read_only=True) as ours:
        got = dict(
            ours.execute("select school_year, count(*) from marts.fct_enrollment group by 1").fetchall()
        )
    assert got == expected and len(got) == 2


def test_the_comparison_catches_a_wrong_number(bench: tuple[Path, dict], tmp_path: Path) -> None:
    home, _ = bench
    broken = tmp_path / "floor.duckdb"
    broken.write_bytes((home / "floor.duckdb").read_bytes())
    with duckdb.connect(str(broken)) as con:
        con.execute(
            "update fct_attendance_ytd set absent_days = absent_days + 1 "
            "where rowid = (select min(rowid) from fct_attendance_ytd)"
        )
        con.execute(
            "delete from fct_subject_average where rowid = (select min(rowid) from fct_subject_average)"
        )
    con = duckdb.connect()
    con.execute(f"attach '{_published(home)}' as ours (read_only)")
    con.execute(f"attach '{broken}' as floor (read_only)")
    result = {c.view: c for c in compare(con, "ours.marts.", "floor.main.")}
    assert not result["attendance_ytd"].equal and result["attendance_ytd"].mismatches == 1
    assert not result["subject_average"].equal
    assert result["enrollment"].equal and result["flows"].equal
