"""One writer at a time: two writers at once, for each writing command, from the command line and from
Airflow.

A second ``massar`` writer exits at once with "another run is in progress (pid, command, since)" and status
75, without a traceback, while the first one finishes with its output intact (two real ``massar publish``,
two real ``massar ingest``; two real ``massar build`` under ``slow``); the other writing commands meet a
process holding the lock under their label. A lock whose holder was killed with ``kill -9`` is taken over;
``--wait`` waits for the holder and then runs; an Airflow task waits for a held lock and then runs, and the
tasks of ``massar run`` (same process) re-enter the lock their command holds.

Homes are copies of the session pipeline's home (or of its exports only), in this module's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from massar.settings import export_environment
from warehouse.writer_lock import EXIT_BUSY, WriterBusyError, holder, lock_path, writer_lock

MASSAR = str(Path(sys.executable).with_name("massar"))
BUSY = "another run is in progress"

# A process that holds the writer lock of its MASSAR_HOME under a label for some seconds, or until it reads
# a line on its standard input.
HOLDER = """
import select, sys
from warehouse.writer_lock import writer_lock
with writer_lock(sys.argv[1]):
    print("held", flush=True)
    select.select([sys.stdin], [], [], float(sys.argv[2]))
"""


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MASSAR_LOCK_WAIT"}
    return {**env, "MASSAR_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow"), **extra}


def _massar(home: Path, *args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MASSAR, *args], env=_env(home, **extra), capture_output=True, text=True, timeout=timeout, check=False
    )


def _hold(home: Path, label: str, seconds: float) -> subprocess.Popen[str]:
    """Start a process holding ``home``'s writer lock as ``label``; returns once it holds it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, label, str(seconds)],
        env=_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("release\n")
    proc.stdin.flush()


def _wait_until_holding(home: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    """Wait until ``proc`` (a real ``massar`` command) holds the writer lock of ``home``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        who = holder(home / "writer.lock")
        if who is not None and who.pid == proc.pid:
            return
        assert proc.poll() is None, f"the first command ended ({proc.returncode}) before taking the lock"
        time.sleep(0.1)
    raise AssertionError("the first command never took the writer lock")


def _assert_busy(result: subprocess.CompletedProcess[str], pid: int, label: str) -> None:
    assert result.returncode == EXIT_BUSY, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"{BUSY} (pid {pid}, {label}, since " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def _copy_home(source: Path, target: Path, only: tuple[str, ...] | None = None) -> Path:
    """A copy of a data folder (file times kept: the gate's record of the candidate stays valid), without
    Airflow's metadata and caches."""
    skip = {"airflow", "cosmos", "writer.lock"}
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name in skip or (only is not None and entry.name not in only):
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, target / entry.name)
    return target


@pytest.fixture(scope="module")
def copied_home(pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session pipeline's home, copied, with a candidate that the gate has passed (publishable)."""
    home = _copy_home(pipeline_home, tmp_path_factory.mktemp("writer-lock") / "home")
    probe = subprocess.run(
        [sys.executable, "-c", "from massar import pipeline; print(pipeline._last_verdict() is not None)"],
        env=_env(home),
        capture_output=True,
        text=True,
        check=True,
    )
    if probe.stdout.strip() != "True":  # another test changed the session candidate since its gate
        result = _massar(home, "check")
        assert result.returncode == 0, result.stderr[-3000:]
    yield home
    if os.environ.get("MASSAR_KEEP_TEST_DATA") != "1":
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def empty_home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.mark.parametrize(
    "args",
    [
        ["ingest"],
        ["build"],
        ["check"],
        ["publish"],
        ["maintenance"],
        ["rollback"],
        ["run", "--dag", "massar_maintenance"],
        ["generate", "--pupils", "10"],
    ],
    ids=lambda a: a[0],
)
def test_a_second_writer_exits_at_once_naming_the_holder(empty_home: Path, args: list[str]) -> None:
    label = f"massar {args[0]}"
    holding = _hold(empty_home, label, 120)
    try:
        started = time.monotonic()
        result = _massar(empty_home, *args)
        _assert_busy(result, holding.pid, label)
        assert time.monotonic() - started < 60
        assert holding.poll() is None  # the holder is untouched
    finally:
        holding.kill()
        holding.wait()
    assert not (empty_home / "lake").exists() and not (empty_home / "exports").exists()  # nothing written


def test_read_only_commands_do_not_wait_for_the_lock(empty_home: Path) -> None:
    holding = _hold(empty_home, "massar build", 120)
    try:
        for args in (["versions"], ["paths"]):
            result = _massar(empty_home, *args)
            assert result.returncode == 0, result.stderr
    finally:
        holding.kill()
        holding.wait()


def test_a_lock_left_by_a_killed_holder_is_taken_over(
    empty_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holding = _hold(empty_home, "massar publish", 600)
    os.kill(holding.pid, signal.SIGKILL)
    holding.wait()
    # The dead holder's record is still in the file; the lock itself went with the process.
    assert holder(empty_home / "writer.lock").pid == holding.pid  # type: ignore[union-attr]
    result = _massar(empty_home, "maintenance")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "pruned 0 version(s)" in result.stdout
    monkeypatch.setenv("MASSAR_HOME", str(empty_home))
    with writer_lock("massar test", wait=0):
        who = holder(lock_path())
        assert who is not None and who.pid == os.getpid() and who.command == "massar test"


def test_wait_waits_for_the_holder_then_runs(empty_home: Path) -> None:
    holding = _hold(empty_home, "massar build", 300)
    waiting = subprocess.Popen(
        [MASSAR, "maintenance", "--wait", "120"],
        env=_env(empty_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert waiting.stderr is not None
    first = waiting.stderr.readline()  # the command says what it waits for, then waits
    assert f"waiting up to 120 s for the writer lock (pid {holding.pid}, massar build, since " in first
    time.sleep(1)
    assert waiting.poll() is None  # still waiting while the lock is held
    _release(holding)
    out, err = waiting.communicate(timeout=120)
    assert holding.wait(timeout=30) == 0
    assert waiting.returncode == 0, err[-2000:]
    assert "got the writer lock after" in err
    assert "pruned 0 version(s)" in out


def test_wait_gives_up_after_its_time(empty_home: Path) -> None:
    holding = _hold(empty_home, "massar ingest", 120)
    try:
        result = _massar(empty_home, "rollback", MASSAR_LOCK_WAIT="2")
        _assert_busy(result, holding.pid, "massar ingest")
        assert "(waited 2 s)" in result.stderr
    finally:
        holding.kill()
        holding.wait()
    result = _massar(empty_home, "rollback", MASSAR_LOCK_WAIT="soon")
    assert result.returncode == 2 and "MASSAR_LOCK_WAIT='soon'" in result.stderr
    assert "Traceback" not in result.stderr


def test_in_process_a_busy_lock_raises_naming_the_holder(
    empty_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASSAR_HOME", str(empty_home))
    holding = _hold(empty_home, "massar check", 120)
    try:
        busy = pytest.raises(WriterBusyError, match=rf"pid {holding.pid}, massar check, since ")
        with busy, writer_lock("massar test", wait=0.5):
            pass
    finally:
        holding.kill()
        holding.wait()
    with writer_lock("outer", wait=0), writer_lock("inner", wait=0):  # re-entrant in one process
        assert holder(lock_path()).command == "outer"  # type: ignore[union-attr]


def _published_state(home: Path) -> tuple[str, list[str]]:
    published = home / "warehouse" / "published"
    return (published / "CURRENT").read_text().strip(), sorted(p.name for p in published.iterdir())


def test_two_real_publishes(copied_home: Path) -> None:
    from warehouse.publish import validate_version

    before, _ = _published_state(copied_home)
    first = subprocess.Popen(
        [MASSAR, "publish"], env=_env(copied_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_until_holding(copied_home, first)
    second = _massar(copied_home, "publish")
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-3000:]
    _assert_busy(second, first.pid, "massar publish")
    # The first publication is whole: CURRENT names its version, which opens and carries its own record,
    # and no staged copy is left behind.
    version = out.strip().splitlines()[-1]
    live, names = _published_state(copied_home)
    assert live == version != before
    assert validate_version(copied_home / "warehouse" / "published" / f"{version}.duckdb") > 0
    assert not [n for n in names if ".tmp" in n]


def test_two_real_ingests(pipeline_home: Path, tmp_path: Path) -> None:
    """The second ingestion exits; the first loads every file exactly as the session's clean run did."""
    from ingestion.lake import uncommitted_files
    from ingestion.load_log import read_log

    home = _copy_home(pipeline_home, tmp_path / "home", only=("exports",))
    first = subprocess.Popen(
        [MASSAR, "ingest"], env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_until_holding(home, first)
    second = _massar(home, "ingest")
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-3000:]
    _assert_busy(second, first.pid, "massar ingest")
    assert uncommitted_files(home / "lake") == []
    assert not list((home / "lake").rglob("*.tmp-*"))
    columns = ["region_code", "source_file", "status", "rows_in", "rows_accepted", "rows_quarantined"]
    mine = read_log(home / "lake" / "_load_log").select(columns).sort(columns)
    clean = read_log(pipeline_home / "lake" / "_load_log").select(columns).sort(columns)
    assert mine.height == clean.height > 0
    assert mine.equals(clean), pl.concat([mine, clean]).unique(keep="none")
    shutil.rmtree(home, ignore_errors=True)


def test_an_airflow_task_waits_for_a_held_lock_then_runs(
    copied_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dag.test() of the maintenance DAG while another process holds the lock: its first writing task waits
    (tasks wait long), and runs once the lock is released."""
    import threading

    from massar.orchestration import alerts_log, run_dag
    from warehouse import writer_lock as lock_module

    holding = _hold(copied_home, "massar build", 300)
    waiting = threading.Event()
    seen = lock_module.holder

    def announced(path: Path | None = None) -> object:  # called by a writer that starts waiting
        waiting.set()
        return seen(path)

    def release_when_waited() -> None:
        waiting.wait(timeout=300)
        _release(holding)

    monkeypatch.setattr(lock_module, "holder", announced)
    monkeypatch.setenv("MASSAR_HOME", str(copied_home))
    export_environment()
    failures_before = _task_failures(alerts_log())
    releaser = threading.Thread(target=release_when_waited, daemon=True)
    releaser.start()
    try:
        state = run_dag("massar_maintenance")
        failures_after = _task_failures(alerts_log())
    finally:
        waiting.set()
        releaser.join(timeout=30)
        holding.kill()
        holding.wait()
        monkeypatch.undo()
        export_environment()
    assert waiting.is_set() and holding.returncode == 0  # a task waited; the holder ended by its release
    assert state == "success"
    assert failures_after == failures_before  # no task failed meanwhile (no retry either)


def _task_failures(alerts: Path) -> int:
    return alerts.read_text().count('"task_failed"') if alerts.exists() else 0


def test_massar_run_tasks_reenter_the_lock_of_their_command(
    copied_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``massar run`` holds the lock and runs the DAG in its own process and thread: its tasks re-enter the
    lock instead of waiting for it (a task that waited would wait for its own command)."""
    from massar.orchestration import run_dag

    monkeypatch.setenv("MASSAR_HOME", str(copied_home))
    monkeypatch.setenv("MASSAR_TASK_LOCK_WAIT", "0")
    export_environment()
    try:
        with writer_lock("massar run"):
            started = time.monotonic()
            state = run_dag("massar_maintenance")
            elapsed = time.monotonic() - started
    finally:
        monkeypatch.undo()
        export_environment()
    assert state == "success"
    assert elapsed < 300


@pytest.mark.slow
def test_two_real_builds(copied_home: Path, tmp_path: Path) -> None:
    """The second build exits; the first one's candidate is whole (every dbt node succeeded)."""
    import json

    first = subprocess.Popen(
        [MASSAR, "build"], env=_env(copied_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_until_holding(copied_home, first)
    second = _massar(copied_home, "build")
    _, err = first.communicate(timeout=1800)
    assert first.returncode == 0, err[-3000:]
    _assert_busy(second, first.pid, "massar build")
    results = json.loads((copied_home / "dbt-target" / "run_results.json").read_text())["results"]
    failed = [r["unique_id"] for r in results if r["status"] in {"error", "fail", "skipped", "runtime error"}]
    assert results and not failed, failed
    assert not list((copied_home / "warehouse").glob(".*.tmp*"))


@pytest.fixture(autouse=True, scope="module")
def _restore_environment() -> Iterator[None]:
    yield
    export_environment()
