"""Ingest a region's export files into the lake: read, validate, quarantine, write, log.

Files are processed per school year, entity by entity in reference order (schools before classes before
enrollments...), and within an entity by drop date (bulk export first, then the daily drops in date
order, a day's deletions after its rows): foreign keys and enrollment periods are checked against the
current state of the lake at that point. Each file is one batch, identified by its content and committed
atomically (see ``ingestion.lake``); a file whose content was loaded already is skipped.

The lake state a file is checked against is read once per run and per partition (``LakeCache``), and
only the partitions a file touches are read or written: a daily drop costs in proportion to the drop and
to the referenced partitions, never to the history of its own entity.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from ingestion import lake as lk
from ingestion.calendar import first_days
from ingestion.contracts import CONTRACTS, Contract, load_order
from ingestion.errors import UnreadableFileError
from ingestion.load_log import LoadRecord, already_loaded, committed_batches, write_record
from ingestion.reader import (
    EXPECTED_NAMES,
    ExportFile,
    RawBatch,
    batch_id_of,
    count_data_lines,
    deletion_contract,
    export_file,
    locate,
    read_batch,
)
from ingestion.state import current_state
from ingestion.validate import validate

log = logging.getLogger(__name__)


def discover(exports_root: Path, region_code: str | None = None) -> list[ExportFile]:
    """Every file of the drop folders ``exports_root/<school_year>/<region_code>/`` (optionally of one
    region), in load order: the exports, and the files whose name is not an export name (with their
    ``name_problem``, last), which the loader rejects by name. Nothing in a drop folder is skipped."""
    found = []
    for folder in sorted(exports_root.glob(f"*/{region_code}" if region_code else "*/*")):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                export = locate(path, exports_root)
                if export is not None:
                    found.append(export)

    return sorted(found, key=load_key)


@functools.cache
def _entity_rank() -> dict[str, int]:
    return {name: i for i, name in enumerate(load_order())}


def load_key(e: ExportFile) -> tuple:
    """Files in load order: school year, region, entity in reference order, drop date, rows before
    deletions; files not named as exports last."""
    order = _entity_rank()
    known = e.name_problem is None and e.entity in CONTRACTS and e.school_year in _years()
    drop = e.drop_date.isoformat() if known else ""
    rank = order.get(e.entity, 99) if e.name_problem is None else 100
    return (e.school_year, e.region_code, rank, drop, e.deleted, e.relative_path)


def _years() -> set[str]:
    return set(first_days())


def regions_in(exports_root: Path) -> list[str]:
    """Region codes that have at least one export file."""
    return sorted({e.region_code for e in discover(exports_root)})


def _empty(contract: Contract) -> pl.DataFrame:
    return pl.DataFrame(schema=contract.polars_schema)


class LakeCache:
    """The accepted versions and deletions of the partitions read during one run, kept up to date as
    batches are committed; the current state is derived from them on demand.

    A file is checked against every version loaded so far, but only against the deletions dropped on or
    before its own drop date: a deletion does not reach back to rows dropped before it."""

    def __init__(self, lake: Path, before_read: Callable[[], None] | None = None) -> None:
        """``before_read``: called before a partition is read from the lake (to let pending commits
        land: see ``Committer``)."""
        self.lake = lake
        self._before_read = before_read
        self._versions: dict[tuple[str, str, str], pl.DataFrame] = {}
        self._deletions: dict[tuple[str, str, str], pl.DataFrame | None] = {}
        self._current: dict[tuple[str, str, str, object], pl.DataFrame] = {}

    def _load(self, key: tuple[str, str, str]) -> None:
        if key not in self._versions:
            if self._before_read is not None:
                self._before_read()
            entity, year, region = key
            frame = lk.read_partition(self.lake, entity, year, region)
            self._versions[key] = frame if frame is not None else _empty(CONTRACTS[entity])
            self._deletions[key] = lk.read_partition(self.lake / lk.DELETIONS, entity, year, region)

    def current(self, entity: str, year: str, region: str, as_of: date | None = None) -> pl.DataFrame:
        key = (entity, year, region)
        self._load(key)
        deletions = self._deletions[key]
        if deletions is not None and as_of is not None:
            deletions = deletions.filter(pl.col("_drop_date") <= as_of)
        cutoff = None if deletions is None or deletions.height == 0 else deletions["_drop_date"].max()
        if (*key, cutoff) not in self._current:
            self._current[(*key, cutoff)] = current_state(
                self._versions[key], list(CONTRACTS[entity].primary_key), deletions
            )
        return self._current[(*key, cutoff)]

    def committed(self, entity: str, year: str, region: str, rows: pl.DataFrame, deleted: bool) -> None:
        """A batch of ``entity`` was committed: fold its rows in, when the partition is cached."""
        key = (entity, year, region)
        if key not in self._versions:
            return
        rows = rows.with_columns(pl.lit(year).alias("school_year"), pl.lit(region).alias("region_code"))
        if deleted:
            old = self._deletions[key]
            self._deletions[key] = rows if old is None else pl.concat([old, rows], how="diagonal_relaxed")
        else:
            self._versions[key] = pl.concat([self._versions[key], rows], how="diagonal_relaxed")
        for cached in [k for k in self._current if k[:3] == key]:
            del self._current[cached]


class Committer:
    """Runs the commits of one run's batches in a background thread, one at a time and in submission
    order, while the main thread reads and validates the next file.

    Writing a batch's Parquet files, fsyncing them and renaming them into place is about a fifth of a
    load, mostly waiting on the disk; overlapping it with the next file's parsing and checks costs
    nothing in guarantees: a commit starts only once the previous one has finished (its load-log record
    written), so the committed batches are always a prefix of the run's files, as when each file is
    committed before the next is read. The next file is still validated against a lake state that
    includes the batch being committed: ``LakeCache`` folds a staged batch into the partitions it holds,
    and waits for the pending commit before it reads a partition from the lake. ``wait`` returns when
    every submitted commit is done and re-raises a commit's error."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="massar-commit")
        self._pending: Future[None] | None = None
        self.pending_batch: str | None = None

    def submit(self, batch_id: str, commit: Callable[[], None]) -> None:
        self.wait()
        self._pending, self.pending_batch = self._pool.submit(commit), batch_id

    def wait(self) -> None:
        pending, self._pending, self.pending_batch = self._pending, None, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown()


def _references(cache: LakeCache, export: ExportFile, contract: Contract) -> dict[str, pl.DataFrame]:
    needed = {fk.entity for fk in contract.foreign_keys} | {c.entity for c in contract.state_checks}
    year, region, as_of = export.school_year, export.region_code, export.drop_date
    return {e: cache.current(e, year, region, as_of) for e in sorted(needed)}


def _message(batch: RawBatch) -> str:
    return "; ".join(batch.notes)


@dataclass(frozen=True)
class Outcome:
    """What loading a file would do: its load-log record, and (when it is read) the accepted and
    quarantined rows, with lineage, ready to be committed."""

    record: LoadRecord
    accepted: pl.DataFrame | None = None
    quarantined: pl.DataFrame | None = None
    ignored_columns: tuple[str, ...] = ()


def assess(
    export: ExportFile, content: bytes, batch_id: str, cache: LakeCache, now: datetime | None = None
) -> Outcome:
    """Read and check one file against the lake state in ``cache``, writing nothing: the outcome the
    loader commits, and what ``massar validate`` reports. A file that cannot be read, or whose name is
    not an export name, is rejected with its data lines counted as received and rejected."""
    now = now or datetime.now(UTC).replace(tzinfo=None)

    def record(status: str, msg: str, rows_in: int = 0, accepted: int = 0, quarantined: int = 0,
               rejected: int = 0, blank: int = 0) -> LoadRecord:  # fmt: skip
        return LoadRecord(
            batch_id=batch_id,
            entity=export.entity,
            source_file=export.relative_path,
            school_year=export.school_year,
            region_code=export.region_code,
            rows_in=rows_in,
            rows_accepted=accepted,
            rows_quarantined=quarantined,
            rows_rejected=rejected,
            blank_lines=blank,
            status=status,
            message=msg,
            loaded_at=now,
        )

    contract = CONTRACTS.get(export.entity)
    try:
        if export.name_problem is not None:
            raise UnreadableFileError(export.relative_path, "unrecognised_file_name", export.name_problem)
        if contract is None:
            raise UnreadableFileError(
                export.relative_path,
                "unknown_entity",
                f"no contract {export.entity!r}; {EXPECTED_NAMES}; entities: {', '.join(sorted(CONTRACTS))}",
            )
        drop_date = export.drop_date
        file_contract = deletion_contract(contract) if export.deleted else contract
        batch = read_batch(export, file_contract, raw=content, batch_id=batch_id)
    except (UnreadableFileError, KeyError) as exc:
        reason = exc.reason if isinstance(exc, UnreadableFileError) else "unknown_school_year"
        text = exc.message if isinstance(exc, UnreadableFileError) else f"unknown school year {exc}"
        lines = count_data_lines(content)
        return Outcome(record("rejected", f"{reason}: {text}", rows_in=lines, rejected=lines))

    result = validate(
        batch.frame,
        file_contract,
        references=_references(cache, export, file_contract),
        expected_partition={"school_year": export.school_year, "region_code": export.region_code},
        read_checks=batch.row_checks,
    )
    accepted = with_drop_date(result.accepted, drop_date)
    accepted = lk.with_lineage(accepted, batch_id, export.relative_path, now)
    quarantined = lk.with_lineage(result.quarantined, batch_id, export.relative_path, now)
    rec = record(
        "loaded",
        _message(batch),
        rows_in=batch.frame.height,
        accepted=result.rows_accepted,
        quarantined=result.rows_quarantined,
        blank=batch.blank_lines,
    )
    rec.check()
    return Outcome(rec, accepted, quarantined, batch.ignored_columns)


def ingest_file(
    export: ExportFile,
    lake: Path,
    *,
    load_log: Path | None = None,
    cache: LakeCache | None = None,
    committer: Committer | None = None,
) -> LoadRecord:
    """Ingest one file as one atomic batch. Idempotent: a file whose content was already loaded is skipped.

    ``cache``: the lake state shared by the files of one run (a fresh one reads the lake).
    ``committer``: commit in its background thread (see ``Committer``; the batch is committed once
    ``committer.wait()`` returns); without one, the batch is committed when this returns.
    """
    load_log = lake / lk.LOAD_LOG if load_log is None else load_log
    cache = cache or LakeCache(lake)

    def commit(action: Callable[[], None]) -> None:
        if committer is None:
            action()
        else:
            committer.submit(batch_id, action)

    now = datetime.now(UTC).replace(tzinfo=None)
    content = export.path.read_bytes()
    batch_id = batch_id_of(content, export)

    if committer is not None and committer.pending_batch == batch_id:
        committer.wait()  # the same content as the batch being committed: see its load-log record
    if already_loaded(load_log, export.region_code, batch_id):
        return LoadRecord(
            batch_id=batch_id,
            entity=export.entity,
            source_file=export.relative_path,
            school_year=export.school_year,
            region_code=export.region_code,
            rows_in=0,
            rows_accepted=0,
            rows_quarantined=0,
            status="skipped",
            message="already recorded (same content: loaded, or rejected, earlier)",
            loaded_at=now,
        )
    outcome = assess(export, content, batch_id, cache, now)
    rec = outcome.record
    if rec.status == "rejected":
        log.error("rejected %s: %s", export.relative_path, rec.message)
        commit(lambda: write_record(load_log, rec))
        return rec
    assert outcome.accepted is not None and outcome.quarantined is not None
    where = (export.entity, export.school_year, export.region_code, batch_id)
    target = lk.deletions_path(lake, *where) if export.deleted else lk.accepted_path(lake, *where)
    staged = lk.StagedBatch(
        lake,
        export.region_code,
        batch_id,
        [(lk.lake_frame(outcome.accepted), target), (outcome.quarantined, lk.quarantine_path(lake, *where))],
    )
    commit(lambda: staged.commit(lambda files: write_record(load_log, rec.with_files(files))))
    cache.committed(export.entity, export.school_year, export.region_code, outcome.accepted, export.deleted)
    return rec


def with_drop_date(frame: pl.DataFrame, drop_date: date) -> pl.DataFrame:
    return frame.with_columns(pl.lit(drop_date, dtype=pl.Date).alias("_drop_date"))


FINGERPRINTS = "_fingerprints"
FINGERPRINT_SCHEMA = {"source_file": pl.String, "size": pl.Int64, "mtime_ns": pl.Int64, "batch_id": pl.String}


def _fingerprint_path(lake: Path, region_code: str) -> Path:
    return lake / FINGERPRINTS / f"region_code={region_code}" / "files.parquet"


def _read_fingerprints(lake: Path, region_code: str) -> dict[str, tuple[int, int, str]]:
    """Size, mtime and batch id of the files already seen: an unchanged file is not read (nor hashed)
    again. A cache only: without it every file is hashed, with the same result."""
    path = _fingerprint_path(lake, region_code)
    if not path.exists():
        return {}
    frame = pl.read_parquet(path)
    return {r[0]: (r[1], r[2], r[3]) for r in frame.iter_rows()}


def ingest_region(exports_root: Path, lake: Path, region_code: str, verify: bool = False) -> list[LoadRecord]:
    """Ingest every export file of one region (all school years). Safe to run per region in parallel:
    each region writes only its own partitions. First undoes any batch of the region left half-done by
    an interrupted run, then checks the region's committed files against the load log and rebuilds the
    damaged ones from their exports (``ingestion.integrity.ensure_intact``; ``verify``: checksums too)."""
    from ingestion.integrity import ensure_intact  # here: ingestion.integrity imports this module

    load_log = lake / lk.LOAD_LOG
    committed = committed_batches(load_log, region_code)
    rolled_back = lk.recover(lake, region_code, committed)
    if rolled_back:
        log.warning("region %s: rolled back %d interrupted batch(es)", region_code, len(rolled_back))
    rebuilt = ensure_intact(exports_root, lake, region_code, full=verify)
    if rebuilt:
        log.warning(
            "region %s: rebuilt %d damaged lake file(s): %s", region_code, len(rebuilt), ", ".join(rebuilt)
        )
    # A run killed while rewriting the fingerprint cache leaves its temporary file behind.
    for junk in _fingerprint_path(lake, region_code).parent.glob(".*.tmp-*"):
        junk.unlink(missing_ok=True)
    committer = Committer()
    cache = LakeCache(lake, before_read=committer.wait)
    seen = _read_fingerprints(lake, region_code)
    records = []
    try:
        for export in discover(exports_root, region_code):
            stat = export.path.stat()
            known = seen.get(export.relative_path)
            if known and known[:2] == (stat.st_size, stat.st_mtime_ns) and known[2] in committed:
                records.append(_unchanged(export, known[2]))
                continue
            record = ingest_file(export, lake, load_log=load_log, cache=cache, committer=committer)
            records.append(record)
            committed.add(record.batch_id)
            seen[export.relative_path] = (stat.st_size, stat.st_mtime_ns, record.batch_id)
    finally:
        committer.close()
    frame = pl.DataFrame([(k, *v) for k, v in sorted(seen.items())], schema=FINGERPRINT_SCHEMA, orient="row")
    lk.write_atomic(frame, _fingerprint_path(lake, region_code))
    return records


def _unchanged(
    export: ExportFile, batch_id: str, message: str = "already recorded (file unchanged since)"
) -> LoadRecord:
    return LoadRecord(
        batch_id=batch_id,
        entity=export.entity,
        source_file=export.relative_path,
        school_year=export.school_year,
        region_code=export.region_code,
        rows_in=0,
        rows_accepted=0,
        rows_quarantined=0,
        status="skipped",
        message=message,
        loaded_at=datetime.now(UTC).replace(tzinfo=None),
    )


YEAR_FOLDER = re.compile(r"^[0-9]{4}-[0-9]{4}$")
REGION_FOLDER = re.compile(r"^[0-9]{2}$")


def dry_run(
    files: list[Path], lake: Path | None, school_year: str | None = None, region_code: str | None = None
) -> list[Outcome]:
    """What loading ``files`` (folders: every file in them) would do, writing nothing: each file read
    and checked, in load order, against the lake's current state (when ``lake`` exists) and the files
    before it, as ``ingest_region`` would. A file's school year and region come from its folders
    (``<school_year>/<region>/<file>``), else from ``school_year`` and ``region_code``."""
    exports: list[ExportFile] = []
    for given in files:
        paths = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
        for path in paths:
            year, region = path.parent.parent.name, path.parent.name
            if not (YEAR_FOLDER.match(year) and REGION_FOLDER.match(region)):
                year, region = school_year or "", region_code or ""
            rel = f"{year}/{region}/{path.name}" if year and region else str(path)
            export = export_file(path, rel, year, region)
            if not (year and region):
                problem = (
                    f"cannot tell the school year and region of `{path}`: put it in "
                    "<school_year>/<region>/ or pass --school-year and --region"
                )
                export = replace(export, name_problem=problem)
            exports.append(export)
    cache = LakeCache(lake if lake is not None else Path("/nonexistent-lake"))
    load_log = None if lake is None else lake / lk.LOAD_LOG
    outcomes = []
    seen: dict[str, str] = {}
    for export in sorted(exports, key=load_key):
        content = export.path.read_bytes()
        batch_id = batch_id_of(content, export)
        if load_log is not None and already_loaded(load_log, export.region_code, batch_id):
            outcomes.append(
                Outcome(
                    _unchanged(
                        export, batch_id, "already recorded (same content: loaded, or rejected, earlier)"
                    )
                )
            )
            continue
        if batch_id in seen:  # the loader skips a second file of the same content in a run too
            outcomes.append(Outcome(_unchanged(export, batch_id, f"same content as {seen[batch_id]}")))
            continue
        seen[batch_id] = export.relative_path
        outcome = assess(export, content, batch_id, cache)
        if outcome.record.status == "loaded" and outcome.accepted is not None:
            cache.current(export.entity, export.school_year, export.region_code)  # hold the partition
            cache.committed(
                export.entity, export.school_year, export.region_code, outcome.accepted, export.deleted
            )
        outcomes.append(outcome)
    return outcomes
