"""Write-audit-publish for the DuckDB warehouse.

dbt writes ``candidate.duckdb``; once the quality gate passes, ``publish`` copies it to a new immutable
version in ``published/`` and then switches the ``CURRENT`` pointer with an atomic rename. A reader
resolves ``CURRENT`` and opens that version read-only, so it sees the old version or the new one,
never a mix. The last ``keep`` versions are kept for ``rollback``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

POINTER = "CURRENT"
SUFFIX = ".duckdb"


class PublishError(Exception):
    """The candidate cannot be published (missing, unreadable, or a version that does not exist)."""


@dataclass(frozen=True)
class PublishedVersion:
    version: str
    path: Path


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_pointer(published_dir: Path, version: str) -> None:
    tmp = published_dir / f".{POINTER}.tmp-{os.getpid()}"
    tmp.write_text(version + "\n", encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
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


def _new_version_name() -> str:
    return "v" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def publish(candidate_db: Path, published_dir: Path, keep: int = 5) -> PublishedVersion:
    """Copy the candidate into a new version and switch readers to it atomically."""
    if not candidate_db.exists():
        raise PublishError(f"no candidate warehouse at {candidate_db}: run the dbt build first")
    # Fold any write-ahead log into the file so that the copy is complete on its own.
    with duckdb.connect(str(candidate_db)) as con:
        con.execute("checkpoint")
    published_dir.mkdir(parents=True, exist_ok=True)
    version = _new_version_name()
    target = published_dir / f"{version}{SUFFIX}"
    tmp = published_dir / f".{version}{SUFFIX}.tmp"
    shutil.copyfile(candidate_db, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    # Check that the copy opens before anyone is pointed at it.
    with duckdb.connect(str(tmp), read_only=True) as con:
        con.execute("select count(*) from information_schema.tables").fetchall()
    os.replace(tmp, target)
    _write_pointer(published_dir, version)
    prune(published_dir, keep)
    return PublishedVersion(version, target)


def prune(published_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the current one) and stale temporary files."""
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
