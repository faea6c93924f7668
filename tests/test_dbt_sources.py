"""The dbt side of the contracts is generated (ingestion/dbt_sources.py) and matches what is committed,
what the loader writes to the lake and what the staging views return."""

from __future__ import annotations

import dataclasses
import difflib
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from ingestion import dbt_sources
from ingestion.contracts import CONTRACTS
from ingestion.contracts.base import Column

REPO = Path(__file__).resolve().parents[1]

#: DuckDB type of each contract type, written here by hand (not read from the generator).
DUCKDB_TYPE = {"string": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "date": "DATE", "bool": "BOOLEAN"}


def _tables() -> dict[str, dict]:
    text = (REPO / dbt_sources.SOURCES_FILE).read_text(encoding="utf-8")
    (source,) = yaml.safe_load(text)["sources"]
    return {table["name"]: table for table in source["tables"]}


def test_committed_dbt_files_are_the_generated_ones(tmp_path: Path) -> None:
    """Regenerate into a scratch folder: every file must equal the committed one."""
    written = dbt_sources.write(tmp_path)
    assert len(written) == len(CONTRACTS) + 2
    stale = []
    for path in written:
        relative = path.relative_to(tmp_path)
        committed = REPO / relative
        new = path.read_text(encoding="utf-8")
        old = committed.read_text(encoding="utf-8") if committed.is_file() else ""
        if new != old:
            diff = difflib.unified_diff(
                old.splitlines(), new.splitlines(), "committed", "generated", lineterm=""
            )
            stale.append(f"{relative}:\n" + "\n".join(list(diff)[:12]))
    assert not stale, (
        f"generated dbt files differ from the contracts: run `{dbt_sources.COMMAND}` "
        "(or `python -m ingestion.dbt_sources`) and commit the result\n\n" + "\n\n".join(stale)
    )


def test_a_stale_file_is_reported(tmp_path: Path) -> None:
    """The check must see a hand edit of a generated file (a copy of the repository's files)."""
    staging_models = [p.relative_to(REPO) for p in (REPO / dbt_sources.STAGING_DIR).glob("*.sql")]
    for relative in [*dbt_sources.render(), *staging_models]:  # the models say which drop sensitive columns
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / relative, target)
    assert dbt_sources.stale(tmp_path) == []
    edited = tmp_path / dbt_sources.STAGING_DIR / "stg_massar__absences.yml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("data_type: date", "data_type: varchar", 1))
    assert dbt_sources.stale(tmp_path) == [dbt_sources.STAGING_DIR / "stg_massar__absences.yml"]


def test_a_new_contract_column_reaches_every_generated_file() -> None:
    contract = CONTRACTS["absences"]
    remark = Column("remark", "string", "Free remark of the teacher.", required=False)
    changed = dataclasses.replace(contract, columns=(*contract.columns, remark))
    (source,) = yaml.safe_load(dbt_sources.render_sources([changed]))["sources"]
    table = next(t for t in source["tables"] if t["name"] == "absences")
    column = next(c for c in table["columns"] if c["name"] == "remark")
    assert column == {
        "name": "remark",
        "description": "Free remark of the teacher. Optional (null when not exported).",
        "data_type": "varchar",
    }
    assert table["config"]["meta"]["primary_key"] == list(contract.primary_key)
    assert "['remark', 'varchar', false]" in dbt_sources.render_contract_macro([changed])
    committed = (REPO / dbt_sources.STAGING_DIR / "stg_massar__absences.yml").read_text(encoding="utf-8")
    staging = yaml.safe_load(dbt_sources.render_staging_yml(changed, committed))
    (model,) = staging["models"]
    assert [c["name"] for c in model["columns"]][-3:] == ["remark", "_drop_date", "_batch_id"]
    # the hand-written part is kept
    assert model["description"] == yaml.safe_load(committed)["models"][0]["description"]


def test_every_contract_is_a_source_table_with_its_columns() -> None:
    tables = _tables()
    for name, contract in CONTRACTS.items():
        table = tables[name]
        names = [c["name"] for c in table["columns"]]
        assert names[: len(contract.columns)] == contract.column_names, name
        for column, declared in zip(contract.columns, table["columns"], strict=False):
            assert declared["data_type"].upper() == DUCKDB_TYPE[column.dtype], (name, column.name)
            assert declared["description"].startswith(column.description), (name, column.name)
        assert table["config"]["meta"]["primary_key"] == list(contract.primary_key), name


def test_source_types_are_those_of_the_lake(pipeline_home: Path) -> None:
    """The declared type of every column is the type DuckDB reads from the Parquet files the loader wrote."""
    lake = pipeline_home / "lake"
    con = duckdb.connect()
    checked = 0
    for name, table in _tables().items():
        if name not in CONTRACTS or not any((lake / name).glob("*/*/*.parquet")):
            continue
        glob = (lake / name / "*" / "*" / "*.parquet").as_posix()
        described = con.execute(
            "describe select * from read_parquet(?, hive_partitioning = true, union_by_name = true, "
            "hive_types = {'school_year': 'VARCHAR', 'region_code': 'VARCHAR'})",
            [glob],
        ).fetchall()
        in_lake = {row[0]: row[1] for row in described}
        declared = {c["name"]: c["data_type"].upper() for c in table["columns"]}
        assert declared == in_lake, name
        checked += 1
    assert checked >= 8


def test_staging_views_have_the_contract_columns(published_db: Path, restricted_db: Path) -> None:
    """Each staging view has its contract's columns, typed, then the lineage columns: in the analysts'
    file without the sensitive columns where its model drops them; the pupils' view in the restricted
    file, whole."""
    for name, contract in CONTRACTS.items():
        db = restricted_db if name == "pupils" else published_db
        sql = (REPO / dbt_sources.STAGING_DIR / f"stg_massar__{name}.sql").read_text(encoding="utf-8")
        drops = dbt_sources.DROPS_SENSITIVE in sql
        with duckdb.connect(str(db), read_only=True) as con:
            rows = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'staging' and table_name = ? order by ordinal_position",
                [f"stg_massar__{name}"],
            ).fetchall()
        expected = [(c.name, DUCKDB_TYPE[c.dtype]) for c in contract.columns if not (drops and c.sensitive)]
        assert rows == [*expected, ("_drop_date", "DATE"), ("_batch_id", "VARCHAR")], name


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_entity_staging_model_is_the_macro_call(name: str) -> None:
    sql = (REPO / dbt_sources.STAGING_DIR / f"stg_massar__{name}.sql").read_text(encoding="utf-8")
    assert f"{{{{ massar_staging('{name}'" in sql
