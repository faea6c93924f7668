"""Ingest a region's export files into the lake: read, validate, quarantine, write, log.

Files are processed entity by entity in reference order (schools before classes before enrollments...),
so that foreign keys are checked against the rows already accepted in the lake.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ingestion.contracts import CONTRACTS, load_order
from ingestion.errors import UnreadableFileError
from ingestion.lake import read_partition, with_lineage, write_accepted, write_quarantine
from ingestion.load_log import LoadRecord, already_loaded, write_record
from ingestion.reader import ExportFile, batch_id_of, locate, read_batch

log = logging.getLogger(__name__)


def discover(exports_root: Path, region_code: str | None = None) -> list[ExportFile]:
    """Every entity export under ``exports_root``, optionally for one region, in load order."""
    order = {name: i for i, name in enumerate(load_order())}
    found = []
    pattern = f"*/{region_code}/*.csv" if region_code else "*/*/*.csv"
    for path in sorted(exports_root.glob(pattern)):
        export = locate(path, exports_root)
        if export is not None:
            found.append(export)
    return sorted(
        found, key=lambda e: (e.school_year, e.region_code, order.get(e.entity, 99), e.relative_path)
    )


def regions_in(exports_root: Path) -> list[str]:
    """Region codes that have at least one export file."""
    return sorted({e.region_code for e in discover(exports_root)})


def _references(lake: Path, export: ExportFile) -> dict[str, pl.DataFrame]:
    refs: dict[str, pl.DataFrame] = {}
    for fk in CONTRACTS[export.entity].foreign_keys:
        frame = read_partition(lake, fk.entity, export.school_year, export.region_code)
        refs[fk.entity] = (
            frame
            if frame is not None
            else pl.DataFrame(schema={c: CONTRACTS[fk.entity].column(c).polars_type for c in fk.ref_columns})
        )
    return refs


def ingest_file(export: ExportFile, lake: Path, quarantine: Path, load_log: Path) -> LoadRecord:
    """Ingest one file. Idempotent: a file whose content was already loaded is skipped."""
    now = datetime.now(UTC).replace(tzinfo=None)
    contract = CONTRACTS.get(export.entity)

    def record(
        batch_id: str, rows_in: int, accepted: int, quarantined: int, status: str, msg: str
    ) -> LoadRecord:
        return LoadRecord(
            batch_id=batch_id,
            entity=export.entity,
            source_file=export.relative_path,
            school_year=export.school_year,
            region_code=export.region_code,
            rows_in=rows_in,
            rows_accepted=accepted,
            rows_quarantined=quarantined,
            status=status,
            message=msg,
            loaded_at=now,
        )

    content_id = batch_id_of(export.path.read_bytes())
    if already_loaded(load_log, export.region_code, content_id):
        return record(content_id, 0, 0, 0, "skipped", "already loaded (same content)")
    if contract is None:
        rec = record(content_id, 0, 0, 0, "rejected", f"unknown entity {export.entity!r}")
        write_record(load_log, rec)
        return rec
    try:
        batch = read_batch(export, contract)
    except UnreadableFileError as exc:
        log.error("rejected %s: %s", export.relative_path, exc.message)
        rec = record(content_id, 0, 0, 0, "rejected", f"{exc.reason}: {exc.message}")
        write_record(load_log, rec)
        return rec

    from ingestion.validate import validate

    result = validate(
        batch.frame,
        contract,
        references=_references(lake, export),
        expected_partition={"school_year": export.school_year, "region_code": export.region_code},
    )
    accepted = with_lineage(result.accepted, batch.batch_id, export.relative_path, now)
    quarantined = with_lineage(result.quarantined, batch.batch_id, export.relative_path, now)
    write_accepted(lake, export.entity, accepted, export.school_year, export.region_code, batch.batch_id)
    write_quarantine(
        quarantine, export.entity, quarantined, export.school_year, export.region_code, batch.batch_id
    )
    message = f"encoding {batch.encoding}"
    if batch.unknown_columns:
        message += f"; ignored unknown column(s) {', '.join(batch.unknown_columns)}"
    rec = record(
        batch.batch_id,
        batch.frame.height,
        result.rows_accepted,
        result.rows_quarantined,
        "loaded",
        message,
    )
    write_record(load_log, rec)
    return rec


def ingest_region(exports_root: Path, lake: Path, region_code: str) -> list[LoadRecord]:
    """Ingest every export file of one region (all school years). Safe to run per region in parallel:
    each region writes only its own partitions."""
    quarantine = lake / "_quarantine"
    load_log = lake / "_load_log"
    return [ingest_file(e, lake, quarantine, load_log) for e in discover(exports_root, region_code)]
