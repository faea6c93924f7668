"""Write-audit-publish for the DuckDB warehouse.

1. ``prepare_candidate`` starts ``candidate.duckdb`` from a copy of the current published version, so that
   dbt's incremental models continue from what readers see and a failed build never touches a published
   file. (When the candidate is, unchanged, the one the current version was published from, it is kept
   instead of copied again.)
2. dbt builds into the candidate; the quality gate validates it (``expectations.gate``).
3. ``publish`` copies the candidate (with its write-ahead log, untouched) to a temporary file, records the
   publication in ``audit.publication`` of that copy, checkpoints and checks it, renames it to a new
   immutable version, and only then switches the ``CURRENT`` pointer with an atomic rename. A reader
   resolves ``CURRENT`` and opens that version read-only: it sees the old version or the new one, never a
   mix. A crash (even ``kill -9``) at any point leaves ``CURRENT`` naming a complete, checked version.
4. The last ``keep`` versions are kept for ``rollback``; stale temporary files are removed by ``prune``.

A published version is one unit: the warehouse file ``published/<version>.duckdb`` and the public app's
serving stores ``serving/<version>/`` (``stores_dir``), written for that version and named by it. The
stores are put in place (``on_staged``) before the version file is renamed into place, and ``CURRENT``
switches once, last: every reader resolves ``CURRENT`` and opens that version's files. ``prune`` and
``rollback`` treat the three files together (the stores' folder is given by the caller).

The candidate's restricted file (the pupils' identity and the lookup's serving models, built by dbt
beside the candidate: ``massar.settings.restricted_companion``) is never copied into a version: the
version's lookup store is built from it while the version is staged, and its fingerprint is part of the
candidate's (``candidate_fingerprint``), so a restricted file changed after the check is refused too.

``CURRENT`` holds one version name (``v<timestamp>Z``) of an existing version; anything else (binary
bytes, an empty file, a path) is refused with ``CurrentPointerError``, never followed. Running out of
disk while publishing raises ``DiskFullError`` after removing the temporary copies.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from massar.settings import restricted_companion

POINTER = "CURRENT"
SUFFIX = ".duckdb"
PUBLICATION_TABLE = "audit.publication"
PUBLICATION_DDL = f"""
create table if not exists {PUBLICATION_TABLE} (
    version varchar not null,
    published_at timestamp not null,
    gate_verdict varchar not null,
    warnings_count integer not null,
    critical_count integer not null,
    gate_run_at varchar,
    data_docs varchar
)
"""


#: The quality gate's run history (``expectations.gate`` appends one JSON line per run to
#: ``$MASSAR_HOME/gx/gate_history.jsonl``), copied into every published version so the dashboards read it
#: from the warehouse: one row per gate run, and one per failed expectation of a run.
GATE_RUN_TABLE = "audit.gate_run"
GATE_FAILURE_TABLE = "audit.gate_failure"
GATE_RUN_DDL = f"""
create or replace table {GATE_RUN_TABLE} (
    run_at varchar not null,
    verdict varchar not null,
    publishable boolean not null,
    suites integer not null,
    suites_failed integer not null,
    warnings_count integer not null,
    critical_count integer not null,
    candidate varchar,
    data_docs varchar
)
"""
GATE_FAILURE_DDL = f"""
create or replace table {GATE_FAILURE_TABLE} (
    run_at varchar not null,
    suite varchar not null,
    expectation varchar not null,
    column_name varchar,
    severity varchar not null,
    description varchar,
    on_failure varchar,
    observed varchar
)
"""


#: A version name as ``new_version_name`` makes it (``v20261207T185526123456Z``).
VERSION_PATTERN = re.compile(r"v\d{8}T\d{6}\d{0,6}Z")


class PublishError(Exception):
    """The candidate cannot be published (missing, unreadable, or a version that does not exist)."""


class CurrentPointerError(PublishError):
    """``CURRENT`` is damaged (not a version name) or names a version that does not exist."""


class DiskFullError(PublishError):
    """Not enough disk space to publish (the temporary copies were removed)."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error is the file system's "no space left on device" (raised by Python or by DuckDB)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "No space left on device" in str(exc) or "Disk quota exceeded" in str(exc)


def disk_full_error(folder: Path, needed: int) -> DiskFullError:
    free = shutil.disk_usage(folder).free if folder.exists() else 0
    return DiskFullError(f"disk full (need {_size(needed)}, free {_size(free)} in {folder})")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def stores_dir(stores_root: Path, version: str) -> Path:
    """The folder of ``version``'s serving stores (``stores_root`` is ``$MASSAR_HOME/serving``)."""
    return stores_root / version


@dataclass(frozen=True)
class PublishedVersion:
    version: str
    path: Path


@dataclass(frozen=True)
class Verdict:
    """What the quality gate said about the candidate being published (recorded with the version)."""

    verdict: str = "unchecked"  # pass | warn | unchecked
    warnings: int = 0
    critical: int = 0
    gate_run_at: str | None = None
    data_docs: str | None = None


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_pointer(published_dir: Path, version: str) -> None:
    tmp = published_dir / f".{POINTER}.tmp-{os.getpid()}"
    tmp.write_text(version + "\n", encoding="utf-8")
    _fsync_file(tmp)
    os.replace(tmp, published_dir / POINTER)
    _fsync_dir(published_dir)


def versions(published_dir: Path) -> list[str]:
    """Published versions, oldest first."""
    if not published_dir.exists():
        return []
    names = (p.name.removesuffix(SUFFIX) for p in published_dir.glob(f"v*{SUFFIX}"))
    return sorted(n for n in names if VERSION_PATTERN.fullmatch(n))


def current(published_dir: Path) -> PublishedVersion | None:
    """The version readers should open, or None when nothing was published yet.

    Raises ``CurrentPointerError`` when ``CURRENT`` does not hold a version name (``v<timestamp>Z``,
    optionally with ``.duckdb``) or names a version whose file does not exist: a damaged pointer is never
    decoded loosely nor followed outside ``published_dir``."""
    pointer = published_dir / POINTER
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CurrentPointerError(f"{pointer} cannot be read: {exc.strerror or exc}") from exc
    try:
        name = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        name = None
    if name is not None:
        name = name.removesuffix(SUFFIX)
    if name is None or not VERSION_PATTERN.fullmatch(name):
        shown = raw[:40].decode("ascii", "backslashreplace")
        raise CurrentPointerError(
            f"{pointer} is damaged: it holds {shown!r}, not a version name (v<timestamp>Z); "
            "repair it with `massar rollback <version>` (see `massar versions`)"
        )
    path = published_dir / f"{name}{SUFFIX}"
    if not path.is_file():
        raise CurrentPointerError(
            f"{pointer} names {name}, which is not a published version; "
            "repair it with `massar rollback <version>` (see `massar versions`)"
        )
    return PublishedVersion(name, path)


def connect_current(published_dir: Path, attempts: int = 3) -> duckdb.DuckDBPyConnection:
    """Open the current published version read-only.

    Retries when the version named by ``CURRENT`` disappeared between reading the pointer and opening the
    file (a reader slower than ``keep`` publications), by re-reading the pointer."""
    for attempt in range(attempts):
        live = current(published_dir)
        if live is None:
            raise PublishError(f"nothing published under {published_dir}")
        try:
            return duckdb.connect(str(live.path), read_only=True)
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def new_version_name(published_dir: Path) -> str:
    """A name for the next version (``v`` + UTC timestamp), not used yet in ``published_dir``."""
    while True:
        name = "v" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        if not (published_dir / f"{name}{SUFFIX}").exists():
            return name


def _wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def _published_marker(candidate_db: Path) -> Path:
    return candidate_db.with_name(candidate_db.name + ".published")


def _candidate_is(candidate_db: Path, version: str) -> bool:
    """Whether the candidate holds, unchanged, ``version``'s content: ``publish`` (and ``prepare_candidate``
    after a copy) leaves a marker with the version and the candidate's fingerprint, and any later write to
    the candidate (a build, even a failed one) changes the fingerprint."""
    marker = _published_marker(candidate_db)
    if not marker.exists() or not candidate_db.exists():
        return False
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded == {"version": version, "candidate": candidate_fingerprint(candidate_db)}


def prepare_candidate(candidate_db: Path, published_dir: Path) -> str | None:
    """Start the candidate from the current published version (or from nothing when none exists).

    Whatever a previous, failed build left in the candidate is discarded. When the candidate holds,
    unchanged, the current version (it is the one that version was published from, or an earlier copy of
    it), it is kept as it is instead of copied again (the copy is the whole warehouse: 14 s at 1 M pupils);
    it then differs from the published file at most by the publication and gate-history tables that
    ``publish`` writes into each version. Returns the version the candidate starts from."""
    candidate_db.parent.mkdir(parents=True, exist_ok=True)
    live = current(published_dir)
    if live is not None and live.path.exists() and _candidate_is(candidate_db, live.version):
        return live.version
    for stale in (candidate_db, _wal(candidate_db), _published_marker(candidate_db)):
        stale.unlink(missing_ok=True)
    if live is None or not live.path.exists():
        return None
    tmp = candidate_db.with_name(f".{candidate_db.name}.tmp-{os.getpid()}")
    try:
        shutil.copyfile(live.path, tmp)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise disk_full_error(candidate_db.parent, live.path.stat().st_size) from exc
        raise
    os.replace(tmp, candidate_db)
    _write_marker(candidate_db, live.version, candidate_fingerprint(candidate_db))
    return live.version


def _write_marker(candidate_db: Path, version: str, fingerprint: str) -> None:
    """Record that the candidate, as it is now (``fingerprint``), holds ``version``'s content."""
    marker = _published_marker(candidate_db)
    tmp = marker.with_name(f".{marker.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps({"version": version, "candidate": fingerprint}), encoding="utf-8")
    os.replace(tmp, marker)


def _fingerprint(files: tuple[Path, ...]) -> str:
    parts = []
    for f in files:
        if f.exists():
            st = f.stat()
            parts.append(f"{f.name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def candidate_fingerprint(candidate_db: Path) -> str:
    """Identifies the candidate's content as built (size and mtime of the file and its log, and of the
    restricted file dbt builds beside it, ``restricted_fingerprint``): the gate records it, and publishing
    refuses a candidate changed since it was checked."""
    own = _fingerprint((candidate_db, _wal(candidate_db)))
    return "|".join(part for part in (own, restricted_fingerprint(candidate_db)) if part)


def restricted_fingerprint(candidate_db: Path) -> str:
    """Identifies the content of the candidate's restricted file (``massar.settings.restricted_companion``:
    the pupils' identity and the lookup's serving models, which the lookup store is built from at
    publish); empty when there is none."""
    restricted = restricted_companion(candidate_db)
    return _fingerprint((restricted, _wal(restricted)))


def validate_version(path: Path) -> int:
    """Open a version read-only and check it is complete: it holds tables and its own publication record.

    Returns the number of tables; raises when the file is unreadable or inconsistent."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select count(*) from information_schema.tables").fetchall()[0][0]
        recorded = con.execute(
            f"select version from {PUBLICATION_TABLE} order by published_at desc limit 1"
        ).fetchall()
    version = path.name.removesuffix(SUFFIX)
    if not recorded or recorded[0][0] != version:
        raise PublishError(f"{path.name}: its last publication record is {recorded}, not {version}")
    return int(tables)


def _gate_history_rows(history: Path) -> tuple[list[list[object]], list[list[object]]]:
    """Rows of ``audit.gate_run`` and ``audit.gate_failure`` from the gate's JSON-lines history."""
    runs: list[list[object]] = []
    failures: list[list[object]] = []
    for line in history.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        suites = record.get("suites") or {}
        fails = record.get("failures") or []
        critical = sum(1 for f in fails if f.get("severity") == "critical")
        runs.append(
            [
                record["run_at"],
                record.get("verdict") or ("pass" if record.get("publishable") else "blocked"),
                bool(record.get("publishable")),
                len(suites),
                sum(1 for ok in suites.values() if not ok),
                len(fails) - critical,
                critical,
                record.get("candidate"),
                record.get("data_docs"),
            ]
        )
        failures.extend(
            [
                record["run_at"],
                f.get("suite") or "",
                f.get("expectation") or "",
                f.get("column"),
                f.get("severity") or "",
                f.get("description"),
                f.get("on_failure"),
                f.get("observed"),
            ]
            for f in fails
        )
    return runs, failures


def _record_gate_history(con: duckdb.DuckDBPyConnection, history: Path | None) -> None:
    """Replace the gate history tables of a staged copy with the whole history file (when there is one)."""
    if history is None or not history.exists():
        return
    runs, failures = _gate_history_rows(history)
    con.execute(GATE_RUN_DDL)
    con.execute(GATE_FAILURE_DDL)
    if runs:
        con.executemany(f"insert into {GATE_RUN_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)", runs)
    if failures:
        con.executemany(f"insert into {GATE_FAILURE_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)", failures)


def _stage(
    candidate_db: Path,
    tmp: Path,
    version: str,
    verdict: Verdict,
    gate_history: Path | None = None,
    previous: Path | None = None,
) -> None:
    """Copy the candidate (and its log) to ``tmp`` and record the publication (and the gate's run history)
    inside the copy. The publication history is the ``previous`` version's (the one readers see now: the
    candidate may not carry the latest record, see ``prepare_candidate``) followed by this one."""
    shutil.copyfile(candidate_db, tmp)
    if _wal(candidate_db).exists():
        shutil.copyfile(_wal(candidate_db), _wal(tmp))
    with duckdb.connect(str(tmp)) as con:
        con.execute("create schema if not exists audit")
        con.execute(PUBLICATION_DDL)
        if previous is not None and previous.exists():
            con.execute("attach ? as previous_version (read_only)", [str(previous)])
            has_history = con.execute(
                "select count(*) from duckdb_tables() where database_name = 'previous_version' "
                "and schema_name = 'audit' and table_name = 'publication'"
            ).fetchall()[0][0]
            if has_history:
                con.execute(f"delete from {PUBLICATION_TABLE}")
                con.execute(
                    f"insert into {PUBLICATION_TABLE} select * from previous_version.{PUBLICATION_TABLE}"
                )
            con.execute("detach previous_version")
        con.execute(
            f"insert into {PUBLICATION_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
            [
                version,
                datetime.now(UTC).replace(tzinfo=None),
                verdict.verdict,
                verdict.warnings,
                verdict.critical,
                verdict.gate_run_at,
                verdict.data_docs,
            ],
        )
        _record_gate_history(con, gate_history)
        con.execute("checkpoint")
    _wal(tmp).unlink(missing_ok=True)
    _fsync_file(tmp)


def publish(
    candidate_db: Path,
    published_dir: Path,
    keep: int = 5,
    verdict: Verdict | None = None,
    gate_history: Path | None = None,
    version: str | None = None,
    on_staged: Callable[[str], None] | None = None,
    stores_root: Path | None = None,
) -> PublishedVersion:
    """Copy the candidate into a new version and switch readers to it atomically.

    The candidate itself is only read. The gate's verdict is recorded in the version's
    ``audit.publication`` table (the dashboards show a flag when it is ``warn``), and the gate's run
    history (``gate_history``, JSON lines) in ``audit.gate_run`` / ``audit.gate_failure``. ``version``: the
    name to give it (from ``new_version_name``; a fresh one when taken, unless ``on_staged`` is given).
    ``on_staged(version)`` runs once the copy is staged and checked, before the version file is renamed
    into place and ``CURRENT`` switches: it puts the version's other files (the serving stores) in place.

    On any failure the temporary copy is removed; running out of disk raises ``DiskFullError``."""
    if not candidate_db.exists():
        raise PublishError(f"no candidate warehouse at {candidate_db}: run the dbt build first")
    verdict = verdict or Verdict()
    if verdict.critical:
        raise PublishError(f"the quality gate found {verdict.critical} critical failure(s): not publishing")
    published_dir.mkdir(parents=True, exist_ok=True)
    if version is not None and (published_dir / f"{version}{SUFFIX}").exists() and on_staged is not None:
        raise PublishError(f"version {version} exists already")
    if version is None or (published_dir / f"{version}{SUFFIX}").exists():
        version = new_version_name(published_dir)
    target = published_dir / f"{version}{SUFFIX}"
    tmp = published_dir / f".{version}{SUFFIX}.tmp"
    live = current(published_dir)
    copied_from = candidate_fingerprint(candidate_db)
    needed = sum(f.stat().st_size for f in (candidate_db, _wal(candidate_db)) if f.exists())
    if shutil.disk_usage(published_dir).free < needed:
        raise disk_full_error(published_dir, needed)
    try:
        _stage(candidate_db, tmp, version, verdict, gate_history, previous=live.path if live else None)
        # Check that the copy opens and is complete before anyone is pointed at it.
        with duckdb.connect(str(tmp), read_only=True) as con:
            recorded = con.execute(
                f"select max(version) from {PUBLICATION_TABLE} where version = ?", [version]
            )
            if recorded.fetchall()[0][0] != version:
                raise PublishError(f"the staged copy of {version} lacks its publication record")
        if on_staged is not None:
            on_staged(version)
    except BaseException as exc:
        for leftover in (tmp, _wal(tmp)):
            leftover.unlink(missing_ok=True)
        if is_disk_full(exc) and not isinstance(exc, DiskFullError):
            raise disk_full_error(published_dir, needed) from exc
        raise
    os.replace(tmp, target)
    _fsync_dir(published_dir)
    _write_pointer(published_dir, version)
    if candidate_fingerprint(candidate_db) == copied_from:  # the candidate is this version's content
        _write_marker(candidate_db, version, copied_from)
    prune(published_dir, keep, stores_root)
    return PublishedVersion(version, target)


def _companions(published_dir: Path, name: str, stores_root: Path | None) -> list[Path]:
    """The files of version ``name`` besides the warehouse file: its build record and its stores folder."""
    files = [published_dir / f"{name}.build.json"]
    return files if stores_root is None else [*files, stores_dir(stores_root, name)]


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def prune(published_dir: Path, keep: int, stores_root: Path | None = None) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the current one), each with its build record and
    its serving stores (under ``stores_root``), and stale temporary files and stores of versions that
    were never published."""
    keep = max(keep, 1)
    try:
        live = current(published_dir)
    except CurrentPointerError:
        live = None  # damaged: keep every version (an operator picks one with rollback)
        keep = len(versions(published_dir)) or 1
    names = versions(published_dir)
    removed = []
    for name in names[: max(len(names) - keep, 0)]:
        if live is not None and name == live.version:
            continue
        for companion in _companions(published_dir, name, stores_root):
            _remove(companion)
        (published_dir / f"{name}{SUFFIX}").unlink(missing_ok=True)
        removed.append(name)
    for stale in published_dir.glob(".*.tmp*"):
        stale.unlink(missing_ok=True)
    kept = set(versions(published_dir))
    if stores_root is not None and stores_root.is_dir():
        for entry in stores_root.iterdir():
            orphan = entry.is_dir() and VERSION_PATTERN.fullmatch(entry.name) and entry.name not in kept
            temporary = entry.name.startswith(".") and ".tmp" in entry.name
            # the single stores of a home published before stores were kept per version
            legacy = entry.name in LEGACY_STORES and live is not None
            if orphan or temporary or (legacy and stores_dir(stores_root, live.version).is_dir()):
                _remove(entry)
    for record in published_dir.glob("v*.build.json"):
        if record.name.removesuffix(".build.json") not in kept:
            record.unlink(missing_ok=True)
    return removed


#: Store files of a home published before stores were kept per version (``serving/<name>``).
LEGACY_STORES = ("parent_lookup.duckdb", "public_stats.duckdb")


def rollback_target(published_dir: Path, version: str | None = None) -> str:
    """The version ``rollback`` would point readers to (default: the one before the current)."""
    names = versions(published_dir)
    if version is None:
        live = current(published_dir)
        if live is None or live.version not in names or names.index(live.version) == 0:
            raise PublishError("there is no earlier published version to roll back to")
        version = names[names.index(live.version) - 1]
    if version not in names:
        raise PublishError(f"no published version {version!r}; available: {', '.join(names) or 'none'}")
    return version


def rollback(published_dir: Path, version: str | None = None) -> PublishedVersion:
    """Point readers back to ``version`` (default: the one before the current). With a damaged
    ``CURRENT``, naming the version repairs the pointer."""
    version = rollback_target(published_dir, version)
    _write_pointer(published_dir, version)
    return PublishedVersion(version, published_dir / f"{version}{SUFFIX}")
