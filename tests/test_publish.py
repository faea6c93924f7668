"""Write-audit-publish on real DuckDB files: atomic publication under kill -9, readers during publishes,
retention and rollback. No dbt here (see ``test_dag_runs.py`` for the gate on a real build)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from warehouse.publish import (
    PUBLICATION_TABLE,
    PublishError,
    Verdict,
    connect_current,
    current,
    prepare_candidate,
    prune,
    publish,
    rollback,
    validate_version,
    versions,
)

ROWS = 300_000


def _make_candidate(path: Path, marker: int) -> None:
    """A candidate warehouse with one mart whose every row carries ``marker``."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.fact as select range as id, {marker} as marker, "
            f"md5(range::varchar) as payload from range({ROWS})"
        )


def _check_published(published: Path) -> int:
    """The published warehouse opens, is complete and internally consistent; returns its marker."""
    live = current(published)
    assert live is not None and live.path.exists(), f"CURRENT names a missing version: {live}"
    validate_version(live.path)
    with duckdb.connect(str(live.path), read_only=True) as con:
        count, markers = con.execute("select count(*), count(distinct marker) from marts.fact").fetchall()[0]
        marker = con.execute("select any_value(marker) from marts.fact").fetchall()[0][0]
    assert (count, markers) == (ROWS, 1)
    return int(marker)


def test_publish_records_the_verdict_and_keeps_the_candidate(tmp_path: Path) -> None:
    candidate, published = tmp_path / "candidate.duckdb", tmp_path / "published"
    _make_candidate(candidate, 1)
    before = candidate.stat().st_mtime_ns
    v1 = publish(candidate, published, verdict=Verdict("warn", warnings=2, gate_run_at="t1"))
    assert candidate.stat().st_mtime_ns == before, "publishing must only read the candidate"
    with duckdb.connect(str(v1.path), read_only=True) as con:
        rows = con.execute(
            f"select version, gate_verdict, warnings_count from {PUBLICATION_TABLE}"
        ).fetchall()
    assert rows == [(v1.version, "warn", 2)]
    # The next candidate starts from the published version: the publication history carries over.
    assert prepare_candidate(candidate, published) == v1.version
    v2 = publish(candidate, published, verdict=Verdict("pass"))
    with duckdb.connect(str(v2.path), read_only=True) as con:
        history = con.execute(f"select version from {PUBLICATION_TABLE} order by published_at").fetchall()
    assert [h[0] for h in history] == [v1.version, v2.version]


def test_candidate_published_unchanged_is_kept_not_copied(tmp_path: Path) -> None:
    """The daily cycle prepare → build → publish: the candidate a version was published from is kept by the
    next ``prepare_candidate`` (no second copy of the warehouse), with the full publication history in every
    version; a candidate changed since, or a rollback, gets a fresh copy of what readers see."""
    candidate, published = tmp_path / "candidate.duckdb", tmp_path / "published"
    _make_candidate(candidate, 1)
    v1 = publish(candidate, published)
    before = candidate.stat()
    assert prepare_candidate(candidate, published) == v1.version
    after = candidate.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "copied again"
    _make_candidate(candidate, 2)  # the day's build
    v2 = publish(candidate, published)
    before = candidate.stat()
    assert prepare_candidate(candidate, published) == v2.version
    assert candidate.stat().st_mtime_ns == before.st_mtime_ns
    _make_candidate(candidate, 3)
    v3 = publish(candidate, published)
    with duckdb.connect(str(v3.path), read_only=True) as con:
        history = con.execute(f"select version from {PUBLICATION_TABLE} order by published_at").fetchall()
    assert [h[0] for h in history] == [v1.version, v2.version, v3.version]
    # A build that failed half-way changed the candidate: it is replaced by a copy of the live version.
    with duckdb.connect(str(candidate)) as con:
        con.execute("update marts.fact set marker = 99 where id < 10")
    assert prepare_candidate(candidate, published) == v3.version
    with duckdb.connect(str(candidate), read_only=True) as con:
        assert con.execute("select max(marker) from marts.fact").fetchall() == [(3,)]
    before = candidate.stat()  # a fresh copy, unchanged since, is kept too
    assert prepare_candidate(candidate, published) == v3.version
    assert candidate.stat().st_mtime_ns == before.st_mtime_ns
    # After a rollback the candidate starts from the version restored, not from the one it was published as.
    _make_candidate(candidate, 4)
    publish(candidate, published)
    rollback(published, v3.version)
    assert prepare_candidate(candidate, published) == v3.version
    with duckdb.connect(str(candidate), read_only=True) as con:
        assert con.execute("select max(marker) from marts.fact").fetchall() == [(3,)]


def test_critical_verdict_is_refused(tmp_path: Path) -> None:
    candidate, published = tmp_path / "candidate.duckdb", tmp_path / "published"
    _make_candidate(candidate, 1)
    first = publish(candidate, published)
    _make_candidate(candidate, 2)
    with pytest.raises(PublishError):
        publish(candidate, published, verdict=Verdict("blocked", critical=1))
    assert current(published) == first
    assert _check_published(published) == 1


def test_retention_and_rollback(tmp_path: Path) -> None:
    candidate, published = tmp_path / "candidate.duckdb", tmp_path / "published"
    names = []
    for marker in range(1, 5):
        _make_candidate(candidate, marker)
        names.append(publish(candidate, published, keep=3).version)
    assert versions(published) == names[-3:]
    assert rollback(published).version == names[-2]
    assert _check_published(published) == 3
    assert rollback(published, names[-1]).version == names[-1]
    with pytest.raises(PublishError):
        rollback(published, names[0])  # pruned
    # Pruning never removes the live version, even when it is the oldest.
    rollback(published, names[-3])
    prune(published, keep=1)
    assert current(published).version in versions(published)


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from warehouse.publish import Verdict, publish
    candidate, published = Path(sys.argv[1]), Path(sys.argv[2])
    print("ready", flush=True)
    while True:
        publish(candidate, published, keep=3, verdict=Verdict("pass"))
    """
)


def test_kill_9_during_publish_never_breaks_the_published_warehouse(tmp_path: Path) -> None:
    candidate, published = tmp_path / "candidate.duckdb", tmp_path / "published"
    _make_candidate(candidate, 7)
    publish(candidate, published, keep=3)
    rng = random.Random(20261129)
    root = Path(__file__).resolve().parents[1]
    trials = 12
    published_during = 0
    for trial in range(trials):
        before = set(versions(published))
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(candidate), str(published)],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        published_during += len(set(versions(published)) - before)
        assert _check_published(published) == 7, f"trial {trial}"
        # The candidate is never written by publishing: it still opens.
        with duckdb.connect(str(candidate), read_only=True) as con:
            assert con.execute("select count(*) from marts.fact").fetchall()[0][0] == ROWS
    # Leftovers of killed publications are cleaned by the next one, which succeeds.
    publish(candidate, published, keep=3)
    assert not list(published.glob(".*.tmp*"))
    print(f"\n{trials} kill -9 trials, {published_during} publications completed between kills")


def test_readers_see_no_error_while_publishing(tmp_path: Path) -> None:
    candidate, published = tmp_path / "candidate.duckdb", tmp_path / "published"
    _make_candidate(candidate, 0)
    publish(candidate, published, keep=2)
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: set[int] = set()
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            try:
                con = connect_current(published)
                try:
                    count, distinct, marker = con.execute(
                        "select count(*), count(distinct marker), any_value(marker) from marts.fact"
                    ).fetchall()[0]
                finally:
                    con.close()
                assert (count, distinct) == (ROWS, 1), "a reader saw a mix of versions"
                seen.add(int(marker))
                reads[0] += 1
            except BaseException as exc:  # every failure is a test failure
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for marker in range(1, 9):
            _make_candidate(candidate, marker)
            publish(candidate, published, keep=2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(seen) >= 2, f"readers should have seen several versions, saw {seen}"
    print(f"\n{reads[0]} reads during 8 publications, versions seen: {sorted(seen)}")


def test_duckdb_memory_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The heavy DuckDB work outside dbt (serving stores, gate profiles) runs under the same memory limit
    as dbt's profile: DuckDB's own default, 80 % of RAM, let a 1 M-pupil lookup store reach 16 GB."""
    import duckdb

    from massar.settings import MEMORY_LIMIT_ENV, export_environment, limit_memory

    con = duckdb.connect()
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")
    limit_memory(con)
    setting = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    assert setting == "953.6 MiB"  # 1 GB = 10^9 bytes, shown in MiB
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB'; drop table x; --")
    with pytest.raises(ValueError, match=MEMORY_LIMIT_ENV):
        limit_memory(con)
    with pytest.raises(ValueError, match=MEMORY_LIMIT_ENV):  # nor handed to dbt's profile
        export_environment()
