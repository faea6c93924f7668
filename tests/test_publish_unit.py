"""A published version is one unit: the warehouse file and its serving stores (parent lookup, public
statistics, directorates' follow-up), named by the version, all in place before ``CURRENT`` switches.
``kill -9`` of a publication at random instants, while readers of the three stores run: each reader always
reads the version ``CURRENT`` names (never a store of another version), and after every kill the three
belong to one version and the next publication works. Rollback and prune move the three together."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from publish_support import REPO, copy_home, home_at, massar, sealed_gate

from massar import pipeline
from massar.settings import paths
from warehouse.publish import current, validate_version, versions

CHILD = textwrap.dedent(
    """
    import json, sys
    from massar import pipeline
    gate = json.loads(sys.argv[1])
    print("ready", flush=True)
    while True:
        print(pipeline.publish_candidate(keep=20, gate=gate), flush=True)
    """
)


@pytest.fixture
def home(pipeline_home: Path, tmp_path: Path) -> Iterator[Path]:
    with home_at(copy_home(pipeline_home, tmp_path / "home")) as root:
        yield root


def _a_pupil() -> str:
    from dashboards.public.store import store_path

    with duckdb.connect(str(store_path()), read_only=True) as con:
        return str(con.execute("select min(student_code) from lookup.pupil").fetchall()[0][0])


def _assert_one_unit() -> str:
    """``CURRENT`` names a complete version whose two stores were built for it; returns the version."""
    from dashboards.data_access._core import published_warehouse
    from dashboards.public.stats_store import PublicStatsStore
    from dashboards.public.store import ServingStore

    live = current(paths().published_dir)
    assert live is not None
    validate_version(live.path)
    warehouse = published_warehouse()
    assert warehouse is not None and warehouse.version == live.version
    lookup = ServingStore()
    stats = PublicStatsStore()
    try:
        assert lookup.version == stats.version == live.version  # both check their own source on open
        assert lookup.card(_a_pupil()) is not None
        assert stats.threshold() > 0
    finally:
        lookup.close()
        stats.close()
    # the directorates' follow-up store of the same version (read by the dashboards' data access)
    followup = paths().home / "serving" / live.version / "directorate_followup.duckdb"
    with duckdb.connect(str(followup), read_only=True) as con:
        assert con.execute("select source from followup.about").fetchall() == [(live.version,)]
    return live.version


class Readers:
    """Threads reading the three stores as the dashboards and the public app do, recording what each read
    and any inconsistency: a store whose version is not the one ``CURRENT`` named around the read."""

    def __init__(self, pupil: str) -> None:
        self.pupil = pupil
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.reads = {"warehouse": 0, "lookup": 0, "stats": 0}
        self.seen: set[str] = set()
        self.threads = [threading.Thread(target=self._loop, args=(kind,)) for kind in self.reads]

    def __enter__(self) -> Readers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    @staticmethod
    def _version() -> str | None:
        from dashboards.public.store import current_version

        return current_version()

    def _loop(self, kind: str) -> None:
        from dashboards.data_access._core import published_warehouse
        from dashboards.public.stats_store import PublicStatsStore
        from dashboards.public.store import ServingStore

        lookup = ServingStore() if kind == "lookup" else None
        while not self.stop.is_set():
            try:
                before = self._version()
                if kind == "warehouse":
                    found = published_warehouse()
                    assert found is not None
                    with duckdb.connect(str(found.path), read_only=True) as con:
                        read = con.execute(
                            "select version from audit.publication order by published_at desc limit 1"
                        ).fetchall()[0][0]
                        assert con.execute("select count(*) from marts.dim_school").fetchall()[0][0] > 0
                elif kind == "lookup":
                    assert lookup is not None
                    cursor = lookup._cursor()
                    read = cursor.execute("select source from store.meta.build").fetchall()[0][0]
                    assert lookup.card(self.pupil) is not None
                else:
                    stats = PublicStatsStore()
                    try:
                        read = stats.version
                        assert stats.threshold() > 0
                    finally:
                        stats.close()
                after = self._version()
                if read not in (before, after):
                    self.errors.append(f"{kind} read {read} while CURRENT named {before} then {after}")
                self.seen.add(str(read))
                self.reads[kind] += 1
            except BaseException as exc:  # every failure is a test failure
                self.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                return
        if lookup is not None:
            lookup.close()


CRASH = textwrap.dedent(
    """
    import json, os, sys
    import warehouse.serving, warehouse.publish
    from massar import pipeline
    point, gate = sys.argv[1], json.loads(sys.argv[2])
    def die(*args, **kwargs):
        os._exit(9)
    def commit_one_then_die(staged):
        written, target = staged[0]
        os.replace(written, target)
        os._exit(9)
    if point == "stores staged":
        warehouse.serving.commit_stores = die
    elif point == "one store in place":
        warehouse.serving.commit_stores = commit_one_then_die
    else:  # "version in place": the warehouse file renamed, CURRENT not switched yet
        warehouse.publish._write_pointer = die
    pipeline.publish_candidate(keep=100, gate=gate)
    """
)


@pytest.mark.parametrize("point", ["stores staged", "one store in place", "version in place"])
def test_a_publication_dying_before_the_switch_changes_nothing_readers_see(home: Path, point: str) -> None:
    """A publication that dies (``os._exit``, as under ``kill -9``) at the instants that matter: readers
    still see the previous version, whole, with its stores; the next publication works and cleans up."""
    gate = sealed_gate(home)
    p = paths()
    before = _assert_one_unit()
    died = subprocess.run(
        [sys.executable, "-c", CRASH, point, json.dumps(gate)], cwd=REPO, capture_output=True, text=True
    )
    assert died.returncode == 9, died.stderr[-3000:]
    assert _assert_one_unit() == before
    leftovers = sorted(d.name for d in (p.home / "serving").iterdir() if d.is_dir() and d.name != before)
    assert len(leftovers) == 1  # the dead publication's stores (and, at the last point, its version)
    if point == "version in place":
        assert leftovers[0] in versions(p.published_dir)  # complete, listed, not current
    after = pipeline.publish_candidate(keep=100, gate=gate)
    assert _assert_one_unit() == after
    assert sorted(d.name for d in (p.home / "serving").iterdir() if d.is_dir()) == versions(p.published_dir)
    assert not [f for f in (p.home / "serving").rglob("*") if ".tmp" in f.name]
    assert not list(p.published_dir.glob(".*.tmp*"))


@pytest.mark.slow  # about 8 publications (a minute on a quiet machine, several under load)
def test_kill_9_during_publish_with_readers_of_the_three_stores(home: Path) -> None:
    gate = sealed_gate(home)
    first = _assert_one_unit()
    pupil = _a_pupil()
    rng = random.Random(20261207)
    trials, published_during = 8, 0
    with Readers(pupil) as readers:
        started = time.perf_counter()
        pipeline.publish_candidate(keep=20, gate=gate)  # uninterrupted: how long a publication takes
        duration = time.perf_counter() - started
        for trial in range(trials):
            before = set(versions(paths().published_dir))
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, json.dumps(gate)], cwd=REPO, stdout=subprocess.PIPE, text=True
            )
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 2.5 * duration))  # within the first or the second publication
            child.send_signal(signal.SIGKILL)
            child.wait()
            published_during += len(set(versions(paths().published_dir)) - before)
            _assert_one_unit()
            assert not readers.errors, (trial, readers.errors[:5])
    assert not readers.errors, readers.errors[:5]
    assert all(readers.reads.values()), readers.reads
    assert published_during and len(readers.seen) > 2, (published_during, readers.seen)
    # After the kills the next publication works and leaves no temporary file nor orphan store.
    last = pipeline.publish_candidate(keep=20, gate=gate)
    assert _assert_one_unit() == last
    p = paths()
    assert not list(p.published_dir.glob(".*.tmp*"))
    assert sorted(d.name for d in (p.home / "serving").iterdir() if d.is_dir()) == versions(p.published_dir)
    assert not [f for f in (p.home / "serving").rglob("*") if ".tmp" in f.name]
    listing = massar(home, "versions")
    assert listing.returncode == 0 and f"* {last}" in listing.stdout
    print(
        f"\npublish {duration:.1f} s; {trials} kill -9, {published_during} publications completed between "
        f"kills; reads {readers.reads}, versions seen {len(readers.seen)} (first {first})"
    )


def test_rollback_and_prune_move_the_three_files_together(home: Path) -> None:
    gate = sealed_gate(home)
    p = paths()
    first = _assert_one_unit()
    second = pipeline.publish_candidate(keep=100, gate=gate)
    assert _assert_one_unit() == second and first != second
    assert pipeline.rollback_version() == first
    assert _assert_one_unit() == first
    assert pipeline.rollback_version(second) == second
    third = pipeline.publish_candidate(keep=2, gate=gate)  # prunes the first version with its stores
    assert _assert_one_unit() == third
    assert versions(p.published_dir) == [second, third]
    assert sorted(d.name for d in (p.home / "serving").iterdir() if d.is_dir()) == [second, third]
    assert sorted(f.name for f in p.published_dir.glob("*.build.json")) == [
        f"{second}.build.json",
        f"{third}.build.json",
    ]
