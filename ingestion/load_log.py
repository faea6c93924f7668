"""The load log: one record per file of a drop folder, whose counts must reconcile:
``rows_in = rows_accepted + rows_quarantined + rows_rejected`` (the data lines of a rejected file are
received and rejected with it); blank lines are skipped and counted apart (``blank_lines``).

A loaded batch's record also describes the two lake files that hold its rows, so that the lake can be
checked against it (``ingestion.integrity``): ``data_file`` (accepted rows, or the deletions of a
deletions file) and ``quarantine_file``, each with its size in bytes and SHA-256, paths relative to the
lake. Compaction merges the data files of several batches into one: it rewrites their records to name the
merged file and its checksum, so a data file holds the ``rows_accepted`` of every record naming it.
Records written before these columns existed have them null (nothing to check but that the files exist)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

import polars as pl

from ingestion.errors import ReconciliationError
from ingestion.lake import LakeFile, write_atomic

LOAD_LOG_SCHEMA: dict[str, pl.DataType] = {
    "batch_id": pl.String(),
    "entity": pl.String(),
    "source_file": pl.String(),
    "school_year": pl.String(),
    "rows_in": pl.Int64(),
    "rows_accepted": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "rows_rejected": pl.Int64(),
    "blank_lines": pl.Int64(),
    "status": pl.String(),
    "message": pl.String(),
    "loaded_at": pl.Datetime("us"),
    "data_file": pl.String(),
    "data_bytes": pl.Int64(),
    "data_sha256": pl.String(),
    "quarantine_file": pl.String(),
    "quarantine_bytes": pl.Int64(),
    "quarantine_sha256": pl.String(),
}
FILE_COLUMNS = ("data_file", "data_bytes", "data_sha256", "quarantine_file", "quarantine_bytes",
                "quarantine_sha256")  # fmt: skip


@dataclass(frozen=True)
class LoadRecord:
    """What happened to one file. ``status``: loaded, rejected (unreadable, or not an export name: then
    ``rows_rejected`` holds its data lines) or skipped (already loaded)."""

    batch_id: str
    entity: str
    source_file: str
    school_year: str
    region_code: str
    rows_in: int
    rows_accepted: int
    rows_quarantined: int
    status: str
    message: str
    loaded_at: datetime
    rows_rejected: int = 0
    blank_lines: int = 0
    data_file: str | None = None
    data_bytes: int | None = None
    data_sha256: str | None = None
    quarantine_file: str | None = None
    quarantine_bytes: int | None = None
    quarantine_sha256: str | None = None

    def with_files(self, files: list[LakeFile]) -> LoadRecord:
        """This record with the description of its batch's files (data file first, then quarantine)."""
        data, quarantine = files
        return replace(
            self,
            data_file=data.path,
            data_bytes=data.size,
            data_sha256=data.sha256,
            quarantine_file=quarantine.path,
            quarantine_bytes=quarantine.size,
            quarantine_sha256=quarantine.sha256,
        )

    def check(self) -> None:
        if self.rows_in != self.rows_accepted + self.rows_quarantined + self.rows_rejected:
            raise ReconciliationError(
                f"{self.source_file}: {self.rows_in} rows in but {self.rows_accepted} accepted "
                f"+ {self.rows_quarantined} quarantined + {self.rows_rejected} rejected"
            )


def log_path(load_log_root: Path, region_code: str, batch_id: str) -> Path:
    return load_log_root / f"region_code={region_code}" / f"{batch_id}.parquet"


def already_loaded(load_log_root: Path, region_code: str, batch_id: str) -> bool:
    return log_path(load_log_root, region_code, batch_id).exists()


def committed_batches(load_log_root: Path, region_code: str) -> set[str]:
    """Batch ids of the region that have a load-log record (committed or rejected)."""
    return {p.stem for p in (load_log_root / f"region_code={region_code}").glob("*.parquet")}


def write_record(load_log_root: Path, record: LoadRecord) -> None:
    """Reconcile, then persist. The load-log file is written last: it marks the batch as committed."""
    record.check()
    row = asdict(record)
    region = row.pop("region_code")
    frame = pl.DataFrame([{k: row[k] for k in LOAD_LOG_SCHEMA}], schema=LOAD_LOG_SCHEMA)
    write_atomic(frame, log_path(load_log_root, region, record.batch_id))


def read_log(load_log_root: Path, region_code: str | None = None) -> pl.DataFrame:
    """Every record of the load log (of one region with ``region_code``), with its ``region_code``."""
    files = sorted(load_log_root.glob(f"region_code={region_code or '*'}/*.parquet"))
    if not files:
        return pl.DataFrame(schema={**LOAD_LOG_SCHEMA, "region_code": pl.String()})
    frame = pl.read_parquet(
        files,
        hive_partitioning=True,
        hive_schema={"region_code": pl.String()},
        schema=LOAD_LOG_SCHEMA,
        missing_columns="insert",
    )
    # Records written before the rejected and blank counts existed: none of either.
    return frame.with_columns(pl.col("rows_rejected", "blank_lines").fill_null(0))


def rewrite_data_file(load_log_root: Path, region_code: str, moved: dict[str, LakeFile]) -> int:
    """Point the records whose ``data_file`` is a key of ``moved`` (or, for records without one, whose
    batch's own data file is) to the new file's path, size and checksum; each record is rewritten
    atomically, and rewriting is idempotent. Returns the number of records rewritten."""
    frame = read_log(load_log_root, region_code)
    if frame.height == 0:
        return 0
    rewritten = 0
    for row in frame.iter_rows(named=True):
        old = row["data_file"]
        if old is None:
            old = next((k for k in moved if Path(k).stem == row["batch_id"]), None)
        if row["status"] != "loaded" or old not in moved:
            continue
        new = moved[old]
        if (row["data_file"], row["data_bytes"], row["data_sha256"]) == (new.path, new.size, new.sha256):
            continue
        row.update(data_file=new.path, data_bytes=new.size, data_sha256=new.sha256)
        region = row.pop("region_code")
        record = pl.DataFrame([{k: row[k] for k in LOAD_LOG_SCHEMA}], schema=LOAD_LOG_SCHEMA)
        write_atomic(record, log_path(load_log_root, region, row["batch_id"]))
        rewritten += 1
    return rewritten
