"""A lake that knows its own integrity: damaged lake files are found (by ingest: size, footer, rows; by
``massar verify``: checksums too) and rebuilt from their exports, or ingest stops naming the file.

Each test damages a private copy of the session pipeline's home (tests/integrity_support.py). Expected
rows and bytes are read from the files before the damage, with polars and hashlib, not through the code
under test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from integrity_support import a_loaded_batch, copy_home, load_log, sha256, using_home

from massar import cli


@pytest.fixture
def home(pipeline_home: Path, tmp_path: Path) -> Iterator[Path]:
    with using_home(copy_home(pipeline_home, tmp_path / "home")) as h:
        yield h


def _region(lake_file: str) -> str:
    found = re.search(r"region_code=([0-9]+)/", lake_file)
    assert found, lake_file
    return found.group(1)


def _truncate_to_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_the_load_log_records_each_lake_file_with_its_size_and_checksum(home: Path) -> None:
    loaded = load_log(home).filter(pl.col("status") == "loaded")
    assert loaded.height > 0
    for row in loaded.iter_rows(named=True):
        for kind in ("data", "quarantine"):
            path = home / "lake" / row[f"{kind}_file"]
            assert path.stat().st_size == row[f"{kind}_bytes"], path
            assert sha256(path) == row[f"{kind}_sha256"], path


def test_a_truncated_lake_file_is_rebuilt_from_its_export_by_ingest(home: Path) -> None:
    batch = a_loaded_batch(home)
    damaged = home / "lake" / batch["data_file"]
    original_bytes, original_rows = sha256(damaged), pl.read_parquet(damaged)
    _truncate_to_half(damaged)

    assert cli.main(["ingest", "--region", _region(batch["data_file"])]) == 0

    rebuilt = pl.read_parquet(damaged)
    assert rebuilt.equals(original_rows)  # same rows, same lineage (the batch's own loaded_at)
    assert sha256(damaged) == original_bytes
    set_aside = list((home / "lake" / "_damaged").rglob(damaged.name))
    assert len(set_aside) == 1  # the damaged file is kept aside, read by nothing
    assert cli.main(["verify"]) == 0


def test_without_its_export_ingest_stops_naming_the_file(home: Path, capsys: pytest.CaptureFixture) -> None:
    batch = a_loaded_batch(home)
    damaged = home / "lake" / batch["data_file"]
    _truncate_to_half(damaged)
    half = damaged.read_bytes()
    (home / "exports" / batch["source_file"]).unlink()

    assert cli.main(["ingest", "--region", _region(batch["data_file"])]) == cli.EXIT_DAMAGED

    err = capsys.readouterr().err
    assert batch["data_file"] in err
    assert f"{batch['data_bytes']} bytes" in err and batch["data_sha256"] in err  # what it expected
    assert batch["source_file"] in err and "massar restore" in err  # where it came from, what to do
    assert damaged.read_bytes() == half  # nothing changed
    assert "Traceback" not in err


def test_a_flipped_byte_is_found_by_verify(home: Path, capsys: pytest.CaptureFixture) -> None:
    batch = a_loaded_batch(home)
    damaged = home / "lake" / batch["data_file"]
    assert cli.main(["verify", "--quick"]) == 0
    capsys.readouterr()
    _flip_byte(damaged, damaged.stat().st_size // 3)  # inside the data pages: size and footer unchanged

    assert cli.main(["verify"]) == cli.EXIT_DAMAGED
    out = capsys.readouterr().out
    assert batch["data_file"] in out and "SHA-256" in out
    # ingest --verify compares checksums too: it rebuilds the file from its export
    assert cli.main(["ingest", "--verify", "--region", _region(batch["data_file"])]) == 0
    assert sha256(damaged) == batch["data_sha256"]
    assert cli.main(["verify", "--quick"]) == 0


def test_verify_reports_a_file_no_record_names(home: Path, capsys: pytest.CaptureFixture) -> None:
    batch = a_loaded_batch(home)
    stray = (home / "lake" / batch["data_file"]).with_name("0000stray.parquet")
    pl.DataFrame({"x": [1]}).write_parquet(stray)

    assert cli.main(["verify"]) == cli.EXIT_DAMAGED
    assert "0000stray.parquet: in the lake but in no load-log record" in capsys.readouterr().out


def test_compaction_records_the_merged_file_and_a_damaged_one_is_rebuilt_batch_by_batch(home: Path) -> None:
    from warehouse.compaction import compact_lake, partitions

    lake = home / "lake"
    crowded = [d for d in partitions(lake) if len(list(d.glob("*.parquet"))) >= 3]
    assert crowded, "daily drops should have left partitions with several files"
    partition = crowded[0]
    rows_before = pl.concat([pl.read_parquet(f) for f in sorted(partition.glob("*.parquet"))], how="diagonal")
    compact_lake(lake)
    (keeper,) = partition.glob("*.parquet")
    keeper_rel = str(keeper.relative_to(lake))
    naming = load_log(home).filter(pl.col("data_file") == keeper_rel)
    assert naming.height >= 3  # every merged batch's record names the merged file, with its checksum
    assert set(naming["data_sha256"]) == {sha256(keeper)}
    assert set(naming["data_bytes"]) == {keeper.stat().st_size}
    assert cli.main(["verify", "--quick"]) == 0

    _truncate_to_half(keeper)
    assert cli.main(["ingest", "--region", _region(keeper_rel)]) == 0
    rebuilt = sorted(partition.glob("*.parquet"))
    assert len(rebuilt) == naming.height  # one file per batch again
    rows_after = pl.concat([pl.read_parquet(f) for f in rebuilt], how="diagonal")
    order = ["_batch_id", "_line_number"]
    assert rows_after.sort(order).equals(rows_before.select(rows_after.columns).sort(order))
    assert cli.main(["verify", "--quick"]) == 0


def test_records_written_before_checksums_still_work(home: Path, capsys: pytest.CaptureFixture) -> None:
    file_columns = ["data_file", "data_bytes", "data_sha256", "quarantine_file", "quarantine_bytes",
                    "quarantine_sha256"]  # fmt: skip
    for record in (home / "lake" / "_load_log").glob("region_code=*/*.parquet"):
        pl.read_parquet(record).drop(file_columns).write_parquet(record)

    assert cli.main(["verify"]) == 0
    assert "recorded before checksums were kept" in capsys.readouterr().out
    batch = a_loaded_batch(home)
    region = re.search(r"[0-9]{4}-[0-9]{4}/([0-9]+)/", batch["source_file"])
    assert region
    damaged = next((home / "lake" / "grades").glob(f"*/region_code={region.group(1)}/*.parquet"))
    _truncate_to_half(damaged)  # without a recorded size, the unreadable footer gives it away
    assert cli.main(["ingest", "--region", region.group(1)]) == 0
    pl.read_parquet(damaged)
