"""The pupils' identity lives in the restricted file only, never in the analysts' published warehouse.

The identity columns are the ones the pupils' source contract marks sensitive (names in Latin and Arabic
script, birth date, guardian, parent-secret hash: ``ingestion/contracts/pupils.py``). On the session
pipeline's published version (``tests/conftest.py``, the real Airflow DAG): no table or view of any schema
has one of them, there is no ``restricted`` schema, no view reads the restricted file, and no table holds
the national pupil code (the marts' key is the salted ``student_key``, checked here against the home's
pseudonym key). The restricted file beside the candidate holds them (mode 0600 in a 0700 folder), and the
lookup store built from it answers (``tests/test_portal*.py``, ``tests/test_public_lookup.py``). A
restricted file changed after the build is refused like a changed candidate.
"""

from __future__ import annotations

import csv
import hashlib
import io
import stat
from pathlib import Path

import duckdb
import pytest

from ingestion.contracts import CONTRACTS
from ingestion.contracts.base import STUDENT_CODE

IDENTITY = frozenset(CONTRACTS["pupils"].sensitive_columns)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_contract_names_the_identity_columns() -> None:
    """The list the checks below use comes from the contract: names, birth date, guardian, secret hash."""
    columns = CONTRACTS["pupils"].column_names
    assert IDENTITY and set(columns) >= IDENTITY
    assert STUDENT_CODE.name in columns and STUDENT_CODE.name not in IDENTITY  # the key, checked apart


def test_the_published_warehouse_holds_no_identity(published_db: Path) -> None:
    with duckdb.connect(str(published_db), read_only=True) as con:
        columns = con.execute(
            "select c.table_schema, c.table_name, t.table_type, c.column_name "
            "from information_schema.columns c join information_schema.tables t "
            "using (table_catalog, table_schema, table_name)"
        ).fetchall()
        schemas = {s for (s,) in con.execute("select schema_name from duckdb_schemas()").fetchall()}
        views = con.execute(
            "select schema_name, view_name, sql from duckdb_views() where not internal"
        ).fetchall()
    assert len({(s, t) for s, t, _, _ in columns}) > 50, "the whole warehouse, not an empty file"
    assert [(s, t, c) for s, t, _, c in columns if c in IDENTITY] == []
    assert "restricted" not in schemas
    assert [(s, v) for s, v, sql in views if '"restricted".' in sql or " restricted." in sql] == []
    # Tables hold pseudonymous keys only (the lake views of staging and intermediate read the lake).
    assert [(s, t) for s, t, kind, c in columns if kind == "BASE TABLE" and c == STUDENT_CODE.name] == []


def test_the_marts_key_is_the_salted_pseudonym(pipeline_home: Path, published_db: Path) -> None:
    """Every student_key of dim_student is sha256(pseudonym key || a pupil code of the exports)[:16]."""
    from massar.settings.keys import server_key

    salt = server_key("pseudonym")
    codes = set()
    for path in (pipeline_home / "exports").glob("*/*/pupils*.csv"):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1256")
        for row in csv.reader(io.StringIO(text), delimiter=";"):
            codes.update(field.strip() for field in row)
    keys = {hashlib.sha256(salt + code.encode()).hexdigest()[:16] for code in codes if code}
    with duckdb.connect(str(published_db), read_only=True) as con:
        published = {k for (k,) in con.execute("select student_key from marts.dim_student").fetchall()}
    assert published and published <= keys


def test_the_restricted_file_holds_the_identity_privately(
    published_db: Path, restricted_db: Path, pipeline_home: Path
) -> None:
    assert _mode(restricted_db) == 0o600 and _mode(restricted_db.parent) == 0o700
    with duckdb.connect(str(restricted_db), read_only=True) as con:
        columns = {
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'restricted' and table_name = 'student_identity'"
            ).fetchall()
        }
        con.execute("attach ? as published (read_only)", [str(published_db)])
        matched, pupils = con.execute(
            "select count(i.student_key), count(*) from published.marts.dim_student d "
            "left join restricted.restricted.student_identity i using (student_key)"
        ).fetchall()[0]
    assert columns >= IDENTITY
    assert matched == pupils > 0
    stores = list((pipeline_home / "serving").glob("v*/parent_lookup.duckdb"))
    assert stores and all(_mode(store) == 0o600 for store in stores)


def test_a_restricted_file_changed_after_the_build_is_refused(tmp_path: Path) -> None:
    from massar.settings import restricted_companion
    from warehouse import build_record

    candidate, lake = tmp_path / "warehouse" / "candidate.duckdb", tmp_path / "lake"
    restricted = restricted_companion(candidate)
    restricted.parent.mkdir(parents=True)
    for db in (candidate, restricted):
        with duckdb.connect(str(db)) as con:
            con.execute("create table t as select 1 as x")
    build_record.seal(candidate, lake, "a test standing in for a build")
    build_record.verify(candidate, lake)

    with duckdb.connect(str(restricted)) as con:
        con.execute("insert into t values (2)")

    with pytest.raises(build_record.UnverifiedBuildError, match="written after its last recorded build"):
        build_record.verify(candidate, lake)
