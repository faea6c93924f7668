"""Writing to the Parquet lake. Every file is written to a temporary name and renamed into place, so a
reader never sees half a file."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import polars as pl

PARTITION_KEYS = ("school_year", "region_code")


def partition_dir(root: Path, entity: str, school_year: str, region_code: str) -> Path:
    return root / entity / f"school_year={school_year}" / f"region_code={region_code}"


def write_atomic(frame: pl.DataFrame, target: Path) -> None:
    """Write a Parquet file under a temporary name, fsync it, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    frame.write_parquet(tmp, compression="zstd", statistics=True)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)


def with_lineage(frame: pl.DataFrame, batch_id: str, source_file: str, loaded_at: datetime) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(batch_id).alias("_batch_id"),
        pl.lit(source_file).alias("_source_file"),
        pl.lit(loaded_at).cast(pl.Datetime("us")).alias("_loaded_at"),
    )


def write_accepted(
    lake: Path, entity: str, frame: pl.DataFrame, school_year: str, region_code: str, batch_id: str
) -> Path:
    """Accepted rows of one batch: one file in the batch's partition (written even when empty, so that
    every entity always has a readable partition). Partition columns live in the path only."""
    target = partition_dir(lake, entity, school_year, region_code) / f"{batch_id}.parquet"
    write_atomic(frame.drop([k for k in PARTITION_KEYS if k in frame.columns]), target)
    return target


def write_quarantine(
    quarantine_root: Path, entity: str, frame: pl.DataFrame, school_year: str, region_code: str, batch_id: str
) -> Path:
    target = partition_dir(quarantine_root, entity, school_year, region_code) / f"{batch_id}.parquet"
    write_atomic(frame, target)
    return target


def read_partition(lake: Path, entity: str, school_year: str, region_code: str) -> pl.DataFrame | None:
    """All accepted rows of one partition, with the partition columns restored; None if there are none."""
    folder = partition_dir(lake, entity, school_year, region_code)
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    if not files:
        return None
    return pl.read_parquet(files).with_columns(
        pl.lit(school_year).alias("school_year"), pl.lit(region_code).alias("region_code")
    )
