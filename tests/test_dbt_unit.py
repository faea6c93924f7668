"""The dbt project on a tiny hand-made lake, without the rest of the pipeline.

``dbt build`` runs the seeds, the models, the data tests and the dbt unit tests (last school of the year,
exit_type, stable student_key, aggregate counts). On top of that, checked here: the pseudonymous key is
sha256(salt || student_code)[:16], the analyst marts hold no personal column, an empty quarantine folder is
not an error, and an incremental run of the fact tables gives exactly the rows of a full refresh.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
DBT = str(Path(sys.executable).with_name("dbt"))
SALT = "unit-test-salt"
PERSONAL = {
    "student_code",
    "first_name_ar",
    "last_name_ar",
    "first_name_fr",
    "last_name_fr",
    "birth_date",
    "guardian_name",
}

SCHOOLS = {  # school_code: (region_code, province_code, sector, area, cycle_code)
    "01511A": ("01", "01.511", "public", "urban", "primary"),
    "01511B": ("01", "01.511", "private", "urban", "primary"),
    "03231A": ("03", "03.231", "public", "rural", "primary"),
}
YEAR = "2024-2025"


def _write(
    lake: Path,
    entity: str,
    region: str,
    rows: list[dict],
    types: dict[str, pa.DataType],
    batch: str,
    drop_date: date = date(2024, 9, 9),
) -> None:
    folder = lake / entity / f"school_year={YEAR}" / f"region_code={region}"
    folder.mkdir(parents=True, exist_ok=True)
    columns = {name: pa.array([r[name] for r in rows], type) for name, type in types.items()}
    columns["_batch_id"] = pa.array([batch] * len(rows), pa.string())
    columns["_source_file"] = pa.array([f"{YEAR}/{region}/{entity}.csv"] * len(rows), pa.string())
    columns["_line_number"] = pa.array(range(2, len(rows) + 2), pa.int64())
    columns["_loaded_at"] = pa.array([datetime(2025, 1, 1)] * len(rows), pa.timestamp("us"))
    columns["_drop_date"] = pa.array([drop_date] * len(rows), pa.date32())
    pq.write_table(pa.table(columns), folder / f"{batch}.parquet")
    log = lake / "_load_log" / f"region_code={region}"
    log.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "batch_id": [batch],
                "entity": [entity],
                "source_file": [f"{YEAR}/{region}/{entity}.csv"],
                "school_year": [YEAR],
                "rows_in": pa.array([len(rows)], pa.int64()),
                "rows_accepted": pa.array([len(rows)], pa.int64()),
                "rows_quarantined": pa.array([0], pa.int64()),
                "status": ["loaded"],
                "message": pa.array([None], pa.string()),
                "loaded_at": pa.array([datetime(2025, 1, 1)], pa.timestamp("us")),
            }
        ),
        log / f"{batch}.parquet",
    )


#: Column types of the absences lake files written here (``_absences`` rows).
ABSENCE_TYPES: dict[str, pa.DataType] = {
    "school_code": pa.string(),
    "class_code": pa.string(),
    "student_code": pa.string(),
    "absence_date": pa.date32(),
    "session_number": pa.int64(),
    "justified": pa.bool_(),
    "reason_code": pa.string(),
}


def _absences(codes: list[str], school: str, day: int) -> list[dict]:
    return [
        {
            "school_code": school,
            "class_code": f"{school}-1AP-01",
            "student_code": c,
            "absence_date": date(2024, 10, day),
            "session_number": 1,
            "justified": i % 2 == 0,
            "reason_code": "ILL" if i % 2 == 0 else None,
        }
        for i, c in enumerate(codes)
    ]


def make_lake(lake: Path) -> None:
    s, i, f, d = pa.string(), pa.int64(), pa.float64(), pa.date32()
    pupils = {"01": [f"A{n:09d}" for n in range(1, 7)], "03": [f"C{n:09d}" for n in range(1, 5)]}
    for region in ("01", "03"):
        schools = [k for k, v in SCHOOLS.items() if v[0] == region]
        _write(
            lake,
            "schools",
            region,
            [
                {
                    "province_code": SCHOOLS[k][1],
                    "school_code": k,
                    "school_name_fr": f" Ecole {k} ",
                    "school_name_ar": f"مدرسة {k}",
                    "sector": SCHOOLS[k][2],
                    "area": SCHOOLS[k][3],
                    "cycle_code": SCHOOLS[k][4],
                }
                for k in schools
            ],
            {
                "province_code": s,
                "school_code": s,
                "school_name_fr": s,
                "school_name_ar": s,
                "sector": s,
                "area": s,
                "cycle_code": s,
            },
            f"schools-{region}",
        )
        _write(
            lake,
            "classes",
            region,
            [
                {"school_code": k, "class_code": f"{k}-1AP-01", "level_code": "1AP", "stream_code": None}
                for k in schools
            ],
            {"school_code": s, "class_code": s, "level_code": s, "stream_code": s},
            f"classes-{region}",
        )
        _write(
            lake,
            "pupils",
            region,
            [
                {
                    "student_code": c,
                    "last_name_ar": "العلوي",
                    "first_name_ar": "محمد",
                    "last_name_fr": "Alaoui",
                    "first_name_fr": "Mohamed",
                    "sex": "MF"[n % 2],
                    "birth_date": date(2017, 1, 1 + n),
                    "guardian_name": None,
                }
                for n, c in enumerate(pupils[region])
            ],
            {
                "student_code": s,
                "last_name_ar": s,
                "first_name_ar": s,
                "last_name_fr": s,
                "first_name_fr": s,
                "sex": s,
                "birth_date": d,
                "guardian_name": s,
            },
            f"pupils-{region}",
        )
        teacher = f"T{int(region) * 1000:08d}"
        _write(
            lake,
            "teachers",
            region,
            [
                {
                    "teacher_code": teacher,
                    "school_code": schools[0],
                    "last_name_fr": "Bennani",
                    "first_name_fr": "Amina",
                    "sex": "F",
                    "subject_code": "AR",
                    "statutory_hours": 24,
                }
            ],
            {
                "teacher_code": s,
                "school_code": s,
                "last_name_fr": s,
                "first_name_fr": s,
                "sex": s,
                "subject_code": s,
                "statutory_hours": i,
            },
            f"teachers-{region}",
        )
        _write(
            lake,
            "teaching_assignments",
            region,
            [
                {
                    "school_code": schools[0],
                    "teacher_code": teacher,
                    "class_code": f"{schools[0]}-1AP-01",
                    "subject_code": "AR",
                    "weekly_hours": 4.5,
                }
            ],
            {"school_code": s, "teacher_code": s, "class_code": s, "subject_code": s, "weekly_hours": f},
            f"assignments-{region}",
        )
        events = [
            {
                "school_code": schools[0],
                "class_code": f"{schools[0]}-1AP-01",
                "student_code": c,
                "level_code": "1AP",
                "event_type": "entry",
                "event_date": date(2024, 9, 5),
            }
            for c in pupils[region]
        ]
        if region == "01":  # A..1 transfers to 01511B; A..2 drops out
            events += [
                {
                    "school_code": "01511A",
                    "class_code": "01511A-1AP-01",
                    "student_code": "A000000001",
                    "level_code": "1AP",
                    "event_type": "transfer_out",
                    "event_date": date(2025, 1, 10),
                },
                {
                    "school_code": "01511B",
                    "class_code": "01511B-1AP-01",
                    "student_code": "A000000001",
                    "level_code": "1AP",
                    "event_type": "transfer_in",
                    "event_date": date(2025, 1, 13),
                },
                {
                    "school_code": "01511A",
                    "class_code": "01511A-1AP-01",
                    "student_code": "A000000002",
                    "level_code": "1AP",
                    "event_type": "dropout",
                    "event_date": date(2025, 3, 3),
                },
            ]
        _write(
            lake,
            "enrollments",
            region,
            events,
            {
                "school_code": s,
                "class_code": s,
                "student_code": s,
                "level_code": s,
                "event_type": s,
                "event_date": d,
            },
            f"enrollments-{region}",
        )
        _write(
            lake,
            "absences",
            region,
            _absences(pupils[region], schools[0], 1),
            ABSENCE_TYPES,
            f"absences-{region}",
        )
        _write(
            lake,
            "grades",
            region,
            [
                {
                    "school_code": schools[0],
                    "class_code": f"{schools[0]}-1AP-01",
                    "student_code": c,
                    "subject_code": "AR",
                    "semester": 1,
                    "assessment_type": "CC1",
                    "assessment_date": date(2024, 11, 15),
                    "grade": None if n == 0 else 12.5,
                    "missed_code": "ABJ" if n == 0 else None,
                }
                for n, c in enumerate(pupils[region])
            ],
            {
                "school_code": s,
                "class_code": s,
                "student_code": s,
                "subject_code": s,
                "semester": i,
                "assessment_type": s,
                "assessment_date": d,
                "grade": f,
                "missed_code": s,
            },
            f"grades-{region}",
        )
    (lake / "_quarantine").mkdir(parents=True, exist_ok=True)  # no rejected row: an empty folder


def restricted_of(db: Path) -> Path:
    """The restricted file dbt builds beside the warehouse file ``db`` (one per warehouse file here)."""
    folder = db.parent / f"{db.stem}-restricted"
    folder.mkdir(exist_ok=True)
    return folder / "restricted.duckdb"


def dbt(work: Path, db: Path, *args: str, succeeds: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MASSAR_LAKE_DIR": str(work / "lake"),
        "MASSAR_CANDIDATE_DB": str(db),
        "MASSAR_RESTRICTED_DB": str(restricted_of(db)),
        "MASSAR_PSEUDONYM_SALT": SALT,
        "DBT_PROFILES_DIR": str(DBT_DIR),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    result = subprocess.run(
        [DBT, *args], cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert (result.returncode == 0) == succeeds, result.stdout[-4000:] + result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("dbt")
    make_lake(work / "lake")
    dbt(work, work / "candidate.duckdb", "build")
    return work


def test_build_and_marts(built: Path) -> None:
    con = duckdb.connect(str(built / "candidate.duckdb"), read_only=True)
    try:
        con.execute("attach ? as restricted (read_only)", [str(restricted_of(built / "candidate.duckdb"))])
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                "select i.student_code, f.school_code, f.exit_type from marts.fct_enrollment f "
                "join restricted.restricted.student_identity i using (student_key)"
            ).fetchall()
        }
        assert len(rows) == 10
        assert rows["A000000001"] == ("01511B", None)  # last school of the year after a transfer
        assert rows["A000000002"] == ("01511A", "dropout")
        key = hashlib.sha256((SALT + "A000000001").encode()).hexdigest()[:16]
        assert con.execute(
            "select student_key from restricted.restricted.student_identity where student_code = 'A000000001'"
        ).fetchall() == [(key,)]
        assert con.execute("select sum(pupils) from marts.agg_enrollment_by_region").fetchall() == [(10,)]
        assert con.execute("select count(*) from audit.quarantine").fetchall() == [(0,)]
        columns = con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts'"
        ).fetchall()
        assert columns and not {c for (c,) in columns} & PERSONAL
    finally:
        con.close()


def _write_deletion(lake: Path, entity: str, region: str, keys: list[dict], types: dict, drop: date) -> None:
    folder = lake / "_deletions" / entity / f"school_year={YEAR}" / f"region_code={region}"
    folder.mkdir(parents=True, exist_ok=True)
    columns = {name: pa.array([k[name] for k in keys], type) for name, type in types.items()}
    columns["_drop_date"] = pa.array([drop] * len(keys), pa.date32())
    columns["_batch_id"] = pa.array([f"{entity}-deleted"] * len(keys), pa.string())
    columns["_source_file"] = pa.array(
        [f"{YEAR}/{region}/{entity}__{drop}__deleted.csv"] * len(keys), pa.string()
    )
    columns["_line_number"] = pa.array(range(2, len(keys) + 2), pa.int64())
    columns["_loaded_at"] = pa.array([datetime(2025, 2, 1)] * len(keys), pa.timestamp("us"))
    pq.write_table(pa.table(columns), folder / f"{entity}-deleted.parquet")


def test_incremental_equals_full_refresh(built: Path) -> None:
    lake = built / "lake"
    # new batch in one partition, a whole partition removed, another partition corrected in place,
    # a correction (same key, later drop) and a deletion (later drop) of single records
    s, i = pa.string(), pa.int64()
    types = ABSENCE_TYPES
    _write(
        lake, "absences", "01", _absences(["A000000003", "A000000004"], "01511A", 8), types, "absences-01-b"
    )
    corrected = _absences(["A000000002"], "01511A", 1)  # A..2 was unjustified on 1 Oct: now justified
    corrected[0].update(justified=True, reason_code="FAM")
    _write(lake, "absences", "01", corrected, types, "absences-01-c", drop_date=date(2024, 10, 3))
    shutil.rmtree(lake / "absences" / f"school_year={YEAR}" / "region_code=03")
    grades = lake / "grades" / f"school_year={YEAR}" / "region_code=01" / "grades-01.parquet"
    table = pq.read_table(grades)
    pq.write_table(table.slice(1), grades)
    grade_key = {"student_code": "C000000002", "subject_code": "AR", "semester": 1, "assessment_type": "CC1"}
    grade_key_types = {"student_code": s, "subject_code": s, "semester": i, "assessment_type": s}
    _write_deletion(lake, "grades", "03", [grade_key], grade_key_types, date(2024, 12, 1))

    facts = (
        "marts.fct_absence",
        "marts.fct_grade",
        "marts.fct_absence_daily",
        "marts.agg_absence_class_daily",
        "intermediate.int_attendance__class_days",
        "marts.agg_recording_compliance",
    )
    # "+": staging views are re-created too (stg_massar__deletions now has files), as `dbt build` does
    selection = ("+fct_absence_daily", "+fct_grade", "+agg_absence_class_daily", "+agg_recording_compliance")
    dbt(built, built / "candidate.duckdb", "run", "--select", *selection)
    dbt(built, built / "full.duckdb", "build", "--full-refresh")

    con = duckdb.connect()
    try:
        con.execute(f"attach '{built / 'candidate.duckdb'}' as incr (read_only)")
        con.execute(f"attach '{built / 'full.duckdb'}' as full_refresh (read_only)")
        for table_name in facts:
            incr = sorted(con.execute(f"select * from incr.{table_name}").fetchall(), key=repr)
            full = sorted(con.execute(f"select * from full_refresh.{table_name}").fetchall(), key=repr)
            assert incr == full, table_name
        assert con.execute("select count(*) from incr.marts.fct_absence").fetchall() == [(8,)]
        assert con.execute("select count(*) from incr.marts.fct_grade").fetchall() == [(8,)]
        key = hashlib.sha256((SALT + "A000000002").encode()).hexdigest()[:16]
        assert con.execute(
            "select justified, reason_code from incr.marts.fct_absence where student_key = ?", [key]
        ).fetchall() == [(True, "FAM")]
        deleted = hashlib.sha256((SALT + "C000000002").encode()).hexdigest()[:16]
        assert con.execute(
            "select count(*) from incr.marts.fct_grade where student_key = ?", [deleted]
        ).fetchall() == [(0,)]
    finally:
        con.close()


DAILY_VARS = '{"scope_tests_to_changes": true}'  # as massar.pipeline.DAILY_DBT_VARS


def test_daily_build_tests_the_rewritten_partitions_only(built: Path) -> None:
    """In a daily build (var scope_tests_to_changes), fct_absence's tests read the partitions the run
    rewrote (dbt/macros/scoped_tests.sql): a bad row in a new day's partition fails the build, a bad row in
    an unchanged partition is left to the full builds, which test everything."""
    lake, candidate = built / "lake", built / "candidate.duckdb"
    types = ABSENCE_TYPES
    bad = _absences(["A000000005"], "01511A", 20)
    bad[0]["session_number"] = 9  # out of 1-8 (the ingestion would quarantine it; this lake is hand-made)
    _write(lake, "absences", "01", bad, types, "absences-01-bad")
    failed = dbt(built, candidate, "build", "--select", "fct_absence", "--vars", DAILY_VARS, succeeds=False)
    assert "accepted_range_fct_absence_session_number" in failed.stdout
    with duckdb.connect(str(candidate), read_only=True) as con:
        assert con.execute("select * from audit.incremental_last__fct_absence").fetchall() == [
            ("2024-2025|2024-10-20",)
        ]

    # The bad file is withdrawn: the day's partition is rewritten (empty) and the build passes.
    for path in lake.glob("**/absences-01-bad.parquet"):
        path.unlink()
    dbt(built, candidate, "build", "--select", "fct_absence", "--vars", DAILY_VARS)

    # A duplicate planted in an unchanged partition: the daily build does not read it (nothing was
    # rewritten), a full test run does.
    with duckdb.connect(str(candidate)) as con:
        con.execute("insert into marts.fct_absence select * from marts.fct_absence limit 1")
    try:
        dbt(built, candidate, "build", "--select", "fct_absence", "--vars", DAILY_VARS)
        with duckdb.connect(str(candidate), read_only=True) as con:
            rewritten = con.execute("select count(*) from audit.incremental_last__fct_absence").fetchall()
        assert rewritten == [(0,)]
        full = dbt(built, candidate, "test", "--select", "fct_absence", succeeds=False)
        assert "unique_combination_of_columns_fct_absence" in full.stdout
    finally:
        with duckdb.connect(str(candidate)) as con:
            con.execute(
                "create or replace table marts.fct_absence as from (select distinct * from marts.fct_absence)"
            )
