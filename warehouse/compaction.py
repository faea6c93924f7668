"""Compaction of small Parquet files in the lake (maintenance).

Ingestion writes one file per batch, ``<entity>/school_year=Y/region_code=R/<batch_id>.parquet``, and marks
the batch committed by writing its load-log record last (``ingestion/lake.py``). A partition accumulates one
small file per daily drop; compaction merges a partition's small **committed** files into one file named
after one of them (the *keeper*: the last batch id in name order), so every file name in the lake is still
the id of a committed batch (``ingestion.lake.uncommitted_files`` stays empty).

Rules that keep the lake readable and the operation idempotent:

- Only partitions without a pending batch are touched: no file whose batch has no load-log record, and no
  ingestion intent (``_pending/``) naming a file of the partition. A pending batch may be rolled back or
  rewritten by name by its ingestion; compaction leaves it alone.
- Rows keep their lineage columns (``_batch_id``, ``_source_file``, ``_line_number``, ``_loaded_at``,
  ``_drop_date``): the rows are unchanged, only the file layout changes.
- Crash safety through a journal: the merged rows are written to a temporary file; a journal
  ``_compaction.json`` names it, the keeper and the other sources; the temporary file is renamed over the
  keeper (atomic); the other sources are removed; the load-log records of the merged batches are rewritten
  to name the keeper with its new size and SHA-256 (``ingestion.load_log.rewrite_data_file``, so that
  ``massar verify`` and ingest's integrity check know the merged file); the journal is removed.
  ``recover`` (run first on every partition) finishes an interrupted compaction (temporary file gone: the
  rename happened) or undoes it (temporary file still there), so running compaction again always
  converges.
- Lake readers glob ``*.parquet``: between the rename and the removal of the other sources a reader of that
  partition would see their rows twice, so compaction runs in the DuckDB writer pool (no dbt build or gate
  reads the lake meanwhile).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestion.lake import LakeFile, describe, file_sha256
from ingestion.load_log import rewrite_data_file

JOURNAL = "_compaction.json"
SMALL_BYTES = 16 * 1024 * 1024
PENDING = "_pending"
SKIP_DIRS = ("_",)  # _quarantine, _load_log, _deletions: owned by ingestion, left as written


@dataclass(frozen=True)
class CompactionReport:
    partitions: int
    files_before: int
    files_after: int
    rows: int


def _committed_batches(load_log: Path, region_code: str) -> set[str]:
    folder = load_log / f"region_code={region_code}"
    return {p.stem for p in folder.glob("*.parquet")} if folder.exists() else set()


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def recover(partition: Path) -> None:
    """Finish or undo an interrupted compaction of ``partition`` (see the module docstring)."""
    journal = partition / JOURNAL
    if journal.exists():
        plan = json.loads(journal.read_text(encoding="utf-8"))
        tmp = partition / plan["tmp"]
        if tmp.exists():  # the merged file never replaced the keeper: nothing changed, drop the attempt
            tmp.unlink()
        else:  # the keeper holds every row: remove the other sources, record the keeper
            for name in plan["sources"]:
                (partition / name).unlink(missing_ok=True)
            _record_keeper(partition, plan)
        journal.unlink()
    for stale in partition.glob(".compact-*.tmp*"):
        stale.unlink(missing_ok=True)


def _record_keeper(partition: Path, plan: dict) -> None:
    """Point the load-log records of every merged file's batches to the keeper (idempotent)."""
    lake = partition.parents[2]
    path = partition / plan["keeper"]
    if "sha256" in plan:
        keeper = LakeFile(str(path.relative_to(lake)), plan["bytes"], plan["sha256"])
    else:  # a journal written before compaction recorded checksums
        keeper = describe(path, lake)
    merged = [str((partition / name).relative_to(lake)) for name in [*plan["sources"], plan["keeper"]]]
    rewrite_data_file(lake / "_load_log", partition.name.split("=", 1)[1], dict.fromkeys(merged, keeper))


def _pending_files(lake: Path) -> set[Path]:
    """Files named by ingestion intents (batches being written or interrupted)."""
    files: set[Path] = set()
    for intent in (lake / PENDING).glob("*/*.json"):
        try:
            spec = json.loads(intent.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        files.update(lake / rel for rel in spec.get("files", []))
    return files


def partitions(lake: Path) -> list[Path]:
    return sorted(
        p
        for p in lake.glob("*/school_year=*/region_code=*")
        if p.is_dir() and not p.parts[-3].startswith(SKIP_DIRS)
    )


def compact_partition(
    partition: Path, load_log: Path, pending: set[Path], small_bytes: int = SMALL_BYTES
) -> tuple[int, int, int]:
    """Merge the small committed files of one partition. Returns (files before, files after, rows)."""
    recover(partition)
    files = sorted(partition.glob("*.parquet"))
    committed = _committed_batches(load_log, partition.name.split("=", 1)[1])
    if any(f.stem not in committed or f in pending for f in files):
        return len(files), len(files), 0  # a batch is pending: leave the partition to its ingestion
    small = [f for f in files if f.stat().st_size < small_bytes]
    if len(small) < 2:
        return len(files), len(files), 0
    keeper = small[-1]
    frame = pl.concat([pl.read_parquet(f) for f in small], how="diagonal_relaxed")
    tmp = partition / f".compact-{keeper.name}.tmp-{os.getpid()}"
    frame.write_parquet(tmp, compression="zstd", statistics=True)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    plan = {
        "tmp": tmp.name,
        "keeper": keeper.name,
        "sources": [f.name for f in small[:-1]],
        "bytes": tmp.stat().st_size,
        "sha256": file_sha256(tmp),
    }
    _atomic_text(partition / JOURNAL, json.dumps(plan))
    os.replace(tmp, keeper)
    recover(partition)  # removes the other sources, records the keeper, then removes the journal
    return len(files), len(files) - len(small) + 1, frame.height


def compact_lake(lake: Path, small_bytes: int = SMALL_BYTES) -> CompactionReport:
    """Compact every accepted-rows partition of the lake (idempotent)."""
    load_log = lake / "_load_log"
    pending = _pending_files(lake)
    done = before = after = rows = 0
    for partition in partitions(lake):
        b, a, r = compact_partition(partition, load_log, pending, small_bytes)
        before += b
        after += a
        rows += r
        done += b != a
    return CompactionReport(partitions=done, files_before=before, files_after=after, rows=rows)
