"""Messy real-world exports, one test per case: each file is loaded with the values of its clean form,
or rejected / quarantined with the named reason; every file of a drop folder has a load-log record and
lines received = accepted + quarantined + lines of rejected files. Expected values are written here
by hand from the clean lines."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import polars as pl
import pytest
from test_ingestion_reasons import (
    CLASSES,
    GRADE_HEADER,
    PUPILS,
    SCHOOLS,
    R,
    Y,
    base_exports,
    csv,
    grade,
    put,
    quarantined,
)

from ingestion.load_log import read_log
from ingestion.loader import ingest_region
from massar.cli import main

PUPIL_VALUES = [("A000000001", "F"), ("A000000002", "F"), ("A000000003", "F")]
GRADES = [
    GRADE_HEADER,
    grade(1, "12,5"),
    grade(2, "9,0"),
    f"{Y};{R};01511A;01511A-3AP-01;A000000003;MATH;1;CC1;15/10/2024;;ABJ",  # a missed test
]
GRADE_VALUES = [("A000000001", 12.5, None), ("A000000002", 9.0, None), ("A000000003", None, "ABJ")]


def put_bytes(exports: Path, name: str, data: bytes) -> Path:
    path = exports / Y / R / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def load(tmp_path: Path, name: str, data: bytes) -> tuple[dict[str, object], Path]:
    """Ingest the base references plus one grades-like file; its load-log record (as a dict) and the lake."""
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    put(exports, "schools.csv", csv(SCHOOLS))
    put(exports, "classes.csv", csv(CLASSES))
    put(exports, "pupils.csv", csv(PUPILS))
    put_bytes(exports, name, data)
    records = {r.source_file.rsplit("/", 1)[1]: r for r in ingest_region(exports, lake, R)}
    return records[name].__dict__, lake


def grade_values(lake: Path) -> list[tuple]:
    frame = pl.read_parquet(lake / "grades/*/*/*.parquet").sort("student_code")
    return list(frame.select("student_code", "grade", "missed_code").iter_rows())


def clean_grades(end: str = "\r\n") -> bytes:
    return csv(GRADES, end).encode("utf-8")


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("grades.csv", clean_grades("\r")),  # CR-only line ends (old spreadsheet exports)
        ("grades.csv", f"{GRADES[0]}\r\n{GRADES[1]}\r{GRADES[2]}\n{GRADES[3]}\r\n".encode()),  # mixed
        ("grades.csv.gz", gzip.compress(clean_grades())),
        ("GRADES.CSV", clean_grades()),
        ("Grades.Csv.Gz", gzip.compress(clean_grades())),
        ("grades.csv", gzip.compress(clean_grades())),  # gzip content named .csv
        ("grades.zip", zipped({"export.csv": clean_grades()})),
        ("grades.csv", zipped({"grades.csv": clean_grades()})),  # zip content named .csv
        ("grades.csv", b"\xff\xfe" + csv(GRADES).encode("utf-16-le")),  # Excel "Unicode text"
        ("grades.csv", b"\xfe\xff" + csv(GRADES).encode("utf-16-be")),  # big-endian, with its BOM
        ("grades.csv", csv([line.replace(";", "\t") for line in GRADES]).encode()),  # tab-separated
        ("grades.csv", csv([line.replace(";", ",").replace("12,5", '"12,5"').replace("9,0", '"9,0"')
                            for line in GRADES]).encode()),  # comma-separated, decimal commas quoted
        ("grades.csv", b"sep=;\r\n" + clean_grades()),  # Excel's separator line
        ("grades.csv", csv([line + ";" for line in GRADES]).encode()),  # a trailing separator everywhere
        ("grades.csv", csv([GRADES[0] + ";", *GRADES[1:]]).encode()),  # ... on the header only
        ("grades.csv", clean_grades() + b"\x1a"),  # the end-of-file mark of old DOS exports
        ("grades.csv", b"\r\n \r\n" + csv([line.replace(";", ",") for line in GRADES]).replace("12,5", "12.5")
         .replace("9,0", "9.0").encode()),  # blank lines before a comma-separated header
        ("grades.csv", clean_grades().replace(b"class_code", b"Code Classe")
         .replace(b"assessment_type", b"Type Contr\xc3\xb4le").replace(b";grade;", b";Note/20;")),
    ],
)  # fmt: skip
def test_lossless_variants_load_the_same_values(tmp_path: Path, name: str, data: bytes) -> None:
    record, lake = load(tmp_path, name, data)
    assert record["status"] == "loaded", record["message"]
    assert (record["rows_in"], record["rows_accepted"], record["rows_quarantined"]) == (3, 3, 0)
    assert grade_values(lake) == GRADE_VALUES


@pytest.mark.parametrize(
    ("name", "reason", "words"),
    [
        ("grades (1).csv", "unrecognised_file_name", "second copy of `grades (1).csv`".replace(" (1)", "")),
        ("grades - Copie.csv", "unrecognised_file_name", "second copy of `grades.csv`"),
        ("grades_2025-06-24.csv", "unrecognised_file_name", "did you mean `grades__2025-06-24.csv`?"),
        ("notes.csv", "unknown_entity", "<entity>__<yyyy-mm-dd>.csv"),
        ("grades.xlsx", "unrecognised_file_name", "closest entity: grades"),
    ],
)
def test_unexpected_names_are_rejected_by_name(tmp_path: Path, name: str, reason: str, words: str) -> None:
    record, lake = load(tmp_path, name, clean_grades())
    assert record["status"] == "rejected"
    assert str(record["message"]).startswith(f"{reason}: ")
    assert words in str(record["message"])
    assert "<entity>.csv (bulk)" in str(record["message"])  # the list of expected names
    assert (record["rows_in"], record["rows_rejected"]) == (3, 3)  # received, and rejected with the file
    assert not (lake / "grades").exists()


def test_renamed_copy_is_loaded_after_its_rejection(tmp_path: Path) -> None:
    record, lake = load(tmp_path, "grades (1).csv", clean_grades())
    assert record["status"] == "rejected"
    (tmp_path / "exports" / Y / R / "grades (1).csv").rename(tmp_path / "exports" / Y / R / "grades.csv")
    records = ingest_region(tmp_path / "exports", lake, R)
    assert [r.status for r in records if r.entity == "grades"] == ["loaded"]
    assert grade_values(lake) == GRADE_VALUES


@pytest.mark.parametrize(
    ("data", "reason", "words"),
    [
        (b"\xef\xbb\xbfschool_year;grade\r\n\xff\xfe;1\r\n", "unreadable_encoding", "UTF-8 byte order mark"),
        (b"\xff\xfe" + b"\x00\xd8" * 3 + b"\n\x00", "unreadable_encoding", "UTF-16"),
        (b"\x00\x01\x02\x03" * 40, "binary_content", "NUL bytes"),
        (
            clean_grades().replace(b"MATH", "MATH ééé".encode(), 1).replace(b";ABJ", b";AB\xff"),
            "unreadable_encoding",
            "invalid byte at line 4",
        ),  # UTF-8 with a corrupt byte
        (zipped({"a.csv": clean_grades(), "b.csv": clean_grades()}), "zip_members", "holds 2"),
        (zipped({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"}), "not_csv", "Excel workbook"),
        (gzip.compress(clean_grades())[:-12], "corrupt_archive", "gzip"),
        (clean_grades().replace(b";", b"|"), "missing_columns", "separator not recognised"),
        (
            clean_grades().replace(b"student_code", b"Eleve"),
            "missing_columns",
            "missing column(s) student_code",
        ),
    ],
)
def test_unreadable_files_are_rejected_with_their_cause(
    tmp_path: Path, data: bytes, reason: str, words: str
) -> None:
    record, _ = load(tmp_path, "grades.csv", data)
    assert record["status"] == "rejected"
    assert str(record["message"]).startswith(f"{reason}: "), record["message"]
    assert words in str(record["message"])
    assert record["rows_in"] == record["rows_rejected"]


def test_rejected_file_counts_its_lines(tmp_path: Path) -> None:
    record, _ = load(tmp_path, "grades.csv", clean_grades().replace(b"student_code", b"Eleve"))
    counts = ("rows_in", "rows_accepted", "rows_quarantined", "rows_rejected")
    assert tuple(record[c] for c in counts) == (3, 0, 0, 3)


def test_unrecognised_optional_header_quarantines_its_values(tmp_path: Path) -> None:
    data = clean_grades().replace(b";grade;", b";Note sur vingt;")
    record, lake = load(tmp_path, "grades.csv", data)
    assert record["status"] == "loaded"
    assert quarantined(lake, "grades") == {2: "unrecognised_column", 3: "unrecognised_column"}
    message = pl.read_parquet(lake / "_quarantine/grades/*/*/*.parquet")["message"][0]
    assert message == "unrecognised column `Note sur vingt` (closest: `grade`)"
    assert grade_values(lake) == [GRADE_VALUES[2]]  # the missed test has no value under it: accepted


def test_guardian_header_variants(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    header = PUPILS[0] + ";Nom du tuteur"
    put(exports, "pupils.csv", csv([header, *(line + ";Ahmed Alaoui" for line in PUPILS[1:])]))
    ingest_region(exports, lake, R)
    guardians = pl.read_parquet(lake / "pupils/*/*/*.parquet")["guardian_name"].to_list()
    assert guardians == ["Ahmed Alaoui"] * 3
    other = tmp_path / "other"
    put(
        other,
        "pupils.csv",
        csv([PUPILS[0] + ";Tuteur légal (nom)", PUPILS[1] + ";Ahmed Alaoui", PUPILS[2] + ";"]),
    )
    ingest_region(other, tmp_path / "lake2", R)
    assert quarantined(tmp_path / "lake2", "pupils") == {2: "unrecognised_column"}


def test_blank_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    text = csv([GRADES[0], GRADES[1], "", GRADES[2], "   ", ";;;;;;;;;;", GRADES[3], ""])
    record, lake = load(tmp_path, "grades.csv", text.encode())
    assert (record["rows_in"], record["rows_accepted"], record["blank_lines"]) == (3, 3, 4)
    assert grade_values(lake) == GRADE_VALUES
    lines = pl.read_parquet(lake / "grades/*/*/*.parquet").sort("student_code")["_line_number"].to_list()
    assert lines == [2, 4, 7]  # physical lines


def test_ragged_rows_are_quarantined_as_such(tmp_path: Path) -> None:
    text = csv([
        GRADES[0],
        GRADES[1] + ";extra",  # 2: an extra trailing field
        GRADES[2].replace(";MATH;", ";MATH;1;"),  # 3: a field too many in the middle
        GRADES[3].rsplit(";", 1)[0],  # 4: a field too few (not the last line)
        grade(1, "11,0", "CC2"),  # 5: clean
    ])  # fmt: skip
    record, lake = load(tmp_path, "grades.csv", text.encode())
    assert quarantined(lake, "grades") == {2: "too_many_fields", 3: "too_many_fields", 4: "too_few_fields"}
    raw = pl.read_parquet(lake / "_quarantine/grades/*/*/*.parquet").sort("_line_number")["raw"][0]
    assert json.loads(raw)["_extra_fields"] == "extra"  # the extra value is kept
    assert (record["rows_in"], record["rows_accepted"], record["rows_quarantined"]) == (4, 1, 3)


def test_unquoted_separator_in_a_name_is_a_ragged_row(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    put(exports, "pupils.csv", csv([PUPILS[0], PUPILS[1].replace("Alaoui", "Alaoui;El Idrissi"), PUPILS[2]]))
    ingest_region(exports, lake, R)
    assert quarantined(lake, "pupils") == {2: "too_many_fields"}


def test_line_numbers_are_physical_after_a_quoted_line_break(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    first = PUPILS[1].replace("Alaoui", '"Alaoui\r\nBennani"')
    third = PUPILS[3].replace(";F;", ";X;")
    put(exports, "pupils.csv", csv([PUPILS[0], first, PUPILS[2], third]))
    ingest_region(exports, lake, R)
    assert quarantined(lake, "pupils") == {5: "unknown_code"}  # header 1, a record on 2-3, then 4, 5
    names = pl.read_parquet(lake / "pupils/*/*/*.parquet").sort("student_code")["last_name_fr"].to_list()
    assert names == ["Alaoui\r\nBennani", "Alaoui"]


def test_unclosed_quote_is_named(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    opened = PUPILS[1].replace(";Alaoui;", ';"Alaoui;')  # a quote opened and never closed
    put(exports, "pupils.csv", csv([PUPILS[0], PUPILS[2], opened, PUPILS[3]]))
    records = ingest_region(exports, lake, R)
    assert quarantined(lake, "pupils") == {3: "unbalanced_quote"}
    raw = json.loads(pl.read_parquet(lake / "_quarantine/pupils/*/*/*.parquet")["raw"][0])
    assert "A000000003" in json.dumps(raw, ensure_ascii=False)  # the line it ran over is kept
    assert (records[0].rows_in, records[0].rows_accepted) == (2, 1)


def test_every_file_of_a_drop_folder_is_accounted_for(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    base_exports(exports)
    for name in ("grades (1).csv", "GRADES_2025-06-24.CSV", "notes.csv", "readme.txt", ".~lock.grades.csv#"):
        put_bytes(exports, name, clean_grades())
    put_bytes(exports, "sub/grades.csv", clean_grades())
    put_bytes(exports, "grades.csv.gz", gzip.compress(clean_grades()))
    files = sorted(p.relative_to(exports).as_posix() for p in exports.rglob("*") if p.is_file())
    ingest_region(exports, lake, R)
    log = read_log(lake / "_load_log")
    assert sorted(log["source_file"].to_list()) == files
    assert (log["rows_in"] == log["rows_accepted"] + log["rows_quarantined"] + log["rows_rejected"]).all()
    rejected = log.filter(pl.col("status") == "rejected")
    assert rejected.height == 6
    assert (rejected["rows_rejected"] == 3).all()


def test_massar_validate_says_what_would_happen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASSAR_HOME", str(tmp_path / "home"))
    exports = tmp_path / "exports"
    base_exports(exports)
    folder = exports / Y / R
    assert main(["validate", str(folder)]) == 1  # enrollments has a duplicate enrollment
    out = capsys.readouterr().out
    assert "2024-2025/01/enrollments.csv: loaded" in out
    assert "quarantined 1: duplicate_enrollment" in out and "line 6: duplicate_enrollment" in out
    (folder / "enrollments.csv").unlink()
    assert main(["validate", str(folder)]) == 0
    put_bytes(exports, "grades (1).csv", clean_grades())
    put_bytes(exports, "grades.csv", csv([GRADES[0], GRADES[1] + ";x", GRADES[2]]).encode())
    assert main(["validate", str(folder / "grades (1).csv"), str(folder / "grades.csv")]) == 1
    out = capsys.readouterr().out
    assert "rejected: unrecognised_file_name: `grades (1).csv` looks like a second copy" in out
    assert "line 2: too_many_fields" in out
    assert not (tmp_path / "home" / "lake").exists()  # nothing loaded
    put_bytes(exports, "GRADES.CSV", csv([GRADES[0], GRADES[1] + ";x", GRADES[2]]).encode())
    main(["validate", str(folder / "grades.csv"), str(folder / "GRADES.CSV")])
    assert (
        "2024-2025/01/grades.csv: skipped\n  same content as 2024-2025/01/GRADES.CSV"
        in capsys.readouterr().out
    )
    (folder / "GRADES.CSV").unlink()
    # the same reasons as the loader records
    ingest_region(exports, tmp_path / "lake", R)
    log = read_log(tmp_path / "lake" / "_load_log")
    message = log.filter(pl.col("source_file").str.ends_with("(1).csv"))["message"][0]
    assert f"rejected: {message}" in out
    assert quarantined(tmp_path / "lake", "grades") == {2: "too_many_fields"}


def test_report_counts_the_lines_of_rejected_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from massar import pipeline
    from massar.settings import paths

    monkeypatch.setenv("MASSAR_HOME", str(tmp_path / "home"))
    exports = paths().exports
    base_exports(exports)
    put_bytes(exports, "grades (1).csv", clean_grades())  # 3 lines, rejected by name
    put_bytes(exports, "absences.csv", b"school_year;student_code\r\n2024-2025;A000000001\r\n\r\n")  # 1 line
    totals = pipeline.ingest_region(R)
    assert totals["rows_rejected"] == 4
    assert totals["rows_in"] == totals["rows_accepted"] + totals["rows_quarantined"] + 4
    report = pipeline.load_report()
    assert (
        report["rows_in"] == report["rows_accepted"] + report["rows_quarantined"] + report["rows_rejected"]
    ).all()
    by_entity = dict(zip(report["entity"], report["rows_rejected"], strict=True))
    assert by_entity["grades"] == 3 and by_entity["absences"] == 1
    # every data line of the six files: schools 1, classes 1, pupils 3, enrollments 5, and the rejected 3 + 1
    assert report["rows_in"].sum() == 1 + 1 + 3 + 5 + 3 + 1
    assert "rows_rejected" in pipeline.batch_report().columns
