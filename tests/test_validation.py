"""Reading and validating hand-made export files: every rejected row is quarantined with its reason,
and rows in = accepted + quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from ingestion.contracts import CONTRACTS
from ingestion.errors import UnreadableFileError
from ingestion.load_log import read_log
from ingestion.loader import ingest_region
from ingestion.reader import locate, read_batch
from ingestion.validate import validate

SCHOOLS = (
    "school_year;region_code;province_code;school_code;school_name_fr;school_name_ar;sector;area;cycle_code\r\n"
    "2024-2025;01;01.511;01511A;Ecole Ibn Battouta;مدرسة ابن بطوطة;public;urban;primary\r\n"
)


def write(root: Path, rel: str, text: str, encoding: str = "utf-8-sig") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def pupils_csv(rows: list[str], header: str | None = None) -> str:
    header = header or (
        "school_year;region_code;student_code;last_name_ar;first_name_ar;last_name_fr;first_name_fr;sex;"
        "birth_date;guardian_name"
    )
    return "\r\n".join([header, *rows]) + "\r\n"


GOOD_PUPIL = "2024-2025;01;M145092428;العلوي;سلمى;Alaoui;Salma;F;14/03/2016;Ahmed Alaoui"


def batch(tmp_path: Path, entity: str, text: str, encoding: str = "utf-8-sig"):
    path = write(tmp_path, f"2024-2025/01/{entity}.csv", text, encoding)
    export = locate(path, tmp_path)
    assert export is not None
    return read_batch(export, CONTRACTS[entity])


def test_clean_rows_are_typed(tmp_path: Path) -> None:
    raw = batch(tmp_path, "pupils", pupils_csv([GOOD_PUPIL]))
    result = validate(raw.frame, CONTRACTS["pupils"])
    assert result.rows_quarantined == 0
    row = result.accepted.row(0, named=True)
    assert row["student_code"] == "M145092428"
    assert str(row["birth_date"]) == "2016-03-14"
    assert row["_line_number"] == 2


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (GOOD_PUPIL.replace("M145092428", "m14509242"), "invalid_format"),
        (GOOD_PUPIL.replace(";F;", ";X;"), "unknown_code"),
        (GOOD_PUPIL.replace("14/03/2016", "31/02/2016"), "invalid_type"),
        (GOOD_PUPIL.replace("14/03/2016", "14/03/2031"), "impossible_date"),
        (GOOD_PUPIL.replace(";Salma;", ";;"), "missing_mandatory"),
        (GOOD_PUPIL.replace("2024-2025;01", "2024-2025;02", 1), "wrong_partition"),
    ],
)
def test_each_fault_is_quarantined_with_its_reason(tmp_path: Path, row: str, reason: str) -> None:
    raw = batch(tmp_path, "pupils", pupils_csv([GOOD_PUPIL.replace("M145092428", "A000000001"), row]))
    result = validate(raw.frame, CONTRACTS["pupils"], expected_partition={"region_code": "01"})
    assert result.rows_accepted == 1
    assert result.quarantined["reason_code"].to_list() == [reason]
    assert result.quarantined["_line_number"].to_list() == [3]
    original = json.loads(result.quarantined["raw"][0])
    assert original["student_code"] == row.split(";")[2]


def test_duplicates_are_quarantined_after_the_first(tmp_path: Path) -> None:
    same_key = GOOD_PUPIL.replace("Salma", "Salwa")
    raw = batch(tmp_path, "pupils", pupils_csv([GOOD_PUPIL, GOOD_PUPIL, same_key]))
    result = validate(raw.frame, CONTRACTS["pupils"])
    assert result.rows_accepted == 1
    assert result.quarantined["reason_code"].to_list() == ["duplicate_row", "duplicate_key"]


def test_header_variants_and_separators_and_encodings(tmp_path: Path) -> None:
    header = "AnneeScolaire,code_region,Code Massar,النسب,الاسم,nom,prénom,sexe,date de naissance,tuteur"
    text = pupils_csv([GOOD_PUPIL.replace(";", ",")], header=header)
    raw = batch(tmp_path, "pupils", text, encoding="cp1256")
    assert raw.encoding == "cp1256"
    result = validate(raw.frame, CONTRACTS["pupils"])
    assert result.rows_accepted == 1
    assert result.accepted["last_name_ar"][0] == "العلوي"


def test_grade_rules(tmp_path: Path) -> None:
    header = (
        "school_year;region_code;school_code;class_code;student_code;subject_code;semester;assessment_type;"
        "assessment_date;grade;missed_code"
    )
    base = "2024-2025;01;01511A;01511A-1AC-01;M145092428;MATH;1;CC1;15/10/2024;{grade};{missed}"
    rows = [
        base.format(grade="12,5", missed=""),
        base.format(grade="23,5", missed="").replace("CC1", "CC2"),
        base.format(grade="abs", missed="").replace("CC1", "CC3"),
        base.format(grade="", missed="").replace("CC1", "CC4"),
        base.format(grade="", missed="ABJ").replace("CC1", "UNI"),
    ]
    raw = batch(tmp_path, "grades", "\r\n".join([header, *rows]) + "\r\n")
    result = validate(raw.frame, CONTRACTS["grades"])
    assert result.accepted["grade"].to_list() == [12.5, None]
    assert result.quarantined["reason_code"].to_list() == [
        "out_of_range",
        "invalid_type",
        "grade_or_missed_code",
    ]


def test_unreadable_file_is_rejected_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="missing column"):
        batch(tmp_path, "pupils", "school_year;student_code\r\n2024-2025;M145092428\r\n")


def test_region_ingestion_reconciles_and_checks_references(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    write(exports, "2024-2025/01/schools.csv", SCHOOLS)
    write(exports, "2024-2025/01/pupils.csv", pupils_csv([GOOD_PUPIL]))
    classes = (
        "school_year;region_code;school_code;class_code;level_code;stream_code\r\n"
        "2024-2025;01;01511A;01511A-3AP-01;3AP;\r\n"
        "2024-2025;01;09999Z;09999Z-3AP-01;3AP;\r\n"
    )
    write(exports, "2024-2025/01/classes.csv", classes)
    write(exports, "2024-2025/01/notes.txt", "not an export")
    write(exports, "2024-2025/01/teachers.csv", "garbage;\r\n")

    records = {r.entity: r for r in ingest_region(exports, lake, "01")}
    assert records["classes"].rows_in == 2
    assert (records["classes"].rows_accepted, records["classes"].rows_quarantined) == (1, 1)
    assert records["teachers"].status == "rejected"
    assert "missing column" in records["teachers"].message
    quarantine = pl.read_parquet(lake / "_quarantine/classes/school_year=2024-2025/region_code=01/*.parquet")
    assert quarantine["reason_code"].to_list() == ["unknown_school"]

    log = read_log(lake / "_load_log")
    assert (log["rows_in"] == log["rows_accepted"] + log["rows_quarantined"]).all()
    # Loading the same files again loads nothing twice.
    again = ingest_region(exports, lake, "01")
    assert {r.status for r in again} == {"skipped"}
    assert read_log(lake / "_load_log").height == log.height


GRADES_HEADER = (
    "school_year;region_code;school_code;class_code;student_code;subject_code;semester;assessment_type;"
    "assessment_date;grade;missed_code"
)


def grade_row(pupil: int, semester: str, day: str, year: str = "2024-2025") -> str:
    return f"{year};01;01051F;01051F-1AP-01;B{pupil:09d};AR;{semester};CC1;{day};10,5;"


def test_number_and_date_variants_are_typed_and_each_row_is_checked_against_its_own_school_year(
    tmp_path: Path,
) -> None:
    """Integers written "2,0" or "1.00" and ISO dates are read like the plain forms; a row is checked
    against the school year it claims (a file may hold several), then against the file's partition."""
    rows = [
        grade_row(1, "1", "16/10/2024"),
        grade_row(2, "2,0", "2024-10-16"),
        grade_row(3, "1.00", "16/10/2024"),
        grade_row(4, "1,5", "16/10/2024"),  # not an integer
        grade_row(5, "1", "16/10/2023", year="2023-2024"),  # a date of its year, in another partition
        grade_row(6, "1", "16/10/2024", year="2023-2024"),  # a date outside its own school year
    ]
    raw = batch(tmp_path, "grades", "\r\n".join([GRADES_HEADER, *rows]) + "\r\n")
    result = validate(
        raw.frame, CONTRACTS["grades"], expected_partition={"school_year": "2024-2025", "region_code": "01"}
    )
    accepted = result.accepted.sort("_line_number")
    assert accepted["student_code"].to_list() == ["B000000001", "B000000002", "B000000003"]
    assert accepted["semester"].to_list() == [1, 2, 1]
    assert [str(d) for d in accepted["assessment_date"]] == ["2024-10-16"] * 3
    reasons = dict(zip(result.quarantined["_line_number"], result.quarantined["reason_code"], strict=True))
    assert reasons == {5: "invalid_type", 6: "wrong_partition", 7: "impossible_date"}
