"""The fault ground truth of the synthetic source is exact: an independent validator re-detects every
fault class from the files alone (bytes, header, rows, calendar seed, enrollment windows, drops) and
finds exactly the lines that ``faults.csv`` lists, each with the check its class must trip.

The validator parses the files by hand and uses only the contracts and the seeds, not the generator.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from test_synthetic import BOM, _parse_date, read_faults, violations

from ingestion.codelists import read_seed
from ingestion.contracts import CONTRACTS, Contract
from synthetic.faults import REGISTRY, applicable
from synthetic.generate import DAILY_DAYS, generate

YEAR = "2024-2025"
# The fault classes and the ingestion outcome each must get (the registry's declared outcomes).
OUTCOMES = {
    "invalid_student_code": ("row", "invalid_format"),
    "duplicate_row": ("row", "duplicate_row"),
    "duplicate_enrollment": ("row", "duplicate_enrollment"),
    "grade_out_of_range": ("row", "out_of_range"),
    "grade_not_a_number": ("row", "invalid_type"),
    "absence_on_holiday": ("row", "non_school_day"),
    "absence_on_weekend": ("row", "non_school_day"),
    "absence_outside_enrollment": ("row", "outside_enrollment"),
    "unknown_school": ("row", "unknown_school"),
    "unknown_class": ("row", "unknown_class"),
    "missing_mandatory": ("row", "missing_mandatory"),
    "future_date": ("row", "impossible_date"),
    "impossible_date": ("row", "invalid_type"),
    "encoding_cp1256": ("file", "read_ok"),
    "truncated_last_line": ("row", "truncated_line"),
    "renamed_header": ("file", "read_ok"),
    "reordered_header": ("file", "read_ok"),
    "late_correction": ("row", "superseded"),
    "deleted_enrollment": ("row", "deleted"),
    # the Massar domains beyond pupils (synthetic/domains/)
    "classroom_capacity_out_of_range": ("row", "out_of_range"),
    "unknown_classroom_type": ("row", "unknown_code"),
    "unknown_programme": ("row", "unknown_code"),
    "stream_not_offered": ("row", "stream_not_offered"),
    "unknown_disability_type": ("row", "unknown_code"),
    "negative_fee_amount": ("row", "out_of_range"),
    "unknown_fee_code": ("row", "unknown_code"),
    "amount_above_due": ("row", "amount_above_due"),
    "unknown_staff_status": ("row", "unknown_code"),
    "unknown_teacher": ("row", "unknown_teacher"),
    "unknown_preschool_type": ("row", "unknown_code"),
    "preschool_years_mismatch": ("row", "preschool_years_mismatch"),
    "return_without_code": ("row", "return_without_code"),
    "end_before_start": ("row", "end_before_start"),
    "age_not_eligible": ("row", "age_not_eligible"),
    "unknown_nonformal_programme": ("row", "unknown_code"),
}
# Every class with a positive rate is injected at least once per entity, in files that keep half their
# rows clean (faults.inject, ``owed``): only the non-formal register, about one row per region file at
# this size, needs rates of its own for its classes to find rows.
NONFORMAL_RATES = {
    "return_without_code": 0.6,
    "end_before_start": 0.5,
    "age_not_eligible": 0.6,
    "unknown_nonformal_programme": 0.9,
}
# The check of the validator below each class must trip.
EXPECTED_CHECK = {
    "invalid_student_code": "pattern:student_code",
    "duplicate_row": "duplicate",
    "duplicate_enrollment": "enrollment:duplicate",
    "grade_out_of_range": "range:grade",
    "grade_not_a_number": "type:grade",
    "absence_on_holiday": "calendar:holiday",
    "absence_on_weekend": "calendar:sunday",
    "absence_outside_enrollment": "enrollment:outside",
    "unknown_school": "fk:unknown_school",
    "unknown_class": "fk:unknown_class",
    "missing_mandatory": "missing:",
    "future_date": "rule:impossible_date",
    "impossible_date": "type:",
    "encoding_cp1256": "file:encoding",
    "truncated_last_line": "truncated",
    "renamed_header": "file:renamed",
    "reordered_header": "file:reordered",
    "late_correction": "correction",
    "deleted_enrollment": "deleted",
    "classroom_capacity_out_of_range": "range:capacity",
    "unknown_classroom_type": "codelist:room_type",
    "unknown_programme": "codelist:programme_code",
    "stream_not_offered": "rule:stream_not_offered",
    "unknown_disability_type": "codelist:disability_type",
    "negative_fee_amount": "range:amount_",
    "unknown_fee_code": "codelist:fee_code",
    "amount_above_due": "rule:amount_above_due",
    "unknown_staff_status": "codelist:status_code",
    "unknown_teacher": "fk:unknown_teacher",
    "unknown_preschool_type": "codelist:preschool_type",
    "preschool_years_mismatch": "rule:preschool_years_mismatch",
    "return_without_code": "rule:return_without_code",
    "end_before_start": "rule:end_before_start",
    "age_not_eligible": "rule:age_not_eligible",
    "unknown_nonformal_programme": "codelist:programme_code",
}


def read_any(path: Path, contract: Contract) -> tuple[pl.DataFrame, dict[int, set[str]]]:
    """Parse an export file as a tolerant reader would: encoding, header variants, truncated last line.

    Returns the rows (canonical columns, ``_line``) and the file-level findings by line."""
    found: dict[int, set[str]] = {}
    raw = path.read_bytes()
    if raw.startswith(BOM):
        text = raw[len(BOM) :].decode("utf-8")
    else:
        found.setdefault(0, set()).add("file:encoding")
        text = raw.decode("cp1256")
    complete = text.endswith("\r\n")
    lines = (text[:-2] if complete else text).split("\r\n")
    header = lines[0].split(";")
    canonical = contract.column_names
    if header != canonical:
        if sorted(header) == sorted(canonical):
            found.setdefault(1, set()).add("file:reordered")
        else:
            found.setdefault(1, set()).add("file:renamed")
    alias = {a: c.name for c in contract.columns for a in c.aliases}
    names = [alias.get(h, h) for h in header]
    assert sorted(names) == sorted(canonical), f"{path}: header {header}"
    rows, numbers = [], []
    for i, line in enumerate(lines[1:], start=2):
        fields = line.split(";")
        if len(fields) != len(names):
            assert not complete and i == len(lines), f"{path}:{i}: wrong number of fields"
            found.setdefault(i, set()).add("truncated")
            continue
        rows.append([v if v != "" else None for v in fields])
        numbers.append(i)
    frame = pl.DataFrame(rows, schema={c: pl.String for c in names}, orient="row").select(canonical)
    return frame.with_columns(pl.Series("_line", numbers, dtype=pl.Int64)), found


def _files(manifest: dict, region: str, entity: str) -> list[str]:
    """Row files of an entity in drop order: bulk file, then daily drops by date (no deletions)."""
    paths = [
        f["path"]
        for f in manifest["files"]
        if f["region_code"] == region and f["entity"] == entity and not f["path"].endswith("__deleted.csv")
    ]
    return sorted(paths, key=lambda p: (p.count("__"), p))


def detect(root: Path) -> dict[str, dict[int, set[str]]]:
    """Every finding of the validator, by file path (relative to root) and line."""
    manifest = json.loads((root / YEAR / "manifest.json").read_text(encoding="utf-8"))
    holidays = {
        date.fromisoformat(r["holiday_date"])
        for r in read_seed("school_holidays")
        if r["school_year"] == YEAR
    }
    found: dict[str, dict[int, set[str]]] = {f["path"]: {} for f in manifest["files"]}

    def flag(path: str, lines: list[int], what: str) -> None:
        for line in lines:
            found[path].setdefault(line, set()).add(what)

    for region in sorted({f["region_code"] for f in manifest["files"]}):
        frames: dict[str, pl.DataFrame] = {}
        for entity, contract in CONTRACTS.items():
            parts = []
            for order, path in enumerate(_files(manifest, region, entity)):
                frame, file_found = read_any(root / path, contract)
                for line, what in file_found.items():
                    flag(path, [line], next(iter(what)))
                for line, what in violations(frame, contract).items():
                    for w in what:
                        flag(path, [line], w)
                parts.append(frame.with_columns(pl.lit(path).alias("_path"), pl.lit(order).alias("_order")))
            frames[entity] = pl.concat(parts)
        # a key repeated in a later drop (and not a duplicate within its own file): a correction
        for entity, contract in CONTRACTS.items():
            f = frames[entity]
            key = list(contract.primary_key)
            first_order = f.group_by(key).agg(pl.col("_order").min().alias("_first"))
            later = f.join(first_order, on=key).filter(pl.col("_order") > pl.col("_first"))
            for path, lines in later.group_by("_path").agg("_line").iter_rows():
                flag(path, lines, "correction")

        def valid(
            entity: str, frames: dict[str, pl.DataFrame] = frames, region: str = region
        ) -> pl.DataFrame:
            f = frames[entity]
            bad = [(p, line) for p, lines in found.items() for line in lines if f"/{region}/{entity}" in p]
            bad_frame = pl.DataFrame(bad, schema={"_path": pl.String, "_line": pl.Int64}, orient="row")
            return f.join(bad_frame, on=["_path", "_line"], how="anti")

        ok = {e: valid(e) for e in CONTRACTS}
        for entity, contract in CONTRACTS.items():
            f = frames[entity]
            for fk in contract.foreign_keys:
                ref = (
                    ok[fk.entity]
                    .select([pl.col(r).alias(c) for c, r in zip(fk.columns, fk.ref_columns, strict=True)])
                    .unique()
                )
                orphans = f.filter(pl.all_horizontal(pl.col(list(fk.columns)).is_not_null())).join(
                    ref, on=list(fk.columns), how="anti"
                )
                for path, lines in orphans.group_by("_path").agg("_line").iter_rows():
                    flag(path, lines, f"fk:{fk.reason}")
        # absences: calendar and enrollment windows (from the valid enrollment rows)
        enrol = ok["enrollments"].with_columns(
            pl.col("event_date").map_elements(_parse_date, return_dtype=pl.Date)
        )
        absences = frames["absences"].with_columns(
            pl.col("absence_date").map_elements(_parse_date, return_dtype=pl.Date).alias("_d")
        )
        dated = absences.filter(pl.col("_d").is_not_null())
        sunday = dated.filter(pl.col("_d").dt.weekday() == 7)
        holiday = dated.filter(pl.col("_d").is_in(sorted(holidays)) & (pl.col("_d").dt.weekday() != 7))
        # enrolled in the region on day d: the pupil's last movement on or before d (an exit before an
        # arrival on the same day) is an arrival; no movement at all is outside too
        moves: dict[str, list[tuple[date, int, bool]]] = {}
        for code, kind, day in enrol.select("student_code", "event_type", "event_date").iter_rows():
            if day is not None:
                arriving = kind in ("entry", "re_enrollment", "transfer_in")
                moves.setdefault(code, []).append((day, 1 if arriving else 0, arriving))

        def enrolled(code: str, d: date, moves: dict = moves) -> bool:
            before = sorted(m for m in moves.get(code, []) if m[0] <= d)
            return bool(before) and before[-1][2]

        outside = dated.filter(
            pl.Series([not enrolled(c, d) for c, d in dated.select("student_code", "_d").iter_rows()])
        )
        for what, rows in (
            ("calendar:sunday", sunday),
            ("calendar:holiday", holiday),
            ("enrollment:outside", outside),
        ):
            for path, lines in rows.group_by("_path").agg("_line").iter_rows():
                flag(path, lines, what)
        # the same pupil started twice in the year at two schools, without a transfer
        starts = enrol.filter(pl.col("event_type").is_in(["entry", "re_enrollment"])).sort("_order", "_line")
        moved = enrol.filter(pl.col("event_type").is_in(["transfer_in", "transfer_out"]))["student_code"]
        second = starts.filter(
            ~pl.col("student_code").is_first_distinct() & ~pl.col("student_code").is_in(moved.implode())
        )
        for path, lines in second.group_by("_path").agg("_line").iter_rows():
            flag(path, lines, "enrollment:duplicate")
        # deletions: every line names an enrollment that exists
        key = list(CONTRACTS["enrollments"].primary_key)
        for f in manifest["files"]:
            if f["region_code"] == region and f["path"].endswith("__deleted.csv"):
                text = (root / f["path"]).read_bytes()[len(BOM) :].decode("utf-8")
                lines = text[:-2].split("\r\n")
                header = lines[0].split(";")
                assert set(key) <= set(header) and len(header) == len(key) + 1  # + region_code
                rows = pl.DataFrame([x.split(";") for x in lines[1:]], schema=header, orient="row")
                rows = rows.with_columns(pl.Series("_line", range(2, len(lines) + 1)))
                known = rows.join(frames["enrollments"].select(key), on=key, how="semi")
                flag(f["path"], known["_line"].to_list(), "deleted")
    return found


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faulty")
    generate(
        root,
        pupils=900,
        seed=11,
        years=1,
        fault_rate=0.2,
        file_fault_rate=0.25,
        # deleted_enrollment: off by default (applied with the daily drops, not by the engine)
        fault_rates={"deleted_enrollment": 0.02, **NONFORMAL_RATES},
        daily_days=DAILY_DAYS,
    )
    return root


def test_every_enabled_class_is_injected_at_least_once_per_entity(tmp_path: Path) -> None:
    """At a rate so low that no draw gives a faulty row, the engine still corrupts one row of every class
    with a positive rate in every entity (the first file with a row it can corrupt), and no more; at
    rate 0 nothing. Entities of fewer than 100 rows are left out (a row carries one fault at most), and
    classes with an eligibility rule appear at most once (their rows may not exist at this size)."""
    generate(tmp_path / "low", pupils=300, seed=3, years=1, fault_rate=1e-7, file_fault_rate=0.0)
    counts: dict[tuple[str, str], int] = {}
    for _, _, entity, fault in read_faults(tmp_path / "low", YEAR):
        counts[entity, fault] = counts.get((entity, fault), 0) + 1
    assert counts and set(counts.values()) == {1}, counts
    for name, contract in CONTRACTS.items():
        rows = sum(
            len(p.read_bytes().split(b"\r\n")) - 2 for p in (tmp_path / "low" / YEAR).glob(f"*/{name}.csv")
        )
        expected = {f.name for f in applicable(contract) if f.eligible is None}
        if rows >= 100:
            assert expected <= {f for e, f in counts if e == name}, (name, rows)
        assert {f for e, f in counts if e == name} <= {f.name for f in applicable(contract)}, name
    generate(tmp_path / "clean", pupils=300, seed=3, years=1, fault_rate=0.0, file_fault_rate=0.0)
    assert read_faults(tmp_path / "clean", YEAR) == []


def test_the_registry_declares_every_outcome() -> None:
    assert {name: (f.level, f.outcome) for name, f in REGISTRY.items()} == OUTCOMES


def assert_manifest_is_what_the_validator_finds(root: Path) -> None:
    """``faults.csv`` of ``root`` holds every fault class, at most one fault per line, and exactly the lines
    the independent validator (``detect``) flags, each for its class's expected check."""
    faults = read_faults(root, YEAR)
    assert {f for *_, f in faults} == set(OUTCOMES), "every fault class is injected"
    assert all(e not in ("schools", "classes") for _, _, e, _ in faults)
    recorded: dict[str, dict[int, str]] = {}
    for path, line, _entity, fault in faults:
        assert line not in recorded.setdefault(path, {}), f"two faults on one line: {path}:{line}"
        recorded[path][line] = fault
    found = detect(root)
    assert set(recorded) <= set(found)
    for path, lines in found.items():
        want = recorded.get(path, {})
        assert set(lines) == set(want), (
            f"{path}: lines found {sorted(set(lines) - set(want))[:5]} not recorded, "
            f"recorded {sorted(set(want) - set(lines))[:5]} not found"
        )
        for line, fault in want.items():
            assert any(v.startswith(EXPECTED_CHECK[fault]) for v in lines[line]), (
                path,
                line,
                fault,
                lines[line],
            )


def test_faults_csv_is_exactly_what_an_independent_validator_finds(faulty: Path) -> None:
    assert_manifest_is_what_the_validator_finds(faulty)


def test_a_rate_of_zero_turns_a_class_off(tmp_path: Path) -> None:
    generate(
        tmp_path, pupils=300, seed=2, fault_rate=0.2, fault_rates={"unknown_class": 0.0, "duplicate_row": 0.1}
    )
    classes = [f for *_, f in read_faults(tmp_path, YEAR)]
    assert "unknown_class" not in classes and classes.count("duplicate_row") > 50


def test_manifest_matches_the_files(faulty: Path) -> None:
    manifest = json.loads((faulty / YEAR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["school_year"] == YEAR and manifest["seed"] == 11 and manifest["pupils"] == 900
    assert [f["path"] for f in manifest["files"]] == sorted(f["path"] for f in manifest["files"])
    on_disk = sorted(p.relative_to(faulty).as_posix() for p in (faulty / YEAR).glob("*/*.csv"))
    assert on_disk == [f["path"] for f in manifest["files"]]
    for entry in manifest["files"]:
        data = (faulty / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        complete = data.endswith(b"\r\n")
        assert data.count(b"\r\n") - (1 if complete else 0) == entry["rows"]
        name = entry["path"].split("/")[-1]
        assert entry["path"].startswith(f"{YEAR}/{entry['region_code']}/") and name.startswith(
            entry["entity"]
        )
    daily = [f for f in manifest["files"] if "__" in f["path"]]
    assert {f["entity"] for f in daily} == {"absences", "grades", "enrollments", "roll_calls"}
