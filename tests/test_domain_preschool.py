"""Preschool domain: enrollment by age and sector, transition into 1AP, end to end.

- the source's faults on 1AP entrants' preschool records are all caught with their declared reason, no
  clean line is quarantined, rows in = accepted + quarantined;
- ``marts.fct_preschool_attendance`` holds exactly the clean export rows (per region × preschool type),
  pseudonymously; ``marts.agg_preschool_transition`` and ``marts.agg_preschool_enrollment`` match
  independent polars computations (from the exports, and from ``fct_enrollment`` × ``dim_student``);
- the page renders in French and Arabic for the ministry, a region user and a school user, with numbers
  checked by SQL on the marts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import duckdb
import polars as pl
import pytest
from domain_support import (
    LANGS,
    ROLES,
    DomainIngestion,
    assert_pseudonymous,
    clean_rows,
    number,
    open_page,
    published_file,
    sql,
    user_for,
)
from page_test_support import charts_or_notices

from dashboards.data_access import preschool as da
from dashboards.i18n import labels
from dashboards.scope import NATIONAL, Scope, ScopeError
from ingestion.codelists import read_seed

ENTITY = "preschool_attendance"
ATTENDED = {r["preschool_type"] for r in read_seed("code_preschool_types") if r["attended"] == "true"}


class TestIngestion(DomainIngestion):
    FAULTS: ClassVar = {ENTITY: {"unknown_preschool_type", "preschool_years_mismatch", "unknown_class"}}


def test_fact_and_transition_match_the_clean_export_rows(published_db: Path, published_home: Path) -> None:
    rows = clean_rows(published_home / "exports", ENTITY)
    expected = (
        rows.group_by("region_code", "preschool_type")
        .agg(pl.len().alias("n"), pl.col("preschool_years").cast(pl.Int64).sum().alias("years"))
        .sort("region_code", "preschool_type")
    )
    got = pl.DataFrame(
        sql(
            published_db,
            """
            select region_code, preschool_type, count(*), sum(preschool_years)
            from marts.fct_preschool_attendance group by all order by 1, 2
            """,
        ),
        schema=["region_code", "preschool_type", "n", "years"],
        orient="row",
    )
    assert expected.height > 12
    assert got.cast(expected.schema).equals(expected)
    assert_pseudonymous(published_db, "fct_preschool_attendance")
    # the transition share per region, from the export rows alone
    share = (
        rows.group_by("region_code")
        .agg((100 * pl.col("preschool_type").is_in(sorted(ATTENDED)).mean()).alias("share"))
        .sort("region_code")
    )
    for region, value in share.iter_rows():
        (mart,) = sql(
            published_db,
            """
            select 100.0 * sum(entrants) filter (where attended) / sum(entrants)
            from marts.agg_preschool_transition where region_code = ?
            """,
            region,
        )[0]
        assert abs(mart - value) < 1e-9, region


def test_enrollment_by_age_matches_polars(published_db: Path) -> None:
    with duckdb.connect(str(published_db), read_only=True) as con:
        enrolled = con.sql("select * from marts.fct_enrollment").pl()
        pupils = con.sql("select student_key, birth_year from marts.dim_student").pl()
        mart = con.sql(
            "select school_year, sector, age, sum(pupils) as pupils from marts.agg_preschool_enrollment"
            " group by all order by all"
        ).pl()
    expected = (
        enrolled.filter(pl.col("level_code").is_in(["PS1", "PS2"]))
        .join(pupils, on="student_key", how="left")
        .with_columns(
            (pl.col("school_year").str.slice(0, 4).cast(pl.Int64) - pl.col("birth_year")).alias("age")
        )
        .group_by("school_year", "sector", "age")
        .agg(pl.len().alias("pupils"))
        .sort("school_year", "sector", "age")
    )
    assert expected.height >= 2
    assert mart.cast(expected.schema).sort("school_year", "sector", "age").equals(expected)


def test_data_access_scope(published_db: Path) -> None:
    year = sql(published_db, "select max(school_year) from marts.agg_preschool_transition")[0][0]
    region = Scope("region", region_code="01")
    with pytest.raises(ScopeError):
        da.transition(year, scope=region, region="02")
    with pytest.raises(ScopeError):
        da.enrollment_by_age(year, scope=region, region="02")
    (regions,) = sql(
        published_db,
        "select count(distinct region_code) from marts.fct_enrollment"
        " where school_year = ? and level_code = '1AP'",
        year,
    )[0]
    assert regions > 1
    assert da.transition(year, "region", scope=NATIONAL).height == regions  # every region with 1AP pupils
    assert da.transition(year, "region", scope=region)["code"].to_list() == ["01"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", LANGS)
def test_page(published_home: Path, role: str, lang: str) -> None:
    db = published_file(published_home)
    user = user_for(db, role, "agg_preschool_transition", weight="entrants")
    at = open_page("preschool", user, lang, title="preschool.title")
    words = labels(lang)
    year = sql(db, "select max(school_year) from marts.agg_enrollment_by_region")[0][0]
    s = user.scope
    entrants, attended = sql(
        db,
        """
        select sum(entrants), sum(entrants) filter (where attended) from marts.agg_preschool_transition
        where school_year = ? and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or school_code = ?)
        """,
        year, s.region_code, s.region_code, s.school_code, s.school_code,
    )[0]  # fmt: skip
    metrics = {m.label: m.value for m in at.metric}
    assert int(re.sub(r"\D", "", metrics[words["preschool.kpi.entrants"]])) == entrants
    assert abs(number(metrics[words["preschool.kpi.share"]]) - 100 * attended / entrants) < 0.051
    (preschool,) = sql(
        db,
        """
        select coalesce(sum(pupils), 0) from marts.agg_preschool_enrollment
        where school_year = ? and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or school_code = ?)
        """,
        year, s.region_code, s.region_code, s.school_code, s.school_code,
    )[0]  # fmt: skip
    assert int(re.sub(r"\D", "", metrics[words["preschool.kpi.pupils"]]) or 0) == preschool
    assert charts_or_notices(at) == 2  # a chart with no non-zero value is a notice instead
    rows = {
        "ministry": sql(
            db,
            "select count(distinct region_code) from marts.agg_preschool_transition where school_year = ?",
            year,
        )[0][0],
        "region": sql(
            db,
            "select count(distinct province_code) from marts.agg_preschool_transition"
            " where school_year = ? and region_code = ?",
            year,
            s.region_code,
        )[0][0],
        "school": 1,
    }[role]
    table = at.dataframe[0].value
    assert len(table) == rows
    if role == "school":
        assert table.iloc[0, 0] == s.school_code
