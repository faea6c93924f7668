"""The dbt project built on Apache Spark gives the tables the DuckDB build gives (docs/scaling.md).

The session pipeline's lake (tests/conftest.py: 400 pupils, three school years, with faults, corrections
and deletions) is built again with `massar build --target spark` (dbt-spark's session method, local
mode), selecting the core marts and what they need; each table is read back from Spark (a DataFrame's
rows) and compared with the same table of the published DuckDB warehouse: the same columns, the same
number of rows, the same rows (sorted on every non-floating column), text, integers, dates and flags
equal, floating values equal within 1e-9 relative.

Slow (a JVM, and about fifty models built on a local Spark): `pytest -m spark`; CI runs it as a step of
its own (.ci/run).
"""

from __future__ import annotations

import datetime
import decimal
import logging
import math
import shutil
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")

pytestmark = [pytest.mark.slow, pytest.mark.spark]

#: schema.table of the core marts (and staging views) compared; the Spark build selects them and their parents
TABLES = [
    "staging.stg_massar__classes",
    "staging.stg_massar__enrollments",
    "staging.stg_massar__absences",
    "staging.stg_massar__grades",
    "marts.fct_enrollment",
    "marts.fct_enrollment_history",
    "marts.agg_flow_rates",
    "marts.fct_absence_daily",
    "marts.fct_attendance_ytd",
    "marts.fct_subject_average",
    "marts.fct_semester_result",
    "marts.fct_annual_result",
    "marts.fct_certificate_3ac",
    "marts.fct_baccalaureate",
    "marts.agg_survival",
]

RELATIVE_TOLERANCE = 1e-9


def _spark_available() -> bool:
    return shutil.which("java") is not None


def _normal(value: object) -> object:
    """One spelling per value across the two engines' Python types."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    return value


def _sort_key(row: tuple, float_columns: set[int]) -> tuple:
    """Rows ordered on every non-floating column (nulls first), then on the rounded floating ones."""
    key = []
    for i, value in enumerate(row):
        if i in float_columns:
            key.append((value is not None, round(value, 6) if value is not None else 0.0))
        else:
            key.append((value is not None, str(value) if value is not None else ""))
    return tuple(key)


def _same(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) or isinstance(right, float):
        if isinstance(left, bool) or isinstance(right, bool):
            return left == right
        left, right = float(left), float(right)
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return left == right


def compare(name: str, duck_columns: list[str], duck_rows: list, spark_columns: list[str], spark_rows: list):
    """The differences between a table's two builds, as messages (none: equal)."""
    if sorted(duck_columns) != sorted(spark_columns):
        return [
            f"{name}: columns differ: only DuckDB {sorted(set(duck_columns) - set(spark_columns))}, "
            f"only Spark {sorted(set(spark_columns) - set(duck_columns))}"
        ]
    if len(duck_rows) != len(spark_rows):
        return [f"{name}: {len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark"]
    order = [spark_columns.index(c) for c in duck_columns]
    duck = [tuple(_normal(v) for v in row) for row in duck_rows]
    spark = [tuple(_normal(row[i]) for i in order) for row in spark_rows]
    floats = {
        i
        for i in range(len(duck_columns))
        if any(isinstance(r[i], float) for r in duck) or any(isinstance(r[i], float) for r in spark)
    }
    duck.sort(key=lambda r: _sort_key(r, floats))
    spark.sort(key=lambda r: _sort_key(r, floats))
    problems = []
    for d, s in zip(duck, spark, strict=True):
        for i, column in enumerate(duck_columns):
            if not _same(d[i], s[i]):
                problems.append(f"{name}.{column}: DuckDB {d[i]!r} != Spark {s[i]!r} (row {d})")
                break
        if len(problems) >= 3:
            break
    return problems


def test_compare_finds_a_difference() -> None:
    """The comparison itself can fail: a changed value, a missing row, a far float are reported."""
    cols = ["k", "x"]
    assert compare("t", cols, [("a", 1.0)], ["x", "k"], [(1.0 + 1e-12, "a")]) == []
    assert compare("t", cols, [("a", 1.0)], cols, [("a", 1.001)])
    assert compare("t", cols, [("a", 1.0), ("b", 2.0)], cols, [("a", 1.0)])
    assert compare("t", cols, [("a", None)], cols, [("a", 0.0)])
    assert compare("t", ["k"], [("a",)], ["j"], [("a",)])


@pytest.mark.skipif(not _spark_available(), reason="no Java: apt-get install openjdk-17-jre-headless")
def test_core_marts_on_spark_equal_duckdb(pipeline_home: Path, published_db: Path) -> None:
    from pyspark.sql import SparkSession

    from massar import pipeline
    from massar.settings import paths

    # a fresh Spark warehouse and metastore for this session's home
    shutil.rmtree(paths().spark_dir, ignore_errors=True)
    selectors = ["+" + table.split(".", 1)[1] for table in TABLES]
    pipeline.build_on_spark(select=selectors, tests=False)

    spark_dir = paths().spark_dir
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(spark_dir / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={spark_dir}/metastore_db;create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_dir}")
        # the lake views' reading settings, as in the profile (dbt/profiles.yml, target spark)
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.parquet.mergeSchema", "true")
        .enableHiveSupport()
        .getOrCreate()
    )
    # py4j logs its connections' closing at interpreter exit, after pytest closed the log streams
    logging.getLogger("py4j").setLevel(logging.WARNING)
    problems = []
    try:
        with duckdb.connect(str(published_db), read_only=True) as con:
            for table in TABLES:
                rel = con.sql(f"select * from {table}")
                duck_columns, duck_rows = rel.columns, rel.fetchall()
                frame = spark.table(table)
                spark_rows = [tuple(row) for row in frame.collect()]
                problems += compare(table, duck_columns, duck_rows, frame.columns, spark_rows)
                assert duck_rows, f"{table} is empty on DuckDB: nothing compared"
    finally:
        spark.stop()
    assert not problems, "\n".join(problems)
