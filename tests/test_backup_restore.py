"""Backups that restore: ``massar backup DEST`` then ``massar restore SRC`` into an empty home gives the
same lake, published versions (every table equal, compared in SQL across the two files), serving stores,
keys and gate history, and a ``massar verify`` that passes. A home with data is not overwritten without
``--force``; a damaged backup is refused before anything changes.

The session pipeline's home is copied once per test (tests/integrity_support.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from integrity_support import copy_home, sha256, using_home

from massar import cli

#: What a backup holds (docs/operations.md), relative to MASSAR_HOME.
BACKED_UP = ("lake", "warehouse/published", "serving", "keys", "gx/gate_history.jsonl")


@pytest.fixture
def source(pipeline_home: Path, tmp_path: Path) -> Iterator[Path]:
    home = copy_home(pipeline_home, tmp_path / "source")
    with using_home(home):
        yield home


def _files(home: Path) -> dict[str, str]:
    """SHA-256 of every file a backup should hold (temporary files aside)."""
    found = {}
    for item in BACKED_UP:
        root = home / item
        for f in [root] if root.is_file() else sorted(root.rglob("*")) if root.exists() else []:
            if f.is_file() and ".tmp" not in f.name:
                found[str(f.relative_to(home))] = sha256(f)
    return found


def _current(home: Path) -> Path:
    published = home / "warehouse" / "published"
    return published / f"{(published / 'CURRENT').read_text().strip()}.duckdb"


def _assert_same_tables(original: Path, restored: Path) -> int:
    """Every table of the two warehouse files holds the same rows (both EXCEPT ALL differences empty)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{original}' as o (read_only)")
        con.execute(f"attach '{restored}' as r (read_only)")
        tables = {
            db: set(
                con.execute(
                    "select schema_name, table_name from duckdb_tables() where database_name = ?", [db]
                ).fetchall()
            )
            for db in ("o", "r")
        }
        assert tables["o"] == tables["r"] and tables["o"]
        for schema, table in sorted(tables["o"]):
            o, r = f'o."{schema}"."{table}"', f'r."{schema}"."{table}"'
            differ = con.execute(
                f"select (select count(*) from (from {o} except all from {r})) "
                f"+ (select count(*) from (from {r} except all from {o}))"
            ).fetchall()[0][0]
            assert differ == 0, f"{schema}.{table} differs after restore"
    return len(tables["o"])


def _restore_into(target: Path, backup: Path, *args: str) -> int:
    with using_home(target):
        return cli.main(["restore", str(backup), *args])


@pytest.mark.parametrize("kind", ["folder", "tar"])
def test_backup_then_restore_into_an_empty_home_is_identical(source: Path, tmp_path: Path, kind: str) -> None:
    (source / "keys").mkdir(exist_ok=True)
    (source / "keys" / "lookup.key").write_text("0" * 64)  # a key, as massar.settings.keys writes them
    (source / "keys" / "lookup.key").chmod(0o600)
    backup = tmp_path / ("backup.tar" if kind == "tar" else "backup")
    assert cli.main(["backup", str(backup)]) == 0
    target = tmp_path / "restored"

    assert _restore_into(target, backup) == 0

    assert _files(target) == _files(source)
    assert (target / "keys" / "lookup.key").stat().st_mode & 0o777 == 0o600
    assert not (target / "warehouse" / "candidate.duckdb").exists()
    if kind == "folder":  # the same bytes (above) are the same tables; compared once in SQL all the same
        assert _assert_same_tables(_current(source), _current(target)) > 50
    with using_home(target):
        assert cli.main(["verify"] if kind == "folder" else ["verify", "--quick"]) == 0


def test_restore_refuses_a_home_with_data(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    backup = tmp_path / "backup"
    assert cli.main(["backup", str(backup)]) == 0
    other = copy_home(source, tmp_path / "other")
    stray = other / "lake" / "_load_log" / "marker.txt"
    stray.write_text("this home's own data")

    assert _restore_into(other, backup) == 2
    assert "already holds data" in capsys.readouterr().err
    assert stray.exists()

    assert _restore_into(other, backup, "--force") == 0
    assert not stray.exists()  # the lake is the backup's now
    assert _files(other) == _files(source)


def test_a_damaged_backup_is_refused_and_changes_nothing(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    backup = tmp_path / "backup"
    assert cli.main(["backup", str(backup)]) == 0
    damaged = next((backup / "lake" / "grades").rglob("*.parquet"))
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    target = tmp_path / "restored"

    assert _restore_into(target, backup) == cli.EXIT_DAMAGED
    assert str(damaged.relative_to(backup)) in capsys.readouterr().err
    # nothing restored: only what any command creates in a new home (its writer lock, its generated keys)
    left = [p.relative_to(target) for p in target.rglob("*") if p.is_file() and p.name != "writer.lock"]
    assert all(p.parts[0] == "keys" for p in left), left
    backed_up = {p.name: p.read_bytes() for p in (backup / "keys").glob("*.key")}
    assert all(backed_up.get(p.name) != (target / p).read_bytes() for p in left)  # not the backup's keys


def test_backup_leaves_out_the_candidate_and_airflow(source: Path, tmp_path: Path) -> None:
    (source / "warehouse" / "candidate.duckdb").write_bytes(b"candidate")
    (source / "airflow" / "logs").mkdir(parents=True)
    (source / "airflow" / "logs" / "task.log").write_text("log")
    backup = tmp_path / "backup"
    assert cli.main(["backup", str(backup)]) == 0
    held = {str(p.relative_to(backup)).split("/")[0] for p in backup.rglob("*") if p.is_file()}
    assert held <= {"lake", "warehouse", "serving", "keys", "gx", "alerts", "MANIFEST.json"}
    assert not (backup / "warehouse" / "restricted").exists()  # derived from the lake, like the candidate
    assert not (backup / "warehouse" / "candidate.duckdb").exists()


@pytest.mark.slow
def test_a_restored_home_builds_checks_and_publishes(source: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    assert cli.main(["backup", str(backup)]) == 0
    target = tmp_path / "restored"
    assert _restore_into(target, backup) == 0
    with using_home(target):
        assert cli.main(["build"]) == 0
        assert cli.main(["check"]) == 0
        assert cli.main(["publish"]) == 0
        assert cli.main(["verify"]) == 0


def test_a_restore_that_fails_midway_is_detected_and_redone(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warehouse.backup

    backup = tmp_path / "backup"
    assert cli.main(["backup", str(backup)]) == 0
    target = tmp_path / "restored"
    real_replace, calls = os.replace, []

    def disk_full_on_the_second_replacement(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(warehouse.backup.os, "replace", disk_full_on_the_second_replacement)
    with pytest.raises(OSError), using_home(target):
        warehouse.backup.restore(backup)
    monkeypatch.undo()

    with using_home(target):
        assert cli.main(["verify", "--quick"]) == cli.EXIT_DAMAGED  # "a restore did not finish"
    assert _restore_into(target, backup, "--force") == 0
    assert _files(target) == _files(source)
    with using_home(target):
        assert cli.main(["verify", "--quick"]) == 0


def test_a_live_state_database_is_backed_up_with_its_unsaved_writes(source: Path, tmp_path: Path) -> None:
    """The alerts store is SQLite in WAL mode, written by the dashboards while a backup runs: rows still
    only in its ``-wal`` file (no checkpoint yet) must be in the restored store."""
    import sqlite3

    store = source / "alerts" / "absence_alerts.sqlite"
    store.parent.mkdir(parents=True, exist_ok=True)
    live = sqlite3.connect(store)
    live.execute("pragma journal_mode=wal")
    live.execute("pragma wal_autocheckpoint=0")
    live.execute("create table subscription (email text, territory text)")
    live.execute("insert into subscription values ('dp.fes@example.org', '03.231')")
    live.commit()  # the row is in absence_alerts.sqlite-wal, the main file has no table yet
    assert (source / "alerts" / "absence_alerts.sqlite-wal").stat().st_size > 0
    backup = tmp_path / "backup"
    try:
        assert cli.main(["backup", str(backup)]) == 0
    finally:
        live.close()
    target = tmp_path / "restored"

    assert _restore_into(target, backup) == 0

    restored = sqlite3.connect(target / "alerts" / "absence_alerts.sqlite")
    assert restored.execute("select * from subscription").fetchall() == [("dp.fes@example.org", "03.231")]
    restored.close()
    assert not list(backup.glob("alerts/*-wal"))
