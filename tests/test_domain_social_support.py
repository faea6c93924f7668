"""Social-support domain: beneficiaries end to end.

- the source's faults on social-support records are all caught with their declared reason, no clean line
  is quarantined, rows in = accepted + quarantined;
- ``marts.fct_social_support`` holds exactly the clean export rows (per region × programme: count and
  amount), pseudonymously; ``marts.agg_social_support_attendance`` matches an independent polars
  computation from ``fct_attendance_ytd`` and ``fct_social_support``;
- the page renders in French and Arabic, for the ministry and a region user, with SQL-checked numbers.
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
from dashboards.data_access import social_support as da
from dashboards.i18n import labels
from dashboards.scope import NATIONAL, Scope, ScopeError

ENTITY = "social_support"


class TestIngestion(DomainIngestion):
    FAULTS: ClassVar = {ENTITY: {"unknown_programme", "unknown_school"}}


def test_fact_holds_the_clean_export_rows(published_db: Path, published_home: Path) -> None:
    rows = clean_rows(published_home / "exports", ENTITY)
    expected = (
        rows.with_columns(pl.col("amount_mad").str.replace(",", ".").cast(pl.Float64))
        .group_by("region_code", "programme_code")
        .agg(pl.len().alias("n"), pl.col("amount_mad").sum().round(2).alias("amount"))
        .sort("region_code", "programme_code")
    )
    got = pl.DataFrame(
        sql(
            published_db,
            """
            select region_code, programme_code, count(*), round(coalesce(sum(amount_mad), 0), 2)
            from marts.fct_social_support group by all order by 1, 2
            """,
        ),
        schema=["region_code", "programme_code", "n", "amount"],
        orient="row",
    )
    assert expected.height > 12
    assert got.cast(expected.schema).equals(expected)
    assert_pseudonymous(published_db, "fct_social_support")


def test_attendance_comparison_matches_polars(published_db: Path) -> None:
    with duckdb.connect(str(published_db), read_only=True) as con:
        att = con.sql("select * from marts.fct_attendance_ytd").pl()
        sup = con.sql("select student_key, school_year, programme_code from marts.fct_social_support").pl()
        agg = con.sql(
            """
            select programme_code, sum(beneficiaries) as beneficiaries,
                100.0 * sum(beneficiary_absent_days) / sum(beneficiary_enrolled_days) as ben_rate,
                100.0 * sum(non_beneficiary_absent_days) / sum(non_beneficiary_enrolled_days) as other_rate
            from marts.agg_social_support_attendance group by 1 order by 1
            """
        ).pl()
    for r in agg.iter_rows(named=True):
        ben = att.join(
            sup.filter(pl.col("programme_code") == r["programme_code"]), on=["student_key", "school_year"]
        )
        other = att.join(
            ben.select("student_key", "school_year"), on=["student_key", "school_year"], how="anti"
        )
        assert ben.height == r["beneficiaries"]
        assert ben.height > 0
        assert abs(100 * ben["absent_days"].sum() / ben["enrolled_school_days"].sum() - r["ben_rate"]) < 1e-9
        rate = 100 * other["absent_days"].sum() / other["enrolled_school_days"].sum()
        assert abs(rate - r["other_rate"]) < 1e-9


def test_data_access_scope(published_db: Path) -> None:
    year = sql(published_db, "select max(school_year) from marts.agg_social_support_attendance")[0][0]
    region = Scope("region", region_code="01")
    with pytest.raises(ScopeError):
        da.by_programme(year, scope=region, region="02")
    assert da.by_programme(year, "region", scope=NATIONAL).height == 12
    assert da.by_programme(year, "region", scope=region)["code"].to_list() == ["01"]


@pytest.mark.parametrize(("user", "lang"), MINISTRY_AND_REGION)
def test_page(published_home: Path, user: User, lang: str) -> None:
    db = published_file(published_home)
    at = open_page("social_support", user, lang, title="social.title")
    words = labels(lang)
    year = sql(db, "select max(school_year) from marts.agg_enrollment_by_region")[0][0]
    region = user.scope.region_code
    (programme,) = sql(db, "select min(programme_code) from reference.code_social_programmes")[0]
    beneficiaries, pupils = sql(
        db,
        """
        select sum(beneficiaries), sum(pupils) from marts.agg_social_support_attendance
        where school_year = ? and programme_code = ? and (cast(? as varchar) is null or region_code = ?)
        """,
        year,
        programme,
        region,
        region,
    )[0]
    (name,) = sql(
        db, f"select label_{lang} from reference.code_social_programmes where programme_code = ?", programme
    )[0]
    shown = [
        m.value for m in at.metric if m.label == words["social.kpi.beneficiaries"].format(programme=name)
    ]
    assert len(shown) == 1 and int(re.sub(r"\D", "", shown[0])) == beneficiaries
    share = f"{100 * beneficiaries / pupils:.1f}".replace(".", "," if lang == "fr" else ".")
    assert share in next(m.value for m in at.metric if m.label == words["social.kpi.share"])
    assert len(at.get("plotly_chart")) == 2
    rows = (
        12
        if region is None
        else sql(
            db,
            "select count(distinct province_code) from marts.agg_social_support_attendance"
            " where region_code = ?",
            region,
        )[0][0]
    )
    assert len(at.dataframe[0].value) == rows
