"""Backups of a ``MASSAR_HOME`` that restore: a consistent snapshot with a manifest of checksums.

``massar backup DEST`` copies, under the writer lock (no ingest, build, publish or maintenance changes a
file meanwhile):

- ``lake/``: the Parquet lake with its quarantine, deletions and load log (and ingestion's caches);
- ``warehouse/published/``: every published version and ``CURRENT``;
- ``serving/``: the public app's stores;
- ``keys/``: the server-side secret keys (secrets: see docs/operations.md);
- ``gx/gate_history.jsonl``: the quality gate's history;
- ``alerts/absence_alerts.sqlite``: alert subscriptions and acknowledgments, copied through SQLite's
  online backup (the dashboards may be writing it);
- ``exports/`` only with ``--with-exports``.

Never the candidate warehouse (rebuilt by ``massar build``), Airflow's folder (logs, metadata), dbt's
target folder, temporary files (``.<name>.tmp-<pid>``) or lake files set aside as damaged.

DEST is a folder (new or empty), or a ``.tar`` file. Every file is hashed while it is copied; the manifest
(``MANIFEST.json``: path, size, SHA-256 and mode of each file) is written last, so a backup without one is
incomplete. A ``.tar`` is written under a temporary name and renamed when complete.

``massar restore SRC`` refuses a home that holds data (unless ``--force``), then copies every file of the
manifest into a staging folder inside the home, checking each checksum, before it replaces anything; a
marker file (``RESTORE_INCOMPLETE``) exists from the first replacement to the last, so a restore that
failed midway is detectable (``massar verify`` reports it) and is redone by restoring again with
``--force``. The candidate warehouse is discarded: the next ``massar build`` starts from the restored
current version.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from massar.settings import paths
from warehouse.publish import CurrentPointerError, current

MANIFEST = "MANIFEST.json"
FORMAT = 1
#: What a backup holds, relative to ``MASSAR_HOME`` (folders and files).
BACKED_UP = ("lake", "warehouse/published", "serving", "keys", "gx/gate_history.jsonl")
WITH_EXPORTS = ("exports",)
#: SQLite state that a live service may be writing (WAL mode): copied through SQLite's online backup, so
#: the copy is consistent, and never as bytes with its ``-wal``/``-shm`` files.
STATE_DATABASES = ("alerts/absence_alerts.sqlite",)
#: Present while a restore is replacing the home's data.
RESTORE_MARKER = "RESTORE_INCOMPLETE"
#: Files of a home that do not make it "hold data" (the writer lock is created by the restore itself).
IGNORED_IN_HOME = ("writer.lock",)
CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup cannot be written or a restore is refused (exit 2)."""


class DamagedBackupError(RuntimeError):
    """A backup's file is missing or differs from its manifest (exit 3)."""


@dataclass(frozen=True)
class Entry:
    path: str
    bytes: int
    sha256: str
    mode: int


def _skipped(rel: Path) -> bool:
    """Temporary files, and lake files set aside as damaged."""
    return any(".tmp" in part and part.startswith(".") for part in rel.parts) or rel.parts[:2] == (
        "lake",
        "_damaged",
    )


def snapshot_files(home: Path, with_exports: bool = False) -> list[Path]:
    """The files a backup of ``home`` holds, relative to it, sorted."""
    found: list[Path] = []
    for item in (*BACKED_UP, *STATE_DATABASES, *(WITH_EXPORTS if with_exports else ())):
        path = home / item
        if path.is_file():
            found.append(Path(item))
        elif path.is_dir():
            found.extend(p.relative_to(home) for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return sorted(f for f in found if not _skipped(f))


@contextmanager
def _consistent_sources(home: Path, files: list[Path]) -> Iterator[dict[Path, Path]]:
    """Where to read each file of the backup from: the home itself, except the SQLite state databases,
    read from a consistent copy made with SQLite's online backup (removed afterwards)."""
    sources = {rel: home / rel for rel in files}
    with tempfile.TemporaryDirectory(prefix=".backup-state-", dir=home) as tmp:
        for rel in files:
            if rel.as_posix() in STATE_DATABASES:
                copy = Path(tmp) / rel.name
                with closing(sqlite3.connect(home / rel)) as live, closing(sqlite3.connect(copy)) as out:
                    live.backup(out)
                os.chmod(copy, (home / rel).stat().st_mode & 0o777)
                sources[rel] = copy
        yield sources


def _copy_hashing(source: IO[bytes], target: IO[bytes] | None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return size, digest.hexdigest()


class _HashingReader:
    """A file object for ``tarfile.addfile`` that hashes what it reads."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f, self.digest, self.size = f, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.f.read(n)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _current_version(home: Path) -> str | None:
    try:
        live = current(home / "warehouse" / "published")
    except CurrentPointerError:
        return None
    return live.version if live else None


def _manifest(home: Path, entries: list[Entry], with_exports: bool) -> bytes:
    total = sum(e.bytes for e in entries)
    return json.dumps(
        {
            "format": FORMAT,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source_home": str(home),
            "current_version": _current_version(home),
            "with_exports": with_exports,
            "files_count": len(entries),
            "bytes": total,
            "files": [e.__dict__ for e in entries],
        },
        indent=1,
    ).encode()


def backup(dest: Path, with_exports: bool = False) -> dict[str, object]:
    """Write a backup of the current home to ``dest`` (a folder, or a ``.tar`` file). The caller holds
    the writer lock. Returns a summary (files, bytes, current version, where)."""
    home = paths().home
    files = snapshot_files(home, with_exports)
    if not files:
        raise BackupError(f"nothing to back up under {home}")
    with _consistent_sources(home, files) as sources:
        entries = _write_backup(home, dest, files, sources, with_exports)
    return {
        "backup": str(dest),
        "files": len(entries),
        "bytes": sum(e.bytes for e in entries),
        "current_version": _current_version(home),
    }


def _write_backup(
    home: Path, dest: Path, files: list[Path], sources: dict[Path, Path], with_exports: bool
) -> list[Entry]:
    """Copy ``files`` (read from ``sources``) to ``dest`` with their checksums, then the manifest."""
    entries: list[Entry] = []
    if dest.suffix == ".tar":
        if dest.exists():
            raise BackupError(f"{dest} exists: choose a new file name")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
        try:
            with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
                for rel in files:
                    info = tar.gettarinfo(str(sources[rel]), arcname=rel.as_posix())
                    with open(sources[rel], "rb") as f:
                        reader = _HashingReader(f)
                        tar.addfile(info, reader)  # type: ignore[arg-type]
                    entries.append(Entry(rel.as_posix(), reader.size, reader.digest.hexdigest(), info.mode))
                data = _manifest(home, entries, with_exports)
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o644
                tar.addfile(info, _BytesReader(data))  # type: ignore[arg-type]
            _fsync(tmp)
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    else:
        if dest.exists() and any(dest.iterdir()):
            raise BackupError(f"{dest} is not empty: back up into a new or empty folder")
        dest.mkdir(parents=True, exist_ok=True)
        for rel in files:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = sources[rel].stat().st_mode & 0o777
            with open(sources[rel], "rb") as src, open(target, "wb") as out:
                size, sha = _copy_hashing(src, out)
            os.chmod(target, mode)
            entries.append(Entry(rel.as_posix(), size, sha, mode))
        os.sync()  # every copied file on disk before the manifest says the backup is complete
        tmp = dest / f".{MANIFEST}.tmp-{os.getpid()}"
        tmp.write_bytes(_manifest(home, entries, with_exports))
        _fsync(tmp)
        os.replace(tmp, dest / MANIFEST)
        _fsync(dest)
    return entries


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.at + n
        chunk, self.at = self.data[self.at : end], min(end, len(self.data))
        return chunk


def read_manifest(src: Path) -> dict:
    """The manifest of a backup folder or ``.tar``; raises ``BackupError`` when there is none."""
    try:
        if src.is_dir():
            return json.loads((src / MANIFEST).read_text(encoding="utf-8"))
        with tarfile.open(src, "r") as tar:
            member = tar.extractfile(MANIFEST)
            assert member is not None
            return json.loads(member.read())
    except (OSError, KeyError, ValueError, tarfile.TarError, AssertionError) as exc:
        raise BackupError(
            f"{src}: no readable {MANIFEST} ({exc}): not a backup, or an incomplete one"
        ) from exc


def _backup_files(src: Path, manifest: dict) -> Iterator[tuple[Entry, IO[bytes] | None]]:
    """Each manifest entry with a readable file object of its bytes (None when missing)."""
    entries = [Entry(**e) for e in manifest["files"]]
    if src.is_dir():
        for e in entries:
            path = src / e.path
            if not path.is_file():
                yield e, None
                continue
            with open(path, "rb") as f:
                yield e, f
        return
    with tarfile.open(src, "r") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        for e in entries:
            member = members.get(e.path)
            f = tar.extractfile(member) if member is not None else None
            yield e, f


def home_holds_data(home: Path) -> list[Path]:
    """Files of ``home`` that a restore would overwrite or mix with (empty folders do not count). Keys
    alone do not count: every command generates the keys it needs into a new home (``massar.settings.keys``),
    the restore's own included, and a key that protects no data yet is replaced by the backup's."""
    if not home.exists():
        return []
    held = sorted(
        p.relative_to(home) for p in home.rglob("*") if p.is_file() and p.name not in IGNORED_IN_HOME
    )
    return [] if all(p.parts[0] == "keys" for p in held) else held


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def restore(src: Path, force: bool = False) -> dict[str, object]:
    """Restore a backup into the current home (see the module docstring). The caller holds the writer
    lock. Raises ``BackupError`` (refused) or ``DamagedBackupError`` (the home is then unchanged)."""
    home = paths().home
    if not src.exists():
        raise BackupError(f"{src}: no such backup")
    held = home_holds_data(home)
    if held and not force:
        raise BackupError(
            f"{home} already holds data ({len(held)} file(s), e.g. {held[0]}): restore into an empty "
            "MASSAR_HOME, or pass --force to replace its lake, published versions, serving stores, keys "
            "and gate history with the backup's"
        )
    manifest = read_manifest(src)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: backup format {manifest.get('format')!r}, expected {FORMAT}")
    for stale in home.glob(".restore-*"):  # left by a restore that failed midway (replaced by this one)
        _remove(stale)
    staging = home / f".restore-{os.getpid()}"
    staging.mkdir(parents=True)
    problems: list[str] = []
    try:
        for entry, f in _backup_files(src, manifest):
            if f is None:
                problems.append(f"{entry.path}: missing from the backup")
                continue
            target = staging / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as out:
                size, sha = _copy_hashing(f, out)
            os.chmod(target, entry.mode)
            if (size, sha) != (entry.bytes, entry.sha256):
                problems.append(
                    f"{entry.path}: {size} bytes, SHA-256 {sha[:16]}…; the manifest says "
                    f"{entry.bytes} bytes, SHA-256 {entry.sha256[:16]}…"
                )
        if problems:
            raise DamagedBackupError(
                f"{src} is damaged, nothing was restored:\n  "
                + "\n  ".join(problems[:20])
                + (f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else "")
            )
    except BaseException:
        _remove(staging)
        raise
    # Every byte is verified in the staging folder (same file system): now replace, under the marker.
    os.sync()
    marker = home / RESTORE_MARKER
    marker.write_text(
        json.dumps({"source": str(src), "started_at": datetime.now(UTC).isoformat(), "staging": staging.name})
    )
    _fsync(home)
    items = (*BACKED_UP, *STATE_DATABASES, *(WITH_EXPORTS if manifest.get("with_exports") else ()))
    for item in items:
        _remove(home / item)
        if item in STATE_DATABASES:  # the live database's journal belongs to the replaced file
            for journal in ("-wal", "-shm"):
                (home / f"{item}{journal}").unlink(missing_ok=True)
        if (staging / item).exists():
            (home / item).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / item, home / item)
    candidate = paths().candidate_db
    for derived in (candidate, candidate.with_name(candidate.name + ".wal"),
                    candidate.with_name(candidate.name + ".published")):  # fmt: skip
        derived.unlink(missing_ok=True)
    _remove(staging)
    _fsync(home)
    marker.unlink()
    _fsync(home)
    return {
        "restored_from": str(src),
        "files": len(manifest["files"]),
        "bytes": manifest.get("bytes"),
        "created_at": manifest.get("created_at"),
        "current_version": manifest.get("current_version"),
    }


def restore_incomplete(home: Path | None = None) -> str | None:
    """The marker's content when a restore into ``home`` did not finish, else None."""
    marker = (home or paths().home) / RESTORE_MARKER
    return marker.read_text(encoding="utf-8", errors="replace") if marker.exists() else None
