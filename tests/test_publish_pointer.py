"""A damaged ``CURRENT`` (binary bytes, empty, a relative or absolute path, a version that does not exist)
is refused with a clear message, never decoded loosely nor followed outside ``published/``: by the
publication code, the ``massar`` commands (exit code 5, one line) and the dashboards; naming a version to
``massar rollback`` repairs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from publish_support import copy_home, home_at, last_line, massar
from streamlit.testing.v1 import AppTest

from dashboards.i18n import t
from warehouse.publish import (
    POINTER,
    CurrentPointerError,
    Verdict,
    connect_current,
    current,
    prune,
    publish,
    rollback,
    versions,
)

EXIT_BAD_CURRENT = 5  # docs/operations.md, "Exit codes"
PUBLIC_APP = Path(__file__).resolve().parents[1] / "dashboards" / "public" / "app.py"


def _garbage(outside: Path) -> dict[str, bytes]:
    return {
        "binary": b"\xff\xfe\x00\x9c\x81garbage\x00",
        "empty": b"",
        "relative path": b"../x\n",
        "absolute path": str(outside).encode() + b"\n",
        "missing version": b"v20990101T000000000000Z\n",
    }


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """Two small published versions, and a readable DuckDB file outside ``published/`` that a pointer
    with a path would reach."""
    candidate, folder = tmp_path / "candidate.duckdb", tmp_path / "published"
    for marker in (1, 2):
        with duckdb.connect(str(candidate)) as con:
            con.execute(f"create or replace table t as select {marker} as marker")
        publish(candidate, folder, verdict=Verdict("pass"))
    with duckdb.connect(str(tmp_path / "x.duckdb")) as con:
        con.execute("create table t as select 666 as marker")
    return folder


@pytest.mark.parametrize("kind", list(_garbage(Path("/x"))))
def test_a_damaged_pointer_is_refused_and_repaired_by_naming_a_version(published: Path, kind: str) -> None:
    outside = published.parent / "x.duckdb"
    (published / POINTER).write_bytes(_garbage(outside.with_suffix(""))[kind])
    with pytest.raises(CurrentPointerError, match=r"CURRENT (is damaged|names v20990101)"):
        current(published)
    with pytest.raises(CurrentPointerError):
        connect_current(published)
    names = versions(published)
    assert len(names) == 2
    assert prune(published, keep=1) == [] and versions(published) == names  # nothing pruned blindly
    restored = rollback(published, names[0])
    assert current(published) == restored
    with connect_current(published) as con:
        assert con.execute("select marker from t").fetchall() == [(1,)]


@pytest.fixture
def home(pipeline_home: Path, tmp_path: Path) -> Iterator[Path]:
    with home_at(copy_home(pipeline_home, tmp_path / "home")) as root:
        yield root


@pytest.mark.parametrize(
    "kind",
    ["binary", pytest.param("relative path", marks=pytest.mark.slow)],  # about 20 s each
)
def test_commands_and_dashboards_give_a_status_on_a_damaged_pointer(
    home: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards.data_access import published_warehouse
    from dashboards.public.stats_store import PublicStatsStore
    from dashboards.public.store import ServingStore, StoreNotCurrent

    published = home / "warehouse" / "published"
    live = current(published)
    assert live is not None
    (published / POINTER).write_bytes(_garbage(home / "x")[kind])

    listing = massar(home, "versions")
    assert listing.returncode == EXIT_BAD_CURRENT
    assert last_line(listing.stderr).startswith("no current version:")
    assert live.version in listing.stdout  # what a repair picks from is still listed
    for command in (("publish",), ("rollback",)):
        result = massar(home, *command)
        assert result.returncode == EXIT_BAD_CURRENT, (command, result.stderr[-2000:])
        assert "CURRENT is damaged" in last_line(result.stderr), result.stderr[-2000:]
        assert "Traceback" not in result.stderr
    assert not list(published.glob(".*.tmp*")) and versions(published) == [live.version]

    assert published_warehouse() is None  # the pages show their "nothing published" notice
    with pytest.raises(StoreNotCurrent):
        ServingStore()
    with pytest.raises(StoreNotCurrent):
        PublicStatsStore()
    monkeypatch.setenv("MASSAR_HOME", str(home))
    at = AppTest.from_file(str(PUBLIC_APP), default_timeout=120)
    at.run()
    at.switch_page("pages_public/public_statistics.py").run()
    assert not at.exception, at.exception
    assert t("public_stats.no_store", "fr") in [m.value for m in at.info]

    repaired = massar(home, "rollback", live.version)
    assert repaired.returncode == 0, repaired.stderr[-2000:]
    assert current(published) == live
    assert massar(home, "versions").returncode == 0
