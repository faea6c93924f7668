"""End to end: the real DAG on a tiny synthetic country, then every mart checked against figures computed
independently from the export files with polars (and the generator's fault manifest as ground truth).

The expected figures here never go through the ingestion code or dbt: they parse the CSV files directly,
drop the lines the generator recorded as faulty, and apply the reference rules (a row needs its school,
class and pupil) by plain joins.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.contracts import CONTRACTS
from synthetic.faults import REGISTRY

PERSONAL = {
    "student_code",
    "first_name_ar",
    "last_name_ar",
    "first_name_fr",
    "last_name_fr",
    "birth_date",
    "guardian_name",
}


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1256")  # the synthetic source writes some files as Arabic Windows exports


def _read_file(path: Path, exports: Path, entity: str) -> pl.DataFrame:
    """One export file as text columns with canonical names, its line numbers, path and drop order."""
    aliases = {a.lower(): c.name for c in CONTRACTS[entity].columns for a in (c.name, *c.aliases)}
    frame = pl.read_csv(
        io.StringIO(_decode(path)), separator=";", infer_schema=False, truncate_ragged_lines=True
    )
    frame = frame.rename({col: aliases[col.strip().lower()] for col in frame.columns})
    stem_parts = path.stem.split("__")
    drop = date.fromisoformat(stem_parts[1]) if len(stem_parts) > 1 else date.min  # bulk files come first
    return frame.with_row_index("line", offset=2).with_columns(
        pl.col("line").cast(pl.Int64),
        pl.lit(path.relative_to(exports).as_posix()).alias("path"),
        pl.lit(drop).alias("drop"),
    )


def _current_state(exports: Path, entity: str, faulty: pl.DataFrame) -> pl.DataFrame:
    """Rows of every drop minus the faulty lines; per key the latest drop wins; deletions remove keys."""
    files = [p for p in sorted(exports.glob(f"*/*/{entity}*.csv")) if p.stem.split("__")[0] == entity]
    rows = [_read_file(p, exports, entity) for p in files if not p.stem.endswith("__deleted")]
    frame = pl.concat(rows, how="diagonal").join(faulty, on=["path", "line"], how="anti")
    key = list(CONTRACTS[entity].primary_key)
    frame = frame.sort("drop", "path", "line").unique(key, keep="last", maintain_order=True)
    deletions = [_read_file(p, exports, entity) for p in files if p.stem.endswith("__deleted")]
    if deletions:
        gone = pl.concat(deletions, how="diagonal").select(*key, pl.col("drop").alias("deleted_on"))
        frame = (
            frame.join(gone, on=key, how="left")
            .filter(pl.col("deleted_on").is_null() | (pl.col("deleted_on") < pl.col("drop")))
            .drop("deleted_on")
        )
    return frame


@pytest.fixture(scope="module")
def expected(pipeline_home: Path) -> dict[str, pl.DataFrame]:
    exports = pipeline_home / "exports"
    faults = pl.concat(
        [
            pl.read_csv(io.StringIO(p.read_bytes().decode("utf-8-sig")), separator=";", infer_schema=False)
            for p in sorted(exports.glob("*/faults.csv"))
        ]
    )
    # Lines the source made faulty and that ingestion must quarantine (the others are corrections,
    # deletions or file-level quirks whose rows are good).
    good_outcomes = {"read_ok", "superseded", "deleted"}
    quarantined_classes = [name for name, fault in REGISTRY.items() if fault.outcome not in good_outcomes]
    faulty = faults.filter(pl.col("fault_class").is_in(quarantined_classes)).select(
        pl.col("path"), pl.col("line").cast(pl.Int64)
    )

    def clean(entity: str) -> pl.DataFrame:
        return _current_state(exports, entity, faulty)

    schools = clean("schools")
    classes = clean("classes").join(
        schools.select("school_year", "school_code"), on=["school_year", "school_code"], how="semi"
    )
    pupils = clean("pupils")

    def referenced(frame: pl.DataFrame, need_school: bool = True) -> pl.DataFrame:
        if need_school:
            frame = frame.join(
                schools.select("school_year", "school_code"), on=["school_year", "school_code"], how="semi"
            )
        frame = frame.join(
            classes.select("school_year", "class_code"), on=["school_year", "class_code"], how="semi"
        )
        return frame.join(
            pupils.select("school_year", "student_code"), on=["school_year", "student_code"], how="semi"
        )

    return {
        "schools": schools,
        "classes": classes,
        "pupils": pupils,
        "enrollments": referenced(clean("enrollments")),
        "absences": referenced(clean("absences")),
        "grades": referenced(clean("grades"), need_school=False),
    }


@pytest.fixture(scope="module")
def con(published_db: Path):
    connection = duckdb.connect(str(published_db), read_only=True)
    yield connection
    connection.close()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def test_load_log_reconciles_with_the_files(pipeline_home: Path, con: duckdb.DuckDBPyConnection) -> None:
    exports = pipeline_home / "exports"
    data_lines = 0
    for path in exports.glob("*/*/*.csv"):
        data_lines += sum(1 for _ in csv.reader(io.StringIO(_decode(path)), delimiter=";")) - 1
    rows_in, accepted, quarantined = con.execute(
        "select sum(rows_in), sum(rows_accepted), sum(rows_quarantined) from audit.load_log"
    ).fetchone()
    assert rows_in == data_lines
    assert rows_in == accepted + quarantined
    assert quarantined > 0, "the synthetic source injected faults: some rows must be quarantined"
    assert _scalar(con, "select count(*) from audit.quarantine") == quarantined


def test_dim_school(expected: dict[str, pl.DataFrame], con: duckdb.DuckDBPyConnection) -> None:
    schools = expected["schools"]
    assert _scalar(con, "select count(*) from marts.dim_school") == schools["school_code"].n_unique()
    by_region = dict(
        con.execute("select region_code, count(*) from marts.dim_school group by all").fetchall()
    )
    want = dict(schools.group_by("region_code").agg(pl.col("school_code").n_unique()).iter_rows())
    assert by_region == want
    assert _scalar(con, "select count(*) from marts.dim_school where province_name_fr is null") == 0


def test_dim_student(expected: dict[str, pl.DataFrame], con: duckdb.DuckDBPyConnection) -> None:
    pupils = expected["pupils"]
    assert _scalar(con, "select count(*) from marts.dim_student") == pupils["student_code"].n_unique()
    girls = pupils.unique("student_code").filter(pl.col("sex") == "F").height
    assert _scalar(con, "select count(*) from marts.dim_student where sex = 'F'") == girls


def test_fct_enrollment_by_region_cycle_sex(
    expected: dict[str, pl.DataFrame], con: duckdb.DuckDBPyConnection
) -> None:
    levels = pl.read_csv(Path(__file__).parents[1] / "dbt/seeds/codes/code_levels.csv", infer_schema=False)
    pupil_years = (
        expected["enrollments"]
        .unique(["school_year", "student_code"], keep="last")
        .join(levels.select("level_code", "cycle_code"), on="level_code")
        .join(
            expected["pupils"].select("school_year", "student_code", "sex"),
            on=["school_year", "student_code"],
        )
    )
    want = {
        (r, c, s): n
        for r, c, s, n in pupil_years.group_by("region_code", "cycle_code", "sex").len().iter_rows()
    }
    got = {
        (r, c, s): n
        for r, c, s, n in con.execute(
            "select region_code, cycle_code, sex, count(*) from marts.fct_enrollment group by all"
        ).fetchall()
    }
    assert got == want
    agg = {
        (r, c, s): int(n)
        for r, c, s, n in con.execute(
            "select region_code, cycle_code, sex, sum(pupils) from marts.agg_enrollment_by_region "
            "group by all"
        ).fetchall()
    }
    assert agg == want


def test_fct_absence(expected: dict[str, pl.DataFrame], con: duckdb.DuckDBPyConnection) -> None:
    absences = expected["absences"]
    assert _scalar(con, "select count(*) from marts.fct_absence") == absences.height
    justified = absences.filter(pl.col("justified") == "1").height
    assert _scalar(con, "select count(*) from marts.fct_absence where justified") == justified
    by_region = dict(
        con.execute("select region_code, count(*) from marts.fct_absence group by all").fetchall()
    )
    assert by_region == dict(absences.group_by("region_code").len().iter_rows())


def test_fct_grade(expected: dict[str, pl.DataFrame], con: duckdb.DuckDBPyConnection) -> None:
    grades = expected["grades"].with_columns(pl.col("grade").str.replace(",", ".").cast(pl.Float64))
    assert _scalar(con, "select count(*) from marts.fct_grade") == grades.height
    assert _scalar(con, "select count(grade) from marts.fct_grade") == grades["grade"].count()
    assert float(_scalar(con, "select sum(grade) from marts.fct_grade")) == pytest.approx(
        grades["grade"].sum()
    )


def test_analyst_marts_hold_no_personal_data(
    con: duckdb.DuckDBPyConnection, published_db: Path, restricted_db: Path
) -> None:
    columns = con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
    ).fetchall()
    assert columns, "no marts were published"
    leaks = [(t, c) for t, c in columns if c in PERSONAL]
    assert leaks == []
    # The audit schema (read by the data-quality page) holds no original row values either.
    audit = con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'audit'"
    ).fetchall()
    assert audit and not [(t, c) for t, c in audit if c in PERSONAL | {"raw", "parent_secret_hash"}]
    # The restricted file holds them, keyed by the same pseudonymous key.
    with duckdb.connect(str(restricted_db), read_only=True) as restricted:
        restricted.execute("attach ? as published (read_only)", [str(published_db)])
        assert _scalar(
            restricted,
            "select count(*) from restricted.restricted.student_identity i "
            "join published.marts.dim_student d using (student_key)",
        ) == _scalar(con, "select count(*) from marts.dim_student")


def test_gate_ran_and_data_docs_exist(pipeline_home: Path) -> None:
    docs = list((pipeline_home / "gx").rglob("data_docs/local_site/index.html"))
    assert docs, "Great Expectations Data Docs were not built"
    history = (pipeline_home / "gx" / "gate_history.jsonl").read_text(encoding="utf-8").splitlines()
    assert history and '"publishable": true' in history[-1]
