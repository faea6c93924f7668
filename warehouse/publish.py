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
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

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


class PublishError(Exception):
    """The candidate cannot be published (missing, unreadable, or a version that does not exist)."""


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
    return sorted(p.name.removesuffix(SUFFIX) for p in published_dir.glob(f"v*{SUFFIX}"))


def current(published_dir: Path) -> PublishedVersion | None:
    """The version readers should open, or None when nothing was published yet."""
    pointer = published_dir / POINTER
    if not pointer.exists():
        return None
    version = pointer.read_text(encoding="utf-8").strip()
    return PublishedVersion(version, published_dir / f"{version}{SUFFIX}")


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
    shutil.copyfile(live.path, tmp)
    os.replace(tmp, candidate_db)
    _write_marker(candidate_db, live.version, candidate_fingerprint(candidate_db))
    return live.version


def _write_marker(candidate_db: Path, version: str, fingerprint: str) -> None:
    """Record that the candidate, as it is now (``fingerprint``), holds ``version``'s content."""
    marker = _published_marker(candidate_db)
    tmp = marker.with_name(f".{marker.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps({"version": version, "candidate": fingerprint}), encoding="utf-8")
    os.replace(tmp, marker)


def candidate_fingerprint(candidate_db: Path) -> str:
    """Identifies the candidate's content as built (size and mtime of the file and its log): the gate
    records it, and publishing refuses a candidate changed since it was checked."""
    parts = []
    for f in (candidate_db, _wal(candidate_db)):
        if f.exists():
            st = f.stat()
            parts.append(f"{f.name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


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
) -> PublishedVersion:
    """Copy the candidate into a new version and switch readers to it atomically.

    The candidate itself is only read. The gate's verdict is recorded in the version's
    ``audit.publication`` table (the dashboards show a flag when it is ``warn``), and the gate's run
    history (``gate_history``, JSON lines) in ``audit.gate_run`` / ``audit.gate_failure``. ``version``: the
    name to give it (from ``new_version_name``; a fresh one when taken)."""
    if not candidate_db.exists():
        raise PublishError(f"no candidate warehouse at {candidate_db}: run the dbt build first")
    verdict = verdict or Verdict()
    if verdict.critical:
        raise PublishError(f"the quality gate found {verdict.critical} critical failure(s): not publishing")
    published_dir.mkdir(parents=True, exist_ok=True)
    if version is None or (published_dir / f"{version}{SUFFIX}").exists():
        version = new_version_name(published_dir)
    target = published_dir / f"{version}{SUFFIX}"
    tmp = published_dir / f".{version}{SUFFIX}.tmp"
    live = current(published_dir)
    copied_from = candidate_fingerprint(candidate_db)
    _stage(candidate_db, tmp, version, verdict, gate_history, previous=live.path if live else None)
    # Check that the copy opens and is complete before anyone is pointed at it.
    with duckdb.connect(str(tmp), read_only=True) as con:
        recorded = con.execute(f"select max(version) from {PUBLICATION_TABLE} where version = ?", [version])
        if recorded.fetchall()[0][0] != version:
            raise PublishError(f"the staged copy of {version} lacks its publication record")
    os.replace(tmp, target)
    _fsync_dir(published_dir)
    _write_pointer(published_dir, version)
    if candidate_fingerprint(candidate_db) == copied_from:  # the candidate is this version's content
        _write_marker(candidate_db, version, copied_from)
    prune(published_dir, keep)
    return PublishedVersion(version, target)


def prune(published_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the current one) and stale temporary files."""
    keep = max(keep, 1)
    live = current(published_dir)
    names = versions(published_dir)
    removed = []
    for name in names[: max(len(names) - keep, 0)]:
        if live is not None and name == live.version:
            continue
        (published_dir / f"{name}{SUFFIX}").unlink(missing_ok=True)
        removed.append(name)
    for stale in published_dir.glob(".*.tmp*"):
        stale.unlink(missing_ok=True)
    return removed


def rollback(published_dir: Path, version: str | None = None) -> PublishedVersion:
    """Point readers back to ``version`` (default: the one before the current)."""
    names = versions(published_dir)
    live = current(published_dir)
    if version is None:
        if live is None or live.version not in names or names.index(live.version) == 0:
            raise PublishError("there is no earlier published version to roll back to")
        version = names[names.index(live.version) - 1]
    if version not in names:
        raise PublishError(f"no published version {version!r}; available: {', '.join(names) or 'none'}")
    _write_pointer(published_dir, version)
    return PublishedVersion(version, published_dir / f"{version}{SUFFIX}")
