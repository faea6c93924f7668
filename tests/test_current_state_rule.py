"""The current-state rule is defined once (``ingestion.state.ORDER_COLUMNS`` and the deletion rule) and
applied twice: by the ingestion's checks and the gate's reconciliation with polars, by dbt's staging in SQL
(macro ``lake_current_state``, ordered by the generated macro ``massar_version_order``). On the session
pipeline's lake (daily drops with late corrections, deletions), both give every entity the same rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.contracts import CONTRACTS
from ingestion.state import ORDER_COLUMNS, current_state

#: pupils' staging lives in the restricted file (identity), not in the published warehouse
ENTITIES = sorted(name for name in CONTRACTS if name != "pupils")
HIVE = {"school_year": pl.String(), "region_code": pl.String()}


def lake_rows(lake: Path, entity: str) -> pl.DataFrame:
    files = sorted((lake / entity).glob("*/*/*.parquet"))
    if not files:
        return pl.DataFrame()
    return pl.read_parquet(files, hive_partitioning=True, hive_schema=HIVE)


def test_the_generated_dbt_order_is_the_ingestion_order() -> None:
    macro = (Path(__file__).resolve().parents[1] / "dbt/macros/massar_contract.sql").read_text()
    assert f"return([{', '.join(repr(c) for c in ORDER_COLUMNS)}])" in macro


@pytest.mark.parametrize("entity", ENTITIES)
def test_dbt_staging_keeps_the_versions_ingestion_keeps(
    entity: str, pipeline_home: Path, published_db: Path
) -> None:
    lake = pipeline_home / "lake"
    versions = lake_rows(lake, entity)
    if versions.is_empty():
        pytest.skip(f"no {entity} in the session lake")
    key = list(CONTRACTS[entity].primary_key)
    deletions = lake_rows(lake / "_deletions", entity)
    expected = current_state(versions, key, deletions if deletions.height else None).select(*key, "_batch_id")
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        columns = ", ".join(f'"{c}"' for c in [*key, "_batch_id"])
        built = con.sql(f"select {columns} from staging.stg_massar__{entity}").pl()
    finally:
        con.close()
    built = built.cast(dict(expected.schema))
    missing = expected.join(built, on=[*key, "_batch_id"], how="anti", nulls_equal=True)
    extra = built.join(expected, on=[*key, "_batch_id"], how="anti", nulls_equal=True)
    assert (missing.height, extra.height) == (0, 0), (
        f"{entity}: {missing.height} current version(s) only in ingestion's state, {extra.height} only in "
        f"dbt's staging; e.g. {missing.head(3).to_dicts()} {extra.head(3).to_dicts()}"
    )


def test_the_lake_exercises_the_rule(pipeline_home: Path) -> None:
    """Corrections (a key with several versions) and deletions both occur, so the comparison above tests
    the ordering and the deletion rule, not only a lake where every key has one version."""
    lake = pipeline_home / "lake"
    corrected = deleted = 0
    for entity in ENTITIES:
        versions = lake_rows(lake, entity)
        if versions.is_empty():
            continue
        key = list(CONTRACTS[entity].primary_key)
        corrected += versions.group_by(key).len().filter(pl.col("len") > 1).height
        deleted += lake_rows(lake / "_deletions", entity).height
    assert corrected > 0 and deleted > 0, (corrected, deleted)
