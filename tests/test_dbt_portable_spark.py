"""The portable macros (dbt/macros/portable) give the same results on DuckDB and on Spark SQL.

Each macro is rendered twice from its source, as dbt's adapter.dispatch would pick it (duckdb__ for
DuckDB; spark__, else default__, for Spark), run on the same small table in DuckDB and in a local Spark
session, and both results are compared with values worked out by hand. Needs pyspark and Java
(skipped without them); slow: a Spark session starts in about 10 s.
"""

from __future__ import annotations

import datetime as dt
import shutil
import types
from pathlib import Path

import duckdb
import jinja2
import pytest

pytestmark = pytest.mark.slow

MACROS = Path(__file__).resolve().parents[1] / "dbt" / "macros"
SALT = "test-salt"


class _Adapter:
    """adapter.dispatch as dbt resolves it for this project: <engine>__name, else default__name."""

    def __init__(self, engine: str, columns_of) -> None:
        self.engine = engine
        self.module = None
        self._columns_of = columns_of

    def dispatch(self, name: str, namespace: str):
        assert namespace == "massar"
        for prefix in (self.engine, "default"):
            macro = getattr(self.module, f"{prefix}__{name}", None)
            if macro is not None:
                return macro
        raise LookupError(name)

    def get_columns_in_relation(self, relation: str):
        return [types.SimpleNamespace(name=name) for name in self._columns_of(relation)]


def _macros(engine: str, columns_of=lambda relation: []):
    """The portable macros (and student_key) as callables rendering SQL for `engine`."""
    source = "\n".join(path.read_text() for path in sorted((MACROS / "portable").glob("*.sql")))
    source += (MACROS / "student_key.sql").read_text() + (MACROS / "rounded_average.sql").read_text()
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    adapter = _Adapter(engine, columns_of)
    env.globals.update(
        {
            # a dbt macro's `return(x)` is its value: these macros return after everything else rendered
            "return": lambda value: value,
            "adapter": adapter,
            "dbt": types.SimpleNamespace(type_string=lambda: "string" if engine == "spark" else "text"),
            "execute": True,
            "var": lambda name: {"pseudonym_salt": SALT}[name],
        }
    )
    module = env.from_string(source).make_module()
    adapter.module = module
    return module


@pytest.fixture(scope="module")
def spark():
    pyspark_sql = pytest.importorskip("pyspark.sql")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("massar-portable-macros")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


# name: (columns as "name type" with Spark types, rows)
TABLES = {
    "scores": (
        [("g", "int"), ("v", "string"), ("o", "int")],
        [(1, "a", 1), (1, "b", 3), (1, "c", 2), (2, "x", 5), (2, None, 7), (3, None, 1)],
    ),
    "days": (
        [("d", "date")],
        [(dt.date(2024, 2, 28),), (dt.date(2024, 3, 1),), (dt.date(2024, 3, 3),), (None,)],
    ),
    "texts": (
        [("s", "string")],
        [
            ('{"student_code": "S1", "school_year": "2024-2025"}',),
            ('{"school_year": "x2024-2025"}',),
            ("/lake/_deletions/enrollments/school_year=2024-2025/region_code=01/b1.parquet",),
            ("C:\\lake\\_deletions\\pupils\\school_year=2024-2025\\b2.parquet",),
            ("abc",),
        ],
    ),
}


def _duckdb(sql: str) -> list[tuple]:
    con = duckdb.connect()
    for name, (columns, rows) in TABLES.items():
        ddl = ", ".join(f"{c} {'varchar' if t == 'string' else t}" for c, t in columns)
        con.execute(f"create table {name} ({ddl})")
        if rows:
            con.executemany(f"insert into {name} values ({', '.join('?' for _ in columns)})", rows)
    return [tuple(row) for row in con.execute(sql).fetchall()]


def _spark(spark, sql: str) -> list[tuple]:
    for name, (columns, rows) in TABLES.items():
        schema = ", ".join(f"{c} {t}" for c, t in columns)
        spark.createDataFrame(rows, schema).createOrReplaceTempView(name)
    return [tuple(row) for row in spark.sql(sql).collect()]


def _both(spark, template: str, columns_of=lambda relation: []) -> tuple[list[tuple], list[tuple]]:
    """The query rendered for each engine (`m` is the macros module), run on each engine."""
    env = jinja2.Environment()
    results = []
    for engine, run in (("duckdb", _duckdb), ("spark", lambda sql: _spark(spark, sql))):
        sql = env.from_string(template).render(m=_macros(engine, columns_of))
        results.append(run(sql))
    return results[0], results[1]


def test_value_at_max_and_min(spark) -> None:
    duck, sparked = _both(
        spark,
        "select g, {{ m.value_at_max('v', 'o') }} as hi, {{ m.value_at_min('v', 'o') }} as lo "
        "from scores where g < 3 and v is not null group by g order by g",
    )
    assert duck == sparked == [(1, "b", "a"), (2, "x", "x")]


def test_sorted_distinct_join(spark) -> None:
    duck, sparked = _both(
        spark,
        "select g, {{ m.sorted_distinct_join('v', \"','\") }} as vs from "
        "(select g, v from scores union all select 1, 'b') as s group by g order by g",
    )
    assert duck == sparked == [(1, "a,b,c"), (2, "x"), (3, None)]


def test_date_series_iso_weekday_and_add_days(spark) -> None:
    duck, sparked = _both(
        spark,
        "select d, cast({{ m.iso_weekday('d') }} as integer) as wd from ("
        "select {{ m.date_series(\"cast('2024-02-27' as date)\", \"cast('2024-03-04' as date)\") }} as d"
        ") as s order by d",
    )
    expected = [
        (dt.date(2024, 2, 27), 2),
        (dt.date(2024, 2, 28), 3),
        (dt.date(2024, 2, 29), 4),
        (dt.date(2024, 3, 1), 5),
        (dt.date(2024, 3, 2), 6),
        (dt.date(2024, 3, 3), 7),
        (dt.date(2024, 3, 4), 1),
    ]
    assert duck == sparked == expected
    duck, sparked = _both(
        spark,
        "select d, {{ m.add_days('d', 1) }} as next_day, {{ m.add_days('d', -1) }} as previous_day "
        "from days order by d nulls last",
    )
    assert (
        duck
        == sparked
        == [
            (dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2024, 2, 27)),
            (dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(2024, 2, 29)),
            (dt.date(2024, 3, 3), dt.date(2024, 3, 4), dt.date(2024, 3, 2)),
            (None, None, None),
        ]
    )


def test_string_functions(spark) -> None:
    # JSON texts only: on a malformed one DuckDB fails where Spark returns null
    duck, sparked = _both(
        spark,
        "select {{ m.json_text('s', \"'$.student_code'\") }} as code,"
        " {{ m.regex_full_match(m.json_text('s', \"'$.school_year'\"), '[0-9]{4}-[0-9]{4}') }} as year_ok"
        " from texts where substr(s, 1, 1) = '{' order by s",
    )
    assert duck == sparked == [(None, False), ("S1", True)]
    duck, sparked = _both(
        spark,
        "select s,"
        " {{ m.path_folder_after('s', '_deletions') }} as entity,"
        " {{ m.sha256_hex('s') }} as digest,"
        " cast(length(s) as {{ m.string_type() }}) as n"
        " from texts order by s",
    )
    assert duck == sparked
    by_text = {row[0]: row[1:] for row in duck}
    assert by_text["abc"] == ("", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "3")
    assert (
        by_text["/lake/_deletions/enrollments/school_year=2024-2025/region_code=01/b1.parquet"][0]
        == "enrollments"
    )
    assert by_text["C:\\lake\\_deletions\\pupils\\school_year=2024-2025\\b2.parquet"][0] == "pupils"


def test_student_key(spark) -> None:
    import hashlib

    duck, sparked = _both(spark, "select {{ m.student_key('v') }} as k from scores where v = 'a'")
    assert duck == sparked == [(hashlib.sha256(f"{SALT}a".encode()).hexdigest()[:16],)]


def test_with_columns(spark) -> None:
    columns = {"scores": ["g", "v", "o"]}
    template = (
        "select g, v, o, extra, note from ("
        "{{ m.with_columns('scores', [('o', 'bigint'), ('extra', 'bigint'), ('note', 'varchar')]) }}"
        ") as s where g = 1 order by o"
    )
    duck, sparked = _both(spark, template, columns_of=lambda relation: columns[relation])
    assert duck == sparked == [(1, "a", 1, None, None), (1, "c", 2, None, None), (1, "b", 3, None, None)]
    duck, sparked = _both(
        spark, "select count(*), max(note) from ({{ m.with_columns(none, [('note', 'varchar')]) }}) as s"
    )
    assert duck == sparked == [(0, None)]


def test_round_half_up_ratio(spark) -> None:
    # 10.395 and 31.1875 / 3 = 10.3958... go up to 10.40; 1/3 -> 0.33; 2/3 -> 0.67; 0.125 -> 0.13; x/0 -> null
    duck, sparked = _both(
        spark,
        "select k, {{ m.round_half_up_ratio('n', 'd') }} as r from (values"
        " (1, 10.395, 1), (2, 31.1875, 3), (3, 1, 3), (4, 2, 3), (5, 0.125, 1),"
        " (6, 5, 0), (7, 123456.78, 0.5)"
        ") as t (k, n, d) order by k",
    )
    assert (
        duck == sparked == [(1, 10.4), (2, 10.4), (3, 0.33), (4, 0.67), (5, 0.13), (6, None), (7, 246913.56)]
    )
