"""Inclusive-education domain: pupils with disabilities, end to end.

- the source's faults on special-needs records are all caught with their declared reason, no clean line
  is quarantined, rows in = accepted + quarantined;
- ``marts.fct_special_needs`` holds the clean export rows (per type × setting), pseudonymously;
  ``marts.agg_inclusive_education`` matches an independent polars computation from the pupil-grain marts;
- the data-access layer suppresses small cells; the page renders in French and Arabic, for the ministry
  and a region user, with numbers equal to SQL on the marts (or the small-cells message).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import duckdb
import polars as pl
import pytest
from domain_support import (
    MINISTRY_AND_REGION,
    DomainIngestion,
    assert_pseudonymous,
    clean_rows,
    open_page,
    published_file,
    sql,
)

from dashboards.auth import User
from dashboards.data_access import inclusive_education as da
from dashboards.i18n import labels
from dashboards.scope import NATIONAL, Scope, ScopeError

ENTITY = "special_needs"


class TestIngestion(DomainIngestion):
    FAULTS: ClassVar = {ENTITY: {"unknown_disability_type"}}


def test_fact_holds_the_clean_export_rows(published_db: Path, published_home: Path) -> None:
    rows = clean_rows(published_home / "exports", ENTITY)
    expected = (
        rows.group_by("disability_type", "class_setting").len().sort("disability_type", "class_setting")
    )
    got = pl.DataFrame(
        sql(
            published_db,
            "select disability_type, class_setting, count(*) from marts.fct_special_needs group by all",
        ),
        schema=expected.columns,
        orient="row",
    ).sort("disability_type", "class_setting")
    assert got.cast(expected.schema).equals(expected)
    assert_pseudonymous(published_db, "fct_special_needs")


def test_aggregate_matches_polars(published_db: Path) -> None:
    with duckdb.connect(str(published_db), read_only=True) as con:
        att = con.sql(
            "select student_key, school_year, absent_days, enrolled_school_days from marts.fct_attendance_ytd"
        ).pl()
        sn = con.sql("select student_key, school_year from marts.fct_special_needs").pl()
        agg = con.sql(
            """
            select disability_type is not null as d, sum(pupils) as pupils,
                100.0 * sum(absent_days) / sum(enrolled_school_days) as rate
            from marts.agg_inclusive_education group by 1
            """
        ).pl()
    flagged = att.join(
        sn.with_columns(pl.lit(True).alias("d")), on=["student_key", "school_year"], how="left"
    )
    flagged = flagged.with_columns(pl.col("d").fill_null(False))
    for d, pupils, rate in agg.iter_rows():
        group = flagged.filter(pl.col("d") == d)
        assert group.height == pupils
        assert abs(100 * group["absent_days"].sum() / group["enrolled_school_days"].sum() - rate) < 1e-9


def test_small_cells_are_suppressed(published_db: Path) -> None:
    year = sql(published_db, "select max(school_year) from marts.agg_inclusive_education")[0][0]
    region = Scope("region", region_code="01")
    with pytest.raises(ScopeError):
        da.inclusion(year, scope=region, region="02")
    shown = da.inclusion(year, "disability_type", scope=NATIONAL)
    counts = dict(
        sql(
            published_db,
            """
            select disability_type, sum(pupils) from marts.agg_inclusive_education
            where school_year = ? and disability_type is not null group by 1
            """,
            year,
        )
    )
    # internal users see the true counts, however small (suppression is for public outputs only)
    assert dict(zip(shown["code"], shown["pupils"], strict=True)) == counts
    school = Scope("school", region_code="01", province_code="01.511", school_code="01511A")
    assert da.inclusion(year, scope=school).is_empty()


@pytest.mark.parametrize(("user", "lang"), MINISTRY_AND_REGION)
def test_page(published_home: Path, user: User, lang: str) -> None:
    db = published_file(published_home)
    at = open_page("inclusive_education", user, lang, title="incl.title")
    words = labels(lang)
    year = sql(db, "select max(school_year) from marts.agg_enrollment_by_region")[0][0]
    region = user.scope.region_code
    (pupils,) = sql(
        db,
        """
        select coalesce(sum(pupils), 0) from marts.agg_inclusive_education
        where school_year = ? and disability_type is not null
            and (cast(? as varchar) is null or region_code = ?)
        """,
        year,
        region,
        region,
    )[0]
    if pupils == 0:
        assert [w.value for w in at.warning] == [words["incl.no_data"]]
        assert not at.metric
    else:
        shown = next(m.value for m in at.metric if m.label == words["incl.kpi.pupils"])
        assert int(re.sub(r"\D", "", shown)) == pupils
        assert len(at.get("plotly_chart")) == 1
