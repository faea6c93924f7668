"""The load log: one record per file of a drop folder, whose counts must reconcile:
``rows_in = rows_accepted + rows_quarantined + rows_rejected`` (the data lines of a rejected file are
received and rejected with it); blank lines are skipped and counted apart (``blank_lines``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from ingestion.errors import ReconciliationError
from ingestion.lake import write_atomic

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
}


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


def read_log(load_log_root: Path) -> pl.DataFrame:
    files = sorted(load_log_root.glob("region_code=*/*.parquet"))
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
