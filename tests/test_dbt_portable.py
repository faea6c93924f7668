"""The dbt models are written in SQL that DuckDB and Spark SQL both run.

Every DuckDB-only function or syntax goes through an adapter-dispatched macro of dbt/macros/portable
(README.md there). This test reads the SQL each model writes itself (Jinja tags and comments removed:
macro calls are the portable way) and lists, as file:line, each DuckDB-only construct it finds.
"""

from __future__ import annotations

import re
from pathlib import Path

MODELS = Path(__file__).resolve().parents[1] / "dbt" / "models"

# (name, pattern): DuckDB-only functions and syntax, each with the portable macro or rewrite to use.
DUCKDB_ONLY: list[tuple[str, str]] = [
    ("qualify (a subquery with row_number() instead)", r"\bqualify\b"),
    ("arg_max / arg_min (value_at_max, value_at_min)", r"\barg_(?:max|min)(?:_null)?\s*\("),
    ("generate_series / range (date_series)", r"\b(?:generate_series|range)\s*\("),
    ("unnest (date_series)", r"\bunnest\s*\("),
    ("isodow / dayofweek / strftime (iso_weekday)", r"\b(?:isodow|isoyear|dayofweek|strftime|strptime)\s*\("),
    ("epoch (date macros)", r"\bepoch(?:_ms|_us|_ns)?\s*\("),
    (
        "date_diff / date_sub / date_add (dbt.datediff, add_days)",
        r"\b(?:date_diff|datediff|date_sub|date_add)\s*\(",
    ),
    ("interval literal arithmetic (add_days)", r"\binterval\b"),
    (
        "string_agg / listagg / list functions (sorted_distinct_join)",
        r"\b(?:string_agg|listagg|group_concat)\s*\(",
    ),
    ("list / struct functions", r"\b(?:list|array_agg|struct_pack|list_[a-z_]+|array_[a-z_]+)\s*\("),
    ("regexp_* (regex_full_match, path_folder_after)", r"\bregexp_[a-z_]+\s*\("),
    ("json_* (json_text)", r"\bjson_[a-z_]+\s*\("),
    ("sha256 / md5 / hash (sha256_hex)", r"\b(?:sha256|sha1|md5|hash)\s*\("),
    (
        "read_parquet / read_csv / glob (lake sources)",
        r"\b(?:read_parquet|read_csv(?:_auto)?|read_json|glob)\s*\(",
    ),
    ("if() / iif() (case when)", r"\b(?:if|iif)\s*\("),
    ("columns(...) star expression", r"\bcolumns\s*\("),
    ("select * exclude / replace (name the columns)", r"\*\s*(?:exclude|replace)\b"),
    ("union [all] by name (with_columns)", r"\bunion\s+(?:all\s+)?by\s+name\b"),
    ("anti / semi / asof / positional join", r"\b(?:anti|semi|asof|positional)\s+join\b"),
    ("group by all / order by all (name the columns)", r"\b(?:group|order)\s+by\s+all\b"),
    ("distinct on", r"\bdistinct\s+on\b"),
    (":: cast (cast(x as type))", r"::"),
    (
        "varchar and DuckDB-only types (string_type)",
        r"\b(?:varchar|hugeint|uhugeint|ubigint|uinteger|usmallint|utinyint)\b",
    ),
    ("list literal or list type [...]", r"\["),
]
# Checked on the string literals themselves (the patterns above are checked with literals blanked).
BACKSLASH_LITERAL = ("backslash in a string literal (escapes differ)", r"'[^'\n]*\\[^'\n]*'")

_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.DOTALL)
_LITERAL = re.compile(r"'[^'\n]*'")


def _blank(match: re.Match[str]) -> str:
    """The matched text with everything but newlines blanked, so line numbers stay."""
    return re.sub(r"[^\n]", " ", match.group(0))


def own_sql(text: str) -> str:
    """The SQL a model writes itself: Jinja tags and SQL comments blanked (line numbers kept)."""
    return _COMMENT.sub(_blank, _JINJA.sub(_blank, text))


def duckdb_only_hits(text: str) -> list[tuple[int, str, str]]:
    """(line number, construct, line) for each DuckDB-only construct in a model's own SQL."""
    hits = []
    for number, line in enumerate(own_sql(text).splitlines(), start=1):
        code = _LITERAL.sub("''", line)
        for name, pattern in DUCKDB_ONLY:
            if re.search(pattern, code, re.IGNORECASE):
                hits.append((number, name, line.strip()))
        if re.search(BACKSLASH_LITERAL[1], line):
            hits.append((number, BACKSLASH_LITERAL[0], line.strip()))
    return hits


def test_models_use_portable_macros_for_duckdb_only_sql() -> None:
    found = []
    for path in sorted(MODELS.rglob("*.sql")):
        for number, name, line in duckdb_only_hits(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(MODELS.parent)}:{number}: {name}: {line}")
    assert len(list(MODELS.rglob("*.sql"))) > 50, "the models were not found"
    message = "DuckDB-only SQL in models (use the macros of dbt/macros/portable):\n"
    assert not found, message + "\n".join(found)


def test_scanner_finds_duckdb_only_sql_and_ignores_macros_and_comments() -> None:
    model = (
        "{#- qualify in a Jinja comment -#}\n"  # 1
        "select\n"  # 2
        "    arg_max(class_code, semester) as class_code,\n"  # 3
        "    {{ value_at_max('level_code', 'semester') }} as level_code,\n"  # 4
        "    cast(x as varchar) as y, -- isodow(d) in a comment\n"  # 5
        "    if(a is null, 'a', null) as b,\n"  # 6
        "    replace(f, '\\', '/') as g\n"  # 7
        "from t\n"  # 8
        "/* union all by name\n"  # 9
        "   in a block comment */\n"  # 10
        "union all by name\n"  # 11
        "select * exclude (n) from u\n"  # 12
        "group by all\n"  # 13
        "qualify row_number() over (partition by k order by v) = 1\n"  # 14
        "{{ config(materialized='table', meta={'x': 'varchar'}) }}\n"  # 15
        "where d = cast(e + interval 1 day as date) and s::date = d\n"  # 16
    )
    hits = duckdb_only_hits(model)
    lines = sorted({number for number, _, _ in hits})
    assert lines == [3, 5, 6, 7, 11, 12, 13, 14, 16], hits
    names = {name.split(" ")[0] for number, name, _ in hits if number == 16}
    assert names == {"interval", "::"}, hits


def test_portable_sql_passes_the_scanner() -> None:
    model = (
        "select\n"
        "    {{ value_at_max('class_code', 'semester') }} as class_code,\n"
        "    cast(x as {{ string_type() }}) as y,\n"
        "    case when a is null then 'a' end as b,\n"
        "    code_text = '[0-9]{4} qualify' as c,\n"
        "    count(*) filter (where is_absent) as absent_days,\n"
        "    row_number() over (partition by k order by v) as recency_rank\n"
        "from t\n"
        "union all\n"
        "select * from u\n"
        "group by k\n"
    )
    assert duckdb_only_hits(model) == []
