"""Writing to the Parquet lake, atomically per batch.

A batch (one export file) writes up to three data files (accepted rows, quarantined rows, deletions) and
then its load-log record, which marks it committed. Readers (dbt sources) glob ``*.parquet`` in the
partition folders, so a batch is committed in four steps:

1. an intent (``_pending/region_code=<R>/<batch_id>.json``) lists the files the batch will put in place;
2. every file is written and fsynced under a hidden temporary name (``.<name>.tmp-<pid>``, which no
   ``*.parquet`` glob matches);
3. the temporary files are renamed into place (each rename is atomic);
4. the load-log record is written (same way), then the intent is removed.

A process killed at any point leaves an intent behind; ``recover`` (run before every load of the region)
removes the files of every intent whose batch has no load-log record, and the rerun loads that batch
again, to the same file names. Between step 3 and step 4 the renamed files are visible without their
load-log record; that window is a few renames long, and ``uncommitted_files`` lists such files.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

PARTITION_KEYS = ("school_year", "region_code")
PENDING = "_pending"
QUARANTINE = "_quarantine"
DELETIONS = "_deletions"
LOAD_LOG = "_load_log"


def partition_dir(root: Path, entity: str, school_year: str, region_code: str) -> Path:
    return root / entity / f"school_year={school_year}" / f"region_code={region_code}"


def _tmp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_tmp(frame: pl.DataFrame, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(target)
    frame.write_parquet(tmp, compression="zstd", statistics=True)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    return tmp


#: Bytes read at a time when hashing a lake file.
CHUNK = 1 << 20


@dataclass(frozen=True)
class LakeFile:
    """A committed lake file as the load log records it: path relative to the lake, size, SHA-256."""

    path: str
    size: int
    sha256: str


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex). About 1.2 GB/s here; right after writing, the bytes are read back
    from the page cache."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def describe(path: Path, lake: Path) -> LakeFile:
    return LakeFile(str(path.relative_to(lake)), path.stat().st_size, file_sha256(path))


def write_atomic(frame: pl.DataFrame, target: Path) -> None:
    """Write a Parquet file under a temporary name, fsync it, then rename it into place."""
    tmp = _write_tmp(frame, target)
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def with_lineage(frame: pl.DataFrame, batch_id: str, source_file: str, loaded_at: datetime) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(batch_id).alias("_batch_id"),
        pl.lit(source_file).alias("_source_file"),
        pl.lit(loaded_at).cast(pl.Datetime("us")).alias("_loaded_at"),
    )


def accepted_path(lake: Path, entity: str, school_year: str, region_code: str, batch_id: str) -> Path:
    return partition_dir(lake, entity, school_year, region_code) / f"{batch_id}.parquet"


def quarantine_path(lake: Path, entity: str, school_year: str, region_code: str, batch_id: str) -> Path:
    return partition_dir(lake / QUARANTINE, entity, school_year, region_code) / f"{batch_id}.parquet"


def deletions_path(lake: Path, entity: str, school_year: str, region_code: str, batch_id: str) -> Path:
    return partition_dir(lake / DELETIONS, entity, school_year, region_code) / f"{batch_id}.parquet"


def lake_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Partition columns live in the path only."""
    return frame.drop([k for k in PARTITION_KEYS if k in frame.columns])


def _intent_path(lake: Path, region_code: str, batch_id: str) -> Path:
    return lake / PENDING / f"region_code={region_code}" / f"{batch_id}.json"


@dataclass
class StagedBatch:
    """The files of one batch, staged and committed together (see the module docstring)."""

    lake: Path
    region_code: str
    batch_id: str
    files: list[tuple[pl.DataFrame, Path]]

    def commit(self, write_log: Callable[[list[LakeFile]], None]) -> None:
        """Put the batch's files in place, then call ``write_log`` with their description (path, size,
        checksum, in the order of ``files``) to write the load-log record that commits the batch."""
        intent = _intent_path(self.lake, self.region_code, self.batch_id)
        intent.parent.mkdir(parents=True, exist_ok=True)
        tmp_intent = _tmp_name(intent)
        targets = [str(t.relative_to(self.lake)) for _, t in self.files]
        tmp_intent.write_text(json.dumps({"batch_id": self.batch_id, "files": targets}))
        os.replace(tmp_intent, intent)
        staged = [(_write_tmp(frame, target), target) for frame, target in self.files]
        written = [
            LakeFile(str(target.relative_to(self.lake)), tmp.stat().st_size, file_sha256(tmp))
            for tmp, target in staged
        ]
        for tmp, target in staged:
            os.replace(tmp, target)
        for folder in {t.parent for _, t in staged}:
            _fsync_dir(folder)
        write_log(written)
        intent.unlink()


def recover(lake: Path, region_code: str, committed: Iterable[str] | None = None) -> list[str]:
    """Undo the batches of ``region_code`` interrupted before their load-log record: remove their files.

    ``committed``: batch ids with a load-log record (default: read from ``_load_log``). Returns the ids of
    the batches rolled back.
    """
    folder = lake / PENDING / f"region_code={region_code}"
    if not folder.exists():
        return []
    for junk in folder.glob(".*.tmp-*"):
        junk.unlink(missing_ok=True)
    log_dir = lake / LOAD_LOG / f"region_code={region_code}"
    done = set(committed) if committed is not None else {p.stem for p in log_dir.glob("*.parquet")}
    rolled_back = []
    for intent in sorted(folder.glob("*.json")):
        spec = json.loads(intent.read_text())
        if spec["batch_id"] not in done:
            log_record = log_dir / f"{spec['batch_id']}.parquet"
            for rel in [*spec["files"], str(log_record.relative_to(lake))]:
                target = lake / rel
                target.unlink(missing_ok=True)
                for tmp in target.parent.glob(f".{target.name}.tmp-*"):
                    tmp.unlink(missing_ok=True)
            rolled_back.append(spec["batch_id"])
        intent.unlink()
    return rolled_back


def uncommitted_files(lake: Path) -> list[Path]:
    """Data files visible to readers whose batch has no load-log record (empty after ``recover``)."""
    committed = {p.stem for p in (lake / LOAD_LOG).glob("*/*.parquet")}
    visible = [
        *lake.glob("[!_]*/*/*/*.parquet"),
        *(lake / QUARANTINE).glob("*/*/*/*.parquet"),
        *(lake / DELETIONS).glob("*/*/*/*.parquet"),
    ]
    return sorted(p for p in visible if p.stem not in committed)


def read_partition(
    lake: Path, entity: str, school_year: str, region_code: str, columns: list[str] | None = None
) -> pl.DataFrame | None:
    """All accepted rows of one partition, with the partition columns restored; None if there are none."""
    folder = partition_dir(lake, entity, school_year, region_code)
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    if not files:
        return None
    frame = pl.scan_parquet(files, missing_columns="insert", extra_columns="ignore")
    if columns is not None:
        frame = frame.select([c for c in columns if c not in PARTITION_KEYS])
    return frame.collect().with_columns(
        pl.lit(school_year).alias("school_year"), pl.lit(region_code).alias("region_code")
    )
