"""The parent lookup's serving store is updated incrementally at publish: only the pupils whose serving
rows changed are rebuilt, the result equals a full rebuild, and a reader sees the old store or the new one.

Runs on a copy of the restricted file of the session's real pipeline run (``restricted_db``: the lookup's
serving models are built there, not in the published warehouse), changed with independent SQL: one pupil's
absences, another's subject averages, a third's secret, a pupil removed and a pupil added.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from dashboards.public.store import ServingStore
from warehouse.serving import build_lookup_store, update_lookup_store

STORE_TABLES = ("lookup.pupil", "lookup.card", "meta.pupil_digest")


def _codes(db: Path) -> list[str]:
    """Pupils of the published lookup with absences and subject results (the ones the changes touch)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            code
            for (code,) in con.execute(
                "select student_code from serving.lookup_pupil "
                "where student_code in (select student_code from serving.lookup_absence) "
                "and student_code in (select student_code from serving.lookup_subject_result) "
                "order by student_code limit 4"
            ).fetchall()
        ]


def _change(db: Path, codes: list[str]) -> set[str]:
    """Change the serving rows of some pupils in ``db``; returns the codes whose answer changed."""
    absent, graded, secret, removed = codes
    added = "Z999999999"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "delete from serving.lookup_absence where student_code = ? and absence_date = "
            "(select min(absence_date) from serving.lookup_absence where student_code = ?)",
            [absent, absent],
        )
        con.execute(
            "insert into serving.lookup_absence (student_code, absence_date, sessions, justified) "
            "select student_code, date '2000-01-03', 1, true from serving.lookup_pupil "
            "where student_code = ?",
            [absent],
        )
        con.execute(
            "update serving.lookup_subject_result set average = 20 - average where student_code = ?", [graded]
        )
        con.execute(
            "update serving.lookup_pupil set secret_hash = 'changed' where student_code = ?", [secret]
        )
        for table in ("pupil", "subject_result", "absence", "timetable", "exam", "exam_calendar"):
            con.execute(f"delete from serving.lookup_{table} where student_code = ?", [removed])
        con.execute(
            "insert into serving.lookup_pupil select * replace (? as student_code) from serving.lookup_pupil "
            "where student_code = ?",
            [added, absent],
        )
        con.execute(
            "insert into serving.lookup_timetable select * replace (? as student_code) "
            "from serving.lookup_timetable where student_code = ?",
            [added, absent],
        )
    return {absent, graded, secret, removed, added}


def _differences(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: rows, rows of ``a`` missing from ``b``, rows of ``b`` missing from ``a``."""
    out = {}
    with duckdb.connect() as con:
        con.execute("attach ? as a (read_only)", [str(a)])
        con.execute("attach ? as b (read_only)", [str(b)])
        for table in STORE_TABLES:
            rows = con.execute(f"select count(*) from a.{table}").fetchall()[0][0]
            only_a = con.execute(
                f"select count(*) from (select * from a.{table} except all select * from b.{table})"
            ).fetchall()[0][0]
            only_b = con.execute(
                f"select count(*) from (select * from b.{table} except all select * from a.{table})"
            ).fetchall()[0][0]
            out[table] = (rows, only_a, only_b)
    return out


@pytest.fixture(scope="module")
def versions(restricted_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, set[str]]:
    """The restricted file of the session's build (old) and a copy with changed serving rows (new)."""
    folder = tmp_path_factory.mktemp("lookup-incremental")
    old, new = folder / "old.duckdb", folder / "new.duckdb"
    shutil.copyfile(restricted_db, old)
    shutil.copyfile(restricted_db, new)
    codes = _codes(old)
    assert len(codes) == 4, "the pipeline run should give pupils with absences and grades"
    return old, new, _change(new, codes)


def test_incremental_update_equals_a_full_rebuild(
    versions: tuple[Path, Path, set[str]], tmp_path: Path
) -> None:
    old, new, changed = versions
    store, full = tmp_path / "parent_lookup.duckdb", tmp_path / "full.duckdb"
    build_lookup_store(old, store)
    before = _differences(store, build_lookup_store(new, full))
    assert before["lookup.pupil"][1:] != (0, 0), "the changes must show in the store"

    update = update_lookup_store(new, store)

    assert update.mode == "incremental" and update.changed_pupils == len(changed)
    after = _differences(store, full)
    assert all((only_old, only_new) == (0, 0) for _rows, only_old, only_new in after.values()), after
    with duckdb.connect(str(store), read_only=True) as con:
        codes = {c for (c,) in con.execute("select student_code from lookup.card").fetchall()}
        assert "Z999999999" in codes and len(codes) == after["lookup.card"][0]
        assert con.execute("select mode, changed_pupils from meta.build").fetchall() == [
            ("incremental", len(changed))
        ]
    # Nothing changed since: an update rebuilds nobody.
    assert update_lookup_store(new, store).changed_pupils == 0


def test_update_falls_back_to_a_full_build(versions: tuple[Path, Path, set[str]], tmp_path: Path) -> None:
    """No store, or a store without digests (built before them): a full build, equal to one."""
    old, new, _changed = versions
    store = tmp_path / "parent_lookup.duckdb"
    assert update_lookup_store(old, store).mode == "full"
    with duckdb.connect(str(store)) as con:
        con.execute("drop schema meta cascade")
    update = update_lookup_store(new, store)
    assert update.mode == "full" and "digests" in update.reason
    full = build_lookup_store(new, tmp_path / "full.duckdb")
    assert all(a == b == 0 for _rows, a, b in _differences(store, full).values())


def test_a_reader_sees_the_old_store_or_the_new_one(
    versions: tuple[Path, Path, set[str]], tmp_path: Path
) -> None:
    """While the store is patched, a reader keeps getting whole answers of the old store or the new one;
    once the new store is in place, the same reader (no restart) gets the new answer."""
    old, new, changed = versions
    store_file = build_lookup_store(old, tmp_path / "parent_lookup.duckdb")
    expected_new = build_lookup_store(new, tmp_path / "full.duckdb")
    code = sorted(changed - {"Z999999999"})[0]

    def answer(store: ServingStore, pupil: str) -> tuple[object, ...] | None:
        card = store.card(pupil)
        if card is None:
            return None
        return (
            tuple(sorted(card.pupil.items())),
            tuple(card.absences.rows()),
            tuple(card.subject_results.rows()),
            tuple(card.timetable.rows()),
        )

    reader = ServingStore(store_file)
    old_answers = {c: answer(reader, c) for c in changed}
    new_answers = {c: answer(ServingStore(expected_new), c) for c in changed}
    assert any(old_answers[c] != new_answers[c] for c in changed)

    done = threading.Event()
    errors: list[BaseException] = []

    def update() -> None:
        try:
            update_lookup_store(new, store_file)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            done.set()

    seen = []
    thread = threading.Thread(target=update)
    thread.start()
    while not done.is_set():
        for c in changed:
            got = answer(reader, c)
            assert got in (old_answers[c], new_answers[c]), f"{c}: a mix of the old and new store"
            seen.append(got == new_answers[c])
        fresh = ServingStore(store_file)  # a reader opening while the update runs
        assert answer(fresh, code) in (old_answers[code], new_answers[code])
        fresh.close()
    thread.join()
    assert not errors, errors
    assert {c: answer(reader, c) for c in changed} == new_answers  # the same reader, the new store
    assert seen, "the reader should have read during the update"


def _candidate(published_db: Path, restricted: Path) -> dict[str, object]:
    """Make the home's candidate a copy of ``published_db`` with ``restricted`` as its restricted file,
    declared a complete build; returns a passing gate verdict bound to it."""
    from massar.settings import paths
    from warehouse import build_record
    from warehouse.publish import candidate_fingerprint

    p = paths()
    p.restricted_db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(published_db, p.candidate_db)
    shutil.copyfile(restricted, p.restricted_db)
    build = build_record.seal(p.candidate_db, p.lake, "a copy standing in for a build")
    binding = {"candidate": candidate_fingerprint(p.candidate_db), "build": build["id"]}
    return {"publishable": True, "verdict": "pass", **binding}


def test_rollback_brings_the_serving_stores_back(
    versions: tuple[Path, Path, set[str]], published_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`massar rollback` switches the published pointer and the stores the public app reads: after
    publishing old then new and rolling back, the lookup store equals a full build of old, and the public
    statistics store names old as its source."""
    from massar import pipeline
    from massar.settings import HOME_ENV, paths
    from warehouse.publish import current
    from warehouse.serving import lookup_store_path, public_stats_store_path

    old, new, _changed = versions
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    published = paths().published_dir
    first = pipeline.publish_candidate(gate=_candidate(published_db, old))
    pipeline.publish_candidate(gate=_candidate(published_db, new))
    store = lookup_store_path()
    assert any(
        b for _rows, a, b in _differences(store, build_lookup_store(old, tmp_path / "o.duckdb")).values()
    )

    assert pipeline.rollback_version() == first

    assert current(published).version == first
    full_old = build_lookup_store(old, tmp_path / "full-old.duckdb")
    assert all((a, b) == (0, 0) for _rows, a, b in _differences(lookup_store_path(), full_old).values())
    with duckdb.connect(str(public_stats_store_path()), read_only=True) as con:
        assert con.execute("select source from stats.about").fetchall() == [(first,)]


def test_publishing_refreshes_the_stores_from_the_candidate_once_the_version_is_live(
    versions: tuple[Path, Path, set[str]], published_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``publish_candidate`` writes the serving stores from the candidate and its restricted file while the
    version is copied, and puts them in ``serving/<version>/`` before the version goes live: they then equal
    a full build of it and name it as their source. A publication refused after the stores were written
    leaves the stores as they were, with no stray file."""
    from massar import pipeline
    from massar.settings import HOME_ENV, paths
    from warehouse.publish import PublishError, current
    from warehouse.serving import followup_store_path, lookup_store_path, public_stats_store_path

    old, new, _changed = versions
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    p = paths()
    pipeline.publish_candidate(gate=_candidate(published_db, old))
    first = current(p.published_dir)
    binding = _candidate(published_db, new)
    stores = (lookup_store_path(), public_stats_store_path(), followup_store_path())
    before = {path: path.stat().st_mtime_ns for path in stores}

    with pytest.raises(PublishError):  # a critical verdict: refused after the stores were staged
        pipeline.publish_candidate(gate={**binding, "verdict": "blocked", "critical": 1})
    assert current(p.published_dir) == first
    assert {path: path.stat().st_mtime_ns for path in before} == before
    assert sorted(f.name for f in lookup_store_path().parent.iterdir()) == sorted(f.name for f in before)
    assert [f.name for f in lookup_store_path().parent.parent.iterdir()] == [first.version]

    name = pipeline.publish_candidate(gate=binding)
    assert current(p.published_dir).version == name
    full_new = build_lookup_store(new, tmp_path / "full-new.duckdb")
    assert all((a, b) == (0, 0) for _rows, a, b in _differences(lookup_store_path(), full_new).values())
    with duckdb.connect(str(lookup_store_path()), read_only=True) as con:
        assert con.execute("select source, mode from meta.build").fetchall() == [(name, "incremental")]
    with duckdb.connect(str(public_stats_store_path()), read_only=True) as con:
        assert con.execute("select source from stats.about").fetchall() == [(name,)]
    assert sorted(f.name for f in lookup_store_path().parent.iterdir()) == sorted(f.name for f in before)
