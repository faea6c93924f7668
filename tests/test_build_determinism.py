"""Two dbt builds of the same lake are identical, table by table, to the bit.

A synthetic home (400 pupils x 2 school years, seed 7) is ingested once, then built twice from scratch into
two candidate files, each with its restricted file (separate dbt target folders). Every table of every schema
of the two candidates, and of the two restricted files, is compared strictly: the same columns and types,
the same row count and the same content checksum. The
checksum is the sum over the rows of DuckDB's hash of the whole row (a multiset hash: row order does not
matter, a duplicated or changed row does), so two doubles that differ in their last bit (10.398437499999998
and 10.3984375) differ. On a difference, the message names the table and the columns whose own checksums
differ.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
DBT = str(Path(sys.executable).with_name("dbt"))
PUPILS, YEARS, SEED = 400, 2, 7

Fingerprint = tuple[tuple[tuple[str, str], ...], int, int, dict[str, int]]


def table_fingerprints(database: Path) -> dict[str, Fingerprint]:
    """Per table (schema.table): its columns and types, row count, row-set checksum and per-column
    checksums (sums of hash() as HUGEINT: no overflow, independent of row order)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_type = 'BASE TABLE' order by all"
        ).fetchall()
        found: dict[str, Fingerprint] = {}
        # catalog-qualified: the restricted file is named `restricted` and holds a schema of that name
        catalog = con.execute("select current_database()").fetchone()[0]
        for schema, table in tables:
            columns = tuple(
                con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_catalog = current_database() and table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    [schema, table],
                ).fetchall()
            )
            per_column = "".join(f', sum(hash(r."{name}")::hugeint)' for name, _ in columns)
            checksums = f"count(*), coalesce(sum(hash(r)::hugeint), 0){per_column}"
            row = con.execute(f'select {checksums} from "{catalog}"."{schema}"."{table}" as r').fetchone()
            assert row is not None
            found[f"{schema}.{table}"] = (
                columns,
                row[0],
                row[1],
                {name: value for (name, _), value in zip(columns, row[2:], strict=True)},
            )
        return found
    finally:
        con.close()


def differences(first: dict[str, Fingerprint], second: dict[str, Fingerprint]) -> list[str]:
    """Human-readable list of the tables that differ (missing, columns, rows or content)."""
    out = []
    for name in sorted(first.keys() | second.keys()):
        if name not in first or name not in second:
            out.append(f"{name}: only in one build")
            continue
        (cols_a, rows_a, sum_a, per_a), (cols_b, rows_b, sum_b, per_b) = first[name], second[name]
        if cols_a != cols_b:
            out.append(f"{name}: columns differ")
        elif rows_a != rows_b:
            out.append(f"{name}: {rows_a} rows vs {rows_b}")
        elif sum_a != sum_b:
            changed = [column for column in per_a if per_a[column] != per_b[column]]
            out.append(f"{name}: content differs in {changed}")
    return out


def restricted_of(db: Path) -> Path:
    """The restricted file dbt builds beside the warehouse file ``db`` (one per build here)."""
    folder = db.parent / f"{db.stem}-restricted"
    folder.mkdir(exist_ok=True)
    return folder / "restricted.duckdb"


def dbt(work: Path, lake: Path, name: str, *args: str) -> None:
    env = {
        **os.environ,
        "MASSAR_LAKE_DIR": str(lake),
        "MASSAR_CANDIDATE_DB": str(work / f"{name}.duckdb"),
        "MASSAR_RESTRICTED_DB": str(restricted_of(work / f"{name}.duckdb")),
        "DBT_PROFILES_DIR": str(DBT_DIR),
        "DBT_TARGET_PATH": str(work / f"target-{name}"),
        "DBT_LOG_PATH": str(work / f"logs-{name}"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    result = subprocess.run(
        [DBT, *args], cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from ingestion.loader import ingest_region, regions_in
    from synthetic.generate import DAILY_DAYS, generate

    work = tmp_path_factory.mktemp("determinism")
    exports, lake = work / "exports", work / "lake"
    # as `massar generate`: bulk files, then the last school days as daily drops with corrections
    generate(exports, pupils=PUPILS, seed=SEED, years=YEARS, fault_rate=0.01, daily_days=DAILY_DAYS)
    for region in regions_in(exports):
        for record in ingest_region(exports, lake, region):
            record.check()
    for name in ("first", "second"):
        # seeds and models only: data tests and unit tests write nothing the comparison reads
        dbt(work, lake, name, "seed")
        dbt(work, lake, name, "run", "--full-refresh")
    return work / "first.duckdb", work / "second.duckdb"


@pytest.mark.slow  # two full builds: about 3 min on a shared 2-core machine
def test_two_builds_of_the_same_lake_are_identical(two_builds: tuple[Path, Path]) -> None:
    first, second = (table_fingerprints(path) for path in two_builds)
    assert len(first) > 50, sorted(first)  # the whole warehouse, not an empty file
    assert "marts.fct_annual_result" in first and first["marts.fct_annual_result"][1] > 0
    assert differences(first, second) == []
    first, second = (table_fingerprints(restricted_of(path)) for path in two_builds)
    assert "restricted.student_identity" in first and first["restricted.student_identity"][1] > 0
    assert differences(first, second) == []


def test_the_checksum_sees_the_last_bit_of_a_double(tmp_path: Path) -> None:
    """The comparison itself can fail: one average moved by one unit in the last place is a difference."""
    paths = []
    for name, value in (("a", 10.3984375), ("b", 10.398437499999998)):
        path = tmp_path / f"{name}.duckdb"
        con = duckdb.connect(str(path))
        con.execute("create schema marts")
        con.execute("create table marts.t as select 'k' as student_key, ?::double as annual_average", [value])
        con.close()
        paths.append(path)
    assert differences(*(table_fingerprints(path) for path in paths)) == [
        "marts.t: content differs in ['annual_average']"
    ]
