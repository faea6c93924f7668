"""The lake checked against its load log, and damaged batches rebuilt from their exports.

Every loaded batch's load-log record names its two lake files (accepted rows or deletions, and
quarantined rows) with their size and SHA-256 (``ingestion.load_log``). A file is intact when it exists,
has the recorded size, its Parquet footer reads, the footer's row count is the rows the log says it holds
(``rows_accepted`` of every record naming it, ``rows_quarantined`` for a quarantine file), and, in a full
check, its bytes have the recorded SHA-256.

- ``massar ingest`` runs the cheap check (sizes, footers and row counts: no file is read whole) on the
  region it loads before anything else, and rebuilds each damaged batch from its export (``repair``);
  ``massar ingest --verify`` adds the checksums.
- ``massar verify`` runs the full check on the whole lake and also reports files that no record names.

A batch is rebuilt as it was first loaded: its export (found at its ``source_file``, or any export file
with the same content) is checked again, against the lake as it stood then (the rows whose ``_loaded_at``
is earlier than the batch's), with the batch's own ``loaded_at`` as lineage. Checks are deterministic, so
the rebuilt rows are the rows first loaded. A damaged file is moved to ``_damaged/`` (kept for
inspection, read by nothing); its batch's record stays until the rebuilt file is in place and the record
is rewritten, so a rebuild interrupted at any point is found again, and redone, by the next run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow.parquet as pq

from ingestion import lake as lk
from ingestion.errors import DamagedLakeError
from ingestion.load_log import LOAD_LOG_SCHEMA, LoadRecord, log_path, read_log

if TYPE_CHECKING:
    from ingestion.loader import LakeCache
    from ingestion.reader import ExportFile

log = logging.getLogger(__name__)

DAMAGED = "_damaged"
#: Lake folders that hold no batch file (the load log, ingestion's caches and intents, set-aside files).
NOT_BATCH_FILES = (lk.LOAD_LOG, lk.PENDING, "_fingerprints", DAMAGED)


@dataclass(frozen=True)
class Expected:
    """A lake file as the load log describes it. ``size``/``sha256``/``rows`` are None for records
    written before the log had them (then only existence and a readable footer are checked)."""

    path: str
    region_code: str
    kind: str  # data | quarantine
    size: int | None
    sha256: str | None
    rows: int | None
    batches: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    path: str
    kind: str  # missing | size | unreadable | rows | checksum | unrecorded | unreadable_log
    detail: str
    expected: Expected | None = None

    def describe(self) -> str:
        return f"{self.path}: {self.detail}"


@dataclass
class LakeReport:
    files: int = 0
    bytes: int = 0
    hashed: int = 0
    without_checksum: int = 0
    problems: list[Problem] = field(default_factory=list)


def _read_log_tolerant(load_log_root: Path, region_code: str | None) -> tuple[pl.DataFrame, list[Problem]]:
    """The load log, skipping (and reporting) record files that cannot be read."""
    try:
        return read_log(load_log_root, region_code), []
    except Exception:
        pass
    good, problems = [], []
    for f in sorted(load_log_root.glob(f"region_code={region_code or '*'}/*.parquet")):
        try:
            pl.read_parquet(f)
            good.append(f)
        except Exception as exc:
            rel = f.relative_to(load_log_root.parent)
            problems.append(Problem(str(rel), "unreadable_log", f"load-log record unreadable ({exc})"))
    schema = {**LOAD_LOG_SCHEMA, "region_code": pl.String()}
    if not good:
        return pl.DataFrame(schema=schema), problems
    frame = pl.read_parquet(
        good, hive_partitioning=True, hive_schema={"region_code": pl.String()}, schema=LOAD_LOG_SCHEMA,
        missing_columns="insert",
    )  # fmt: skip
    return frame.with_columns(pl.col("rows_rejected", "blank_lines").fill_null(0)), problems


def _own_paths(row: dict) -> tuple[str, str]:
    """Where a batch's data and quarantine files were written (records without file columns)."""
    deleted = Path(str(row["source_file"])).name.split(".")[0].endswith("__deleted")
    where = (row["entity"], row["school_year"], row["region_code"], row["batch_id"])
    data = lk.deletions_path(Path(), *where) if deleted else lk.accepted_path(Path(), *where)
    return str(data), str(lk.quarantine_path(Path(), *where))


def expected_files(records: pl.DataFrame) -> dict[str, Expected]:
    """Every lake file the load log records, by path relative to the lake."""
    found: dict[str, Expected] = {}
    for row in records.filter(pl.col("status") == "loaded").sort("loaded_at").iter_rows(named=True):
        own_data, own_quarantine = _own_paths(row)
        for kind, path, size, sha, rows in (
            ("data", row["data_file"], row["data_bytes"], row["data_sha256"], row["rows_accepted"]),
            ("quarantine", row["quarantine_file"], row["quarantine_bytes"], row["quarantine_sha256"],
             row["rows_quarantined"]),
        ):  # fmt: skip
            if path is None:  # an older record: the file it wrote, unless an older compaction merged it
                path = own_data if kind == "data" else own_quarantine
                size = sha = rows = None
            seen = found.get(path)
            if seen is None:
                found[path] = Expected(path, row["region_code"], kind, size, sha, rows, (row["batch_id"],))
            else:  # a compacted data file: the rows of every batch merged into it
                total = None if seen.rows is None or rows is None else seen.rows + rows
                found[path] = Expected(
                    path,
                    seen.region_code,
                    kind,
                    seen.size,
                    seen.sha256,
                    total,
                    (*seen.batches, row["batch_id"]),
                )
    return found


def check_file(lake: Path, expected: Expected, full: bool = False) -> Problem | None:
    """What is wrong with one recorded file, or None. ``full``: also compare the SHA-256."""
    path = lake / expected.path

    def problem(kind: str, detail: str) -> Problem:
        return Problem(expected.path, kind, detail, expected)

    if not path.exists():
        if expected.size is None:
            return None  # an older record whose file an older compaction merged: nothing recorded to check
        return problem("missing", f"missing (expected {expected.size} bytes)")
    size = path.stat().st_size
    if expected.size is not None and size != expected.size:
        return problem("size", f"{size} bytes, expected {expected.size}")
    try:
        rows = pq.read_metadata(path).num_rows
    except Exception as exc:
        return problem("unreadable", f"Parquet footer unreadable ({exc})")
    if expected.rows is not None and rows != expected.rows:
        return problem("rows", f"{rows} rows, the load log says {expected.rows}")
    if full and expected.sha256 is not None:
        actual = lk.file_sha256(path)
        if actual != expected.sha256:
            return problem("checksum", f"SHA-256 {actual[:16]}…, expected {expected.sha256[:16]}…")
    return None


def _batch_files(lake: Path) -> Iterable[Path]:
    for path in lake.rglob("*.parquet"):
        rel = path.relative_to(lake)
        if rel.parts[0] in NOT_BATCH_FILES or path.name.startswith("."):
            continue
        yield path


def check_lake(lake: Path, region_code: str | None = None, full: bool = True) -> LakeReport:
    """Check every file the load log records (of one region), and, for the whole lake, list the files
    that no record names."""
    records, problems = _read_log_tolerant(lake / lk.LOAD_LOG, region_code)
    expected = expected_files(records)
    report = LakeReport(problems=problems)
    for exp in expected.values():
        report.files += 1
        report.without_checksum += exp.sha256 is None
        found = check_file(lake, exp, full)
        if found is not None:
            report.problems.append(found)
        elif (lake / exp.path).exists():
            report.bytes += (lake / exp.path).stat().st_size
            report.hashed += full and exp.sha256 is not None
    if region_code is None:
        batches = set(records["batch_id"].to_list())
        for path in sorted(_batch_files(lake)):
            rel = str(path.relative_to(lake))
            if rel not in expected and path.stem not in batches:
                report.problems.append(Problem(rel, "unrecorded", "in the lake but in no load-log record"))
    return report


def _state_before(lake: Path, before: datetime) -> LakeCache:
    """The lake state a batch loaded at ``before`` was checked against: the rows loaded before it."""
    from ingestion.loader import LakeCache

    class StateBefore(LakeCache):
        def _load(self, key: tuple[str, str, str]) -> None:
            if key in self._versions:
                return
            super()._load(key)
            earlier = pl.col("_loaded_at") < before
            self._versions[key] = self._versions[key].filter(earlier)
            deletions = self._deletions[key]
            if deletions is not None:
                self._deletions[key] = deletions.filter(earlier)

    return StateBefore(lake)


def _find_export(exports: Path, row: dict, known: dict[str, tuple[int, int, str]]) -> ExportFile | None:
    """The export file a batch was loaded from: its ``source_file``, or another file of the region with
    the same content (per the loader's fingerprint cache), checked by hashing; None when none is left."""
    from ingestion.reader import batch_id_of, locate

    others = sorted(rel for rel, (_, _, batch) in known.items() if batch == row["batch_id"])
    for rel in dict.fromkeys([row["source_file"], *others]):
        path = exports / rel
        if path.is_file():
            export = locate(path, exports)
            if export is not None and batch_id_of(path.read_bytes(), export) == row["batch_id"]:
                return export
    return None


def _expectation(exp: Expected) -> str:
    parts = [f"{exp.size} bytes" if exp.size is not None else None,
             f"SHA-256 {exp.sha256}" if exp.sha256 else None,
             f"{exp.rows} rows" if exp.rows is not None else None]  # fmt: skip
    return ", ".join(p for p in parts if p) or "a readable Parquet file"


def repair(exports: Path, lake: Path, region_code: str, problems: list[Problem]) -> list[str]:
    """Rebuild the batches whose files are damaged from their exports (see the module docstring); raise
    ``DamagedLakeError`` naming each file that cannot be rebuilt, before changing anything. Returns the
    ids of the batches rebuilt."""
    from ingestion.loader import _read_fingerprints, assess

    records = {r["batch_id"]: r for r in read_log(lake / lk.LOAD_LOG, region_code).iter_rows(named=True)}
    known = _read_fingerprints(lake, region_code)
    todo: dict[str, set[str]] = {}
    exports_of: dict[str, ExportFile | None] = {}
    lost: list[str] = []
    for p in problems:
        if p.expected is None:
            lost.append(
                f"{p.describe()}: no export can rebuild it: restore the lake from a backup (massar restore)"
            )
            continue
        for batch in p.expected.batches:
            todo.setdefault(batch, set()).add(p.expected.kind)
            if batch not in exports_of:
                exports_of[batch] = _find_export(exports, records[batch], known)
            if exports_of[batch] is None:
                lost.append(
                    f"{p.describe()}. The load log expects {_expectation(p.expected)}, written by batch "
                    f"{batch} from export {records[batch]['source_file']}, which is no longer in {exports}. "
                    "Restore the lake from a backup (massar restore), or put that export file back and run "
                    "massar ingest again: it then rebuilds the file."
                )
    if lost:
        raise DamagedLakeError(
            "damaged lake file(s) that cannot be rebuilt:\n  " + "\n  ".join(dict.fromkeys(lost))
        )
    aside = lake / DAMAGED / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for p in problems:
        damaged = lake / p.path
        if damaged.exists():
            (aside / p.path).parent.mkdir(parents=True, exist_ok=True)
            os.replace(damaged, aside / p.path)
            log.warning("lake file %s is damaged (%s): set aside in %s", p.path, p.detail, aside)
    for batch in sorted(todo, key=lambda b: records[b]["loaded_at"]):
        row, export = records[batch], exports_of[batch]
        assert export is not None
        state = _state_before(lake, row["loaded_at"])
        outcome = assess(export, export.path.read_bytes(), batch, state, row["loaded_at"])
        if outcome.record.status != "loaded" or outcome.accepted is None or outcome.quarantined is None:
            raise DamagedLakeError(
                f"batch {batch} ({row['source_file']}) no longer loads: {outcome.record.message}"
            )
        if (outcome.record.rows_accepted, outcome.record.rows_quarantined) != (
            row["rows_accepted"],
            row["rows_quarantined"],
        ):
            log.warning(
                "batch %s rebuilt with %d accepted and %d quarantined rows; first loaded with %d and %d "
                "(the checks changed since): the load log now records the rebuilt counts",
                batch, outcome.record.rows_accepted, outcome.record.rows_quarantined,
                row["rows_accepted"], row["rows_quarantined"],
            )  # fmt: skip
        data, quarantine = (lake / p for p in _own_paths(row))
        files = []
        if "data" in todo[batch]:
            files.append((lk.lake_frame(outcome.accepted), data))
        if "quarantine" in todo[batch]:
            files.append((outcome.quarantined, quarantine))
        staged = lk.StagedBatch(lake, region_code, batch, files)
        staged.commit(
            lambda written, row=row, outcome=outcome: _rewrite_record(lake, row, outcome.record, written)
        )
        log.warning("rebuilt batch %s from %s", batch, row["source_file"])
    return sorted(todo)


def _rewrite_record(lake: Path, row: dict, rebuilt: LoadRecord, written: list[lk.LakeFile]) -> None:
    row = dict(row)
    row.update(rows_accepted=rebuilt.rows_accepted, rows_quarantined=rebuilt.rows_quarantined)
    for f in written:
        kind = "quarantine" if Path(f.path).parts[0] == lk.QUARANTINE else "data"
        row.update({f"{kind}_file": f.path, f"{kind}_bytes": f.size, f"{kind}_sha256": f.sha256})
    region = row.pop("region_code")
    frame = pl.DataFrame([{k: row[k] for k in LOAD_LOG_SCHEMA}], schema=LOAD_LOG_SCHEMA)
    lk.write_atomic(frame, log_path(lake / lk.LOAD_LOG, region, row["batch_id"]))


def ensure_intact(exports: Path, lake: Path, region_code: str, full: bool = False) -> list[str]:
    """Check a region's lake files against the load log (``full``: checksums too) and rebuild damaged
    batches from their exports; raise ``DamagedLakeError`` when one cannot be rebuilt. Returns the paths
    of the files rebuilt (empty when the lake was intact)."""
    report = check_lake(lake, region_code, full=full)
    if not report.problems:
        return []
    repair(exports, lake, region_code, report.problems)
    again = check_lake(lake, region_code, full=full)
    if again.problems:
        raise DamagedLakeError(
            "lake file(s) still damaged after their rebuild:\n  "
            + "\n  ".join(p.describe() for p in again.problems)
        )
    return [p.path for p in report.problems]
