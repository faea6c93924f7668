"""A region generated in chunks (synthetic.chunks) gives the same kind of exports as a region
generated whole: the chunk size is lowered here so that small regions are cut into several chunks, and
the checks of test_synthetic (contracts, referential integrity, pupils unique and stable across years)
and of test_synthetic_faults (the fault manifest is exactly what an independent validator finds) are run
on the result. Peak memory is a benchmark figure (benchmarks/bench_generate.py), not asserted here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
import test_synthetic as base
import test_synthetic_faults as fault_checks
from test_synthetic import BOM, REGIONS, read_export

from ingestion.contracts import CONTRACTS
from synthetic.chunks import plan_chunks
from synthetic.generate import DAILY_DAYS, generate, pupils_by_region
from synthetic.reference import regions

CHUNK = 150  # pupils: region 06 (about 20 % of the pupils) in 2 to 3 chunks at 1,500 pupils
YEARS = ("2024-2025", "2025-2026")


@pytest.fixture(scope="module")
def chunked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("chunked")
    summary = generate(
        root, pupils=1_500, seed=7, years=2, fault_rate=0.0, daily_days=DAILY_DAYS, chunk_pupils=CHUNK
    )
    assert summary.pupils_by_year["2024-2025"] == 1_500
    assert summary.chunks["06"] >= 2 and sum(n > 1 for n in summary.chunks.values()) >= 5, summary.chunks
    return root


# a faulty, chunked country: every fault class, file-level faults on multi-chunk files
FAULTY: dict[str, object] = {
    "pupils": 2_000,
    "seed": 11,
    "years": 1,
    "fault_rate": 0.2,
    "file_fault_rate": 0.25,
    "fault_rates": {
        "deleted_enrollment": 0.02,
        **fault_checks.NONFORMAL_RATES,
    },
    "daily_days": DAILY_DAYS,
    "chunk_pupils": 200,
}


@pytest.fixture(scope="module")
def chunked_faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("chunked-faulty")
    generate(root, **FAULTY)  # type: ignore[arg-type]
    return root


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_plan_chunks_cuts_large_regions_along_provinces() -> None:
    region = next(r for r in regions() if r.code == "06")
    assert plan_chunks(region, 1_000, 1_000)[0].region is region  # small enough: the region itself
    pupils, size = 1_000_000, 150_000
    chunks = plan_chunks(region, pupils, size)
    assert sum(c.pupils for c in chunks) == pupils
    assert all(c.pupils <= size for c in chunks), [c.pupils for c in chunks]
    assert len(chunks) >= pupils // size + 1
    assert [c.index for c in chunks] == list(range(len(chunks)))
    total = sum(p.population for p in region.provinces)
    for province in region.provinces:
        parts = [p for c in chunks for p in c.region.provinces if p.code == province.code]
        # a province's catchments share its population (rounding) and its expected pupils
        assert abs(sum(p.population for p in parts) - province.population) <= len(parts)
        expected = pupils * province.population / total
        assert len(parts) == -(-expected // size), (province.code, len(parts), expected)
    for c in chunks:
        codes = [p.code for p in c.region.provinces]
        assert len(codes) == len(set(codes)), "two catchments of a province in one chunk"
        assert c.region.code == "06"


def test_every_region_file_is_one_file_with_one_header(chunked: Path) -> None:
    for school_year in YEARS:
        for region in REGIONS:
            for entity, contract in CONTRACTS.items():
                data = (chunked / school_year / region / f"{entity}.csv").read_bytes()
                header = BOM + ";".join(contract.column_names).encode()
                assert data.startswith(header + b"\r\n") and data.count(header) == 1


def test_chunked_exports_pass_the_contracts_and_the_school_logic(chunked: Path) -> None:
    base.test_clean_rows_pass_the_contracts(chunked)
    base.test_referential_integrity_and_school_logic(chunked)


def test_pupils_are_unique_and_stable_across_years_and_chunks(chunked: Path) -> None:
    base.test_pupils_are_unique_and_stable_across_years(chunked)
    # codes of schools, classes and teachers are unique too (each chunk has its own, from shared counters)
    for school_year in YEARS:
        for entity, key in (
            ("schools", "school_code"),
            ("classes", "class_code"),
            ("teachers", "teacher_code"),
        ):
            codes = pl.concat(
                [
                    read_export(chunked / school_year / r / f"{entity}.csv", CONTRACTS[entity])[key]
                    for r in REGIONS
                ]
            )
            assert codes.is_unique().all(), f"{school_year} {entity}: a code is used twice"


def test_the_fault_manifest_stays_exact_across_chunks(chunked_faulty: Path) -> None:
    fault_checks.assert_manifest_is_what_the_validator_finds(chunked_faulty)


def test_manifest_matches_files_written_in_parts(chunked_faulty: Path) -> None:
    manifest = json.loads((chunked_faulty / fault_checks.YEAR / "manifest.json").read_text(encoding="utf-8"))
    on_disk = sorted(p.relative_to(chunked_faulty).as_posix() for p in chunked_faulty.glob("*/*/*.csv"))
    assert on_disk == [f["path"] for f in manifest["files"]]
    for entry in manifest["files"]:
        data = (chunked_faulty / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert data.count(b"\r\n") - (1 if data.endswith(b"\r\n") else 0) == entry["rows"]


def test_file_faults_apply_to_every_chunk_of_a_file(chunked_faulty: Path) -> None:
    """A file of a region in several chunks written in Windows-1256 is so on every line (a later chunk in
    UTF-8 would be read as garbage); the file-level faults hit such files too."""
    year = fault_checks.YEAR
    manifest = json.loads((chunked_faulty / year / "manifest.json").read_text(encoding="utf-8"))
    by_file = {}
    for path, line, _entity, fault in base.read_faults(chunked_faulty, year):
        by_file.setdefault(path, set()).add((line, fault))
    allocation = pupils_by_region(2_000)
    chunked_regions = {r.code for r in regions() if len(plan_chunks(r, allocation[r.code], 200)) > 1}
    assert len(chunked_regions) >= 5
    hit = set()
    for entry in manifest["files"]:
        if entry["region_code"] not in chunked_regions:
            continue
        data = (chunked_faulty / entry["path"]).read_bytes()
        marks = {f for _, f in by_file.get(entry["path"], set())}
        hit |= marks & {"encoding_cp1256", "renamed_header", "reordered_header", "truncated_last_line"}
        if "encoding_cp1256" in marks:
            assert not data.startswith(BOM)
            for line in data.split(b"\r\n"):
                if any(b >= 0x80 for b in line):
                    with pytest.raises(UnicodeDecodeError):
                        line.decode("utf-8")
        else:
            data.decode("utf-8")
    assert hit == {"encoding_cp1256", "renamed_header", "reordered_header", "truncated_last_line"}


def test_same_arguments_give_byte_identical_files_in_chunks(chunked_faulty: Path, tmp_path: Path) -> None:
    """Chunks, faults and file-level faults drawn again from the same seed: the same bytes (that another
    seed changes the data is test_synthetic's)."""
    summary = generate(tmp_path, **FAULTY)  # type: ignore[arg-type]
    assert summary.chunks["06"] >= 2
    assert _digests(tmp_path) == _digests(chunked_faulty)
