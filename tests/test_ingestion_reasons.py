"""Hand-made export files, one per quarantine reason added for daily drops and reference checks: the
calendar (non-school days), enrollment periods, duplicate enrollments, cut last lines; encodings;
deletions and corrections; loading the same files twice."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.contracts import CONTRACTS
from ingestion.errors import UnreadableFileError
from ingestion.load_log import read_log
from ingestion.loader import ingest_region
from ingestion.reader import guess_single_byte_encoding, locate, read_batch, truncated_last_line

Y, R = "2024-2025", "01"
SCHOOLS = [
    "school_year;region_code;province_code;school_code;school_name_fr;school_name_ar;sector;area;cycle_code",
    f"{Y};{R};01.511;01511A;Ecole Ibn Battouta;مدرسة ابن بطوطة;public;urban;primary",
]
CLASSES = [
    "school_year;region_code;school_code;class_code;level_code;stream_code",
    f"{Y};{R};01511A;01511A-3AP-01;3AP;",
]
PUPILS = [
    "school_year;region_code;student_code;last_name_ar;first_name_ar;last_name_fr;first_name_fr;sex;birth_date",
    *(f"{Y};{R};A00000000{i};العلوي;سلمى;Alaoui;Salma;F;14/03/2016" for i in (1, 2, 3)),
]
ENROLLMENT_HEADER = (
    "school_year;region_code;school_code;class_code;student_code;level_code;event_type;event_date"
)
ABSENCE_HEADER = (
    "school_year;region_code;school_code;class_code;student_code;absence_date;session_number;justified;"
    "reason_code"
)
GRADE_HEADER = (
    "school_year;region_code;school_code;class_code;student_code;subject_code;semester;assessment_type;"
    "assessment_date;grade;missed_code"
)


def enrollment(pupil: int, event: str, day: str) -> str:
    return f"{Y};{R};01511A;01511A-3AP-01;A00000000{pupil};3AP;{event};{day}"


def absence(pupil: int, day: str, session: int = 1) -> str:
    return f"{Y};{R};01511A;01511A-3AP-01;A00000000{pupil};{day};{session};0;"


def grade(pupil: int, value: str, test: str = "CC1") -> str:
    return f"{Y};{R};01511A;01511A-3AP-01;A00000000{pupil};MATH;1;{test};15/10/2024;{value};"


def csv(lines: list[str], end: str = "\r\n") -> str:
    return end.join(lines) + end


def put(exports: Path, name: str, text: str, encoding: str = "utf-8-sig") -> Path:
    path = exports / Y / R / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def base_exports(exports: Path) -> None:
    put(exports, "schools.csv", csv(SCHOOLS))
    put(exports, "classes.csv", csv(CLASSES))
    put(exports, "pupils.csv", csv(PUPILS))
    # 2024-09-09 is the first day; pupil 2 drops out on 01/10; pupil 3 enters late, on 15/10.
    put(
        exports,
        "enrollments.csv",
        csv(
            [
                ENROLLMENT_HEADER,
                enrollment(1, "entry", "09/09/2024"),
                enrollment(2, "entry", "09/09/2024"),
                enrollment(2, "dropout", "01/10/2024"),
                enrollment(3, "entry", "15/10/2024"),
                enrollment(1, "re_enrollment", "10/09/2024"),  # line 6: already enrolled
            ]
        ),
    )


def quarantined(lake: Path, entity: str) -> dict[int, str]:
    files = sorted((lake / "_quarantine" / entity).glob("*/*/*.parquet"))
    frame = pl.concat([pl.read_parquet(f) for f in files]) if files else None
    if frame is None:
        return {}
    return dict(zip(frame["_line_number"].to_list(), frame["reason_code"].to_list(), strict=True))


def test_calendar_and_enrollment_checks(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    base_exports(exports)
    put(
        exports,
        "absences.csv",
        csv(
            [
                ABSENCE_HEADER,
                absence(1, "10/09/2024"),  # 2 ok
                absence(1, "16/09/2024"),  # 3 holiday (Aïd al-Mawlid)
                absence(1, "15/09/2024"),  # 4 Sunday
                absence(2, "01/10/2024"),  # 5 the dropout day: no longer enrolled
                absence(2, "30/09/2024"),  # 6 ok, the day before
                absence(3, "14/10/2024"),  # 7 before entry
                absence(3, "15/10/2024"),  # 8 ok, the entry day
                absence(1, "06/09/2024"),  # 9 before the first day of the school year (a Friday)
            ]
        ),
    )
    records = ingest_region(exports, lake, R)
    assert {r.status for r in records} == {"loaded"}
    assert quarantined(lake, "enrollments") == {6: "duplicate_enrollment"}
    assert quarantined(lake, "absences") == {
        3: "non_school_day",
        4: "non_school_day",
        5: "outside_enrollment",
        7: "outside_enrollment",
        9: "non_school_day",
    }
    log = read_log(lake / "_load_log")
    assert (log["rows_in"] == log["rows_accepted"] + log["rows_quarantined"]).all()


def test_transfer_and_return_are_not_duplicates(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    base_exports(exports)
    put(
        exports,
        "enrollments__2024-11-04.csv",
        csv(
            [
                ENROLLMENT_HEADER,
                enrollment(1, "transfer_out", "04/11/2024"),
                enrollment(1, "transfer_in", "04/11/2024"),
                enrollment(2, "re_enrollment", "04/11/2024"),  # back after the dropout
                enrollment(3, "entry", "15/10/2024").replace("3AP-01", "3AP-01"),  # correction: same key
            ]
        ),
    )
    ingest_region(exports, lake, R)
    assert quarantined(lake, "enrollments") == {6: "duplicate_enrollment"}  # only the bulk file's line


def test_truncated_last_line_only_when_cut(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    base_exports(exports)
    cut = csv([ABSENCE_HEADER, absence(1, "10/09/2024"), absence(1, "10/09/2024", 2)]) + absence(
        1, "11/09/2024", 3
    )
    put(exports, "absences.csv", cut[: -len(";0;")])  # cut in the middle of the last row, no line end
    put(
        exports,
        "grades.csv",
        # a clean file whose last line ends without a line end but is complete... still flagged: the
        # other lines end with CRLF, so the missing one means the file was cut.
        csv([GRADE_HEADER, grade(1, "12,5")]) + grade(1, "13,0", "CC2"),
    )
    ingest_region(exports, lake, R)
    assert quarantined(lake, "absences") == {4: "truncated_line"}
    assert quarantined(lake, "grades") == {3: "truncated_line"}


@pytest.mark.parametrize("end", ["\r\n", "\n"])
def test_clean_last_line_is_not_flagged(end: str) -> None:
    clean = csv([ABSENCE_HEADER, absence(1, "10/09/2024")], end=end).encode()
    assert not truncated_last_line(clean, b";")
    # an empty optional last field is a full line
    assert not truncated_last_line(csv([ABSENCE_HEADER, absence(1, "10/09/2024")]).encode(), b";")
    assert truncated_last_line(clean[: -len(end) - 3], b";")
    assert not truncated_last_line(ABSENCE_HEADER.encode(), b";")  # header only


def test_encodings_and_separators(tmp_path: Path) -> None:
    arabic = csv([line.replace(";", ",") for line in PUPILS])
    french = csv([line.replace("العلوي;سلمى", "Hélène;Gérard") for line in PUPILS])
    for name, text, encoding, expected in [
        ("utf8", csv(PUPILS), "utf-8", "utf-8"),
        ("bom", csv(PUPILS), "utf-8-sig", "utf-8-sig"),
        ("cp1256", arabic, "cp1256", "cp1256"),
        ("latin1", french, "latin-1", "latin-1"),
    ]:
        path = put(tmp_path / name, "pupils.csv", text, encoding)
        export = locate(path, tmp_path / name)
        assert export is not None
        batch = read_batch(export, CONTRACTS["pupils"])
        assert batch.encoding == expected, name
        assert batch.frame.height == 3
        assert batch.frame["last_name_ar"][0] == ("Hélène" if name == "latin1" else "العلوي")
    assert guess_single_byte_encoding("Elève: école à Fès".encode("latin-1")) == "latin-1"
    assert guess_single_byte_encoding("مدرسة ابن بطوطة é".encode("cp1256")) == "cp1256"


def test_unreadable_file_is_rejected_and_the_run_goes_on(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    base_exports(exports)
    bad = put(exports, "absences.csv", "")
    bad.write_bytes(b"\xef\xbb\xbfschool_year;student_code\r\n\xff\xfe\r\n")  # BOM, then not UTF-8
    records = {r.entity: r for r in ingest_region(exports, lake, R)}
    assert records["absences"].status == "rejected"
    assert "unreadable_encoding" in records["absences"].message
    assert records["enrollments"].status == "loaded"
    with pytest.raises(UnreadableFileError, match=r"2024-2025/01/absences.csv"):
        export = locate(bad, exports)
        assert export is not None
        read_batch(export, CONTRACTS["absences"])


def lake_files(lake: Path) -> list[Path]:
    """Every file of the lake but the fingerprint cache (which records the export files seen)."""
    return [p for p in sorted(lake.rglob("*")) if p.is_file() and "_fingerprints" not in p.parts]


def checksums(lake: Path) -> dict[str, str]:
    return {
        p.relative_to(lake).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in lake_files(lake)
    }


def test_same_drop_twice_gives_an_identical_lake(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    base_exports(exports)
    put(exports, "absences.csv", csv([ABSENCE_HEADER, absence(1, "10/09/2024"), absence(1, "16/09/2024")]))
    ingest_region(exports, lake, R)
    before = checksums(lake)
    assert any(k.startswith("absences/") for k in before)
    again = ingest_region(exports, lake, R)
    assert {r.status for r in again} == {"skipped"}
    # the same content under a daily-drop name is the same batch: loaded once
    shutil.copy(exports / Y / R / "absences.csv", exports / Y / R / "absences__2024-09-20.csv")
    assert {r.status for r in ingest_region(exports, lake, R)} == {"skipped"}
    assert checksums(lake) == before


def current_state_sql(lake: Path, entity: str, key: list[str]) -> list[dict]:
    """The architecture's rule, written independently of the loader (as dbt staging does)."""
    keys = ", ".join(key)
    deletions = lake / "_deletions" / entity
    has_deletions = any(deletions.glob("*/*/*.parquet"))
    deleted = (
        f"""and not exists (select 1 from read_parquet('{deletions}/*/*/*.parquet', hive_partitioning=true,
            hive_types={{'school_year': 'VARCHAR', 'region_code': 'VARCHAR'}}) d
            where {" and ".join(f"d.{k} = v.{k}" for k in key)} and d._drop_date >= v._drop_date)"""
        if has_deletions
        else ""
    )
    sql = f"""
        with v as (
            select *, row_number() over (partition by {keys}
                order by _drop_date desc, _loaded_at desc, _line_number desc) as rn
            from read_parquet('{lake}/{entity}/*/*/*.parquet', hive_partitioning=true,
                hive_types={{'school_year': 'VARCHAR', 'region_code': 'VARCHAR'}}, union_by_name=true)
        )
        select * from v where rn = 1 {deleted} order by {keys}
    """
    return duckdb.sql(sql).pl().to_dicts()


def test_correction_supersedes_and_deletion_removes(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    base_exports(exports)
    put(exports, "grades.csv", csv([GRADE_HEADER, grade(1, "12,5"), grade(2, "9,0")]))
    put(exports, "grades__2024-10-20.csv", csv([GRADE_HEADER, grade(1, "14,5")]))  # the correction
    key = ["school_year", "student_code", "subject_code", "semester", "assessment_type"]
    deleted_header = "school_year;region_code;student_code;subject_code;semester;assessment_type"
    put(exports, "grades__2024-10-21__deleted.csv", csv([deleted_header, f"{Y};{R};A000000002;MATH;1;CC1"]))
    records = {r.source_file.rsplit("/", 1)[1]: r for r in ingest_region(exports, lake, R)}
    assert records["grades__2024-10-21__deleted.csv"].rows_accepted == 1

    current = current_state_sql(lake, "grades", key)
    assert [(r["student_code"], r["grade"]) for r in current] == [("A000000001", 14.5)]
    history = pl.read_parquet(lake / "grades/*/*/*.parquet")
    assert sorted(history["grade"].to_list()) == [9.0, 12.5, 14.5]  # history keeps every version
    assert sorted(history["_drop_date"].cast(pl.String).to_list()) == [
        "2024-09-09",
        "2024-09-09",
        "2024-10-20",
    ]
    deletions = pl.read_parquet(lake / "_deletions/grades/*/*/*.parquet")
    assert deletions["student_code"].to_list() == ["A000000002"]
    assert str(deletions["_drop_date"][0]) == "2024-10-21"


def test_deleted_enrollment_ends_the_enrollment_for_later_drops(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    base_exports(exports)
    key = ["school_year", "region_code", "student_code", "school_code", "event_type", "event_date"]
    put(
        exports,
        "enrollments__2024-10-16__deleted.csv",
        csv([";".join(key), f"{Y};{R};A000000003;01511A;entry;15/10/2024"]),
    )
    put(
        exports,
        "absences__2024-10-17.csv",
        csv([ABSENCE_HEADER, absence(3, "17/10/2024"), absence(1, "17/10/2024")]),
    )
    ingest_region(exports, lake, R)
    assert quarantined(lake, "absences") == {2: "outside_enrollment"}
    raw = pl.read_parquet(lake / "_quarantine/absences/*/*/*.parquet")["raw"][0]
    assert json.loads(raw)["student_code"] == "A000000003"


def test_identical_files_of_two_partitions_are_two_batches(tmp_path: Path) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    header_only = csv([GRADE_HEADER])
    for region in ("01", "02"):
        path = exports / Y / region / "grades.csv"
        path.parent.mkdir(parents=True)
        path.write_text(header_only, encoding="utf-8")
    first, second = ingest_region(exports, lake, "01"), ingest_region(exports, lake, "02")
    assert [r.status for r in first + second] == ["loaded", "loaded"]
    assert first[0].batch_id != second[0].batch_id
    assert len(list(lake.glob("grades/*/*/*.parquet"))) == 2


def test_a_daily_drop_touches_only_its_partition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    base_exports(exports)
    put(exports, "absences.csv", csv([ABSENCE_HEADER, absence(1, "10/09/2024")]))
    other = exports / "2024-2025" / "02"
    other.mkdir(parents=True)
    (other / "schools.csv").write_text(csv(SCHOOLS).replace(f"{Y};{R};", f"{Y};02;"), encoding="utf-8")
    ingest_region(exports, lake, R)
    ingest_region(exports, lake, "02")
    before = {p: p.stat().st_mtime_ns for p in lake_files(lake)}

    put(exports, "absences__2024-09-11.csv", csv([ABSENCE_HEADER, absence(1, "11/09/2024")]))
    from ingestion import lake as lake_module

    reads: list[tuple[str, ...]] = []
    original = lake_module.read_partition

    def spy(root: Path, entity: str, year: str, region: str, columns: list[str] | None = None):
        reads.append((root.name, entity, year, region))
        return original(root, entity, year, region, columns)

    monkeypatch.setattr(lake_module, "read_partition", spy)
    from ingestion import loader

    hashed: list[str] = []
    original_hash = loader.batch_id_of

    def hash_spy(content: bytes, export=None) -> str:
        hashed.append(export.relative_path)
        return original_hash(content, export)

    monkeypatch.setattr(loader, "batch_id_of", hash_spy)
    records = [r for r in ingest_region(exports, lake, R) if r.status == "loaded"]
    assert hashed == ["2024-2025/01/absences__2024-09-11.csv"]  # files loaded before are not read again
    assert [r.source_file for r in records] == ["2024-2025/01/absences__2024-09-11.csv"]
    after = {p: p.stat().st_mtime_ns for p in lake_files(lake)}
    assert all(after[p] == t for p, t in before.items())  # nothing rewritten
    batch = records[0].batch_id
    assert sorted(p.relative_to(lake).as_posix() for p in after.keys() - before.keys()) == [
        f"_load_log/region_code=01/{batch}.parquet",
        f"_quarantine/absences/school_year={Y}/region_code=01/{batch}.parquet",
        f"absences/school_year={Y}/region_code=01/{batch}.parquet",
    ]
    # only the referenced partitions of the drop's year and region were read, never the absences history
    assert {entity for _, entity, _, _ in reads} == {"schools", "classes", "pupils", "enrollments"}
    assert {(year, region) for _, _, year, region in reads} == {(Y, R)}


@pytest.mark.parametrize("blank", [" ", "\t"])
def test_blanks_around_fields_are_trimmed(tmp_path: Path, blank: str) -> None:
    padded = PUPILS[1].replace("A000000001", f"{blank}A000000001{blank}").replace(";F;", f";F{blank};")
    path = put(tmp_path, "pupils.csv", csv([PUPILS[0], padded, PUPILS[2] + blank]))
    export = locate(path, tmp_path)
    assert export is not None
    frame = read_batch(export, CONTRACTS["pupils"]).frame
    assert frame["student_code"].to_list() == ["A000000001", "A000000002"]
    assert frame["sex"].to_list() == ["F", "F"]
    assert frame["birth_date"].to_list() == ["14/03/2016", "14/03/2016"]
