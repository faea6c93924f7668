"""Non-formal education domain: second-chance programmes and the return to formal schooling.

- the source's faults on the register are all caught with their declared reason, no clean line is
  quarantined, rows in = accepted + quarantined;
- ``marts.fct_nonformal_education`` holds exactly the clean export rows (per region × programme ×
  outcome), pseudonymously; ``marts.agg_nonformal_education`` gives the return rates an independent polars
  computation from the export rows gives;
- the page renders in French and Arabic for the ministry, a region user and a school user, with numbers
  checked by SQL on the marts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest
from domain_support import (
    LANGS,
    ROLES,
    DomainIngestion,
    clean_rows,
    open_page,
    published_file,
    sql,
    user_for,
)

from dashboards.data_access import nonformal as da
from dashboards.i18n import labels
from dashboards.scope import NATIONAL, Scope, ScopeError
from ingestion.codelists import read_seed
from synthetic.domains import domain_frames
from synthetic.reference import regions
from synthetic.simulation import RegionSimulation

ENTITY = "nonformal_education"
OUTCOMES = {r["outcome_code"]: r for r in read_seed("code_nonformal_outcomes")}
CLASSES = {"return_without_code", "end_before_start", "age_not_eligible", "unknown_nonformal_programme"}


class TestIngestion(DomainIngestion):
    FAULTS: ClassVar = {ENTITY: CLASSES}


def test_a_return_carries_the_pupil_code() -> None:
    """The generator's returns to formal schooling name the pupil code they re-entered under, and a former
    pupil keeps the code. One region-year of 6,000 pupils (the shared country holds too few returns)."""
    region = next(r for r in regions() if r.code == "06")
    out = RegionSimulation(region, 6000, 3).year(2024)
    rows = domain_frames(out.frames, out.school_year, 2024, region.code, 3)[ENTITY]
    dropouts = out.frames["enrollments"].filter(pl.col("event_type") == "dropout")["student_code"]
    assert rows["former_student_code"].drop_nulls().is_in(dropouts.implode()).all()
    returned = rows.filter(pl.col("outcome_code") == "RETURNED_FORMAL")
    assert (
        returned["return_student_code"].is_not_null().all()
        and returned["return_level_code"].is_not_null().all()
    )
    former = returned.filter(pl.col("former_student_code").is_not_null())
    assert former.height > 0 and (former["former_student_code"] == former["return_student_code"]).all()
    others = rows.filter(pl.col("outcome_code") != "RETURNED_FORMAL")
    assert others["return_student_code"].is_null().all()


def test_marts_match_the_clean_export_rows(published_db: Path, published_home: Path) -> None:
    rows = clean_rows(published_home / "exports", ENTITY)
    assert rows.height > 0
    expected = (
        rows.group_by("region_code", "programme_code", "outcome_code")
        .agg(pl.len().alias("n"), pl.col("former_student_code").is_not_null().sum().alias("former"))
        .sort("region_code", "programme_code", "outcome_code")
    )
    got = pl.DataFrame(
        sql(
            published_db,
            """
            select region_code, programme_code, outcome_code, count(*), count(former_student_key)
            from marts.fct_nonformal_education group by all order by 1, 2, 3
            """,
        ),
        schema=["region_code", "programme_code", "outcome_code", "n", "former"],
        orient="row",
    )
    assert got.cast(expected.schema).equals(expected)
    columns = {r[0] for r in sql(published_db, "describe marts.fct_nonformal_education")}
    assert not {"beneficiary_code", "former_student_code", "return_student_code"} & columns
    # return rate per programme: returns / exits, from the export rows and the seed's flags alone
    exit_flag = {k: v["is_exit"] == "true" for k, v in OUTCOMES.items()}
    back_flag = {k: v["is_return_formal"] == "true" for k, v in OUTCOMES.items()}
    flagged = rows.with_columns(
        pl.col("outcome_code").replace_strict(exit_flag).alias("exit"),
        pl.col("outcome_code").replace_strict(back_flag).alias("back"),
    )
    by_programme = flagged.group_by("programme_code").agg(
        pl.len().alias("n"), pl.col("exit").sum().alias("exits"), pl.col("back").sum().alias("back")
    )
    for programme, n, exits, back in by_programme.iter_rows():
        total, mart_exits, mart_back = sql(
            published_db,
            """
            select sum(beneficiaries), sum(beneficiaries) filter (where is_exit),
                sum(beneficiaries) filter (where is_return_formal)
            from marts.agg_nonformal_education where programme_code = ?
            """,
            programme,
        )[0]
        assert (total, mart_exits or 0, mart_back or 0) == (n, exits, back), programme
    # a return is confirmed when the returning pupil code is enrolled the next school year; the last
    # loaded year has no next year, so its returns stay unconfirmed (null)
    years = sorted(rows["school_year"].unique().to_list())
    enrolled = clean_rows(published_home / "exports", "enrollments").select(
        "school_year", pl.col("student_code").alias("return_student_code")
    )
    returns = flagged.filter(pl.col("back"))
    for year, following in zip(years, [*years[1:], None], strict=True):
        of_year = returns.filter(pl.col("school_year") == year)
        confirmed = (
            0
            if following is None
            else of_year.filter(pl.col("return_student_code").is_not_null())
            .join(enrolled.filter(pl.col("school_year") == following).unique(), on="return_student_code")
            .height
        )
        known, got_confirmed = sql(
            published_db,
            "select count(return_confirmed), count(*) filter (where return_confirmed)"
            " from marts.fct_nonformal_education where school_year = ?",
            year,
        )[0]
        assert known == (0 if following is None else of_year.height), year
        assert got_confirmed == confirmed, year


def test_data_access_scope(published_db: Path) -> None:
    year = sql(published_db, "select max(school_year) from marts.agg_enrollment_by_region")[0][0]
    region = Scope("region", region_code="01")
    with pytest.raises(ScopeError):
        da.beneficiaries(year, scope=region, region="02")
    national = da.beneficiaries(year, "region", scope=NATIONAL)
    assert (
        national.height
        == sql(
            published_db,
            "select count(distinct region_code) from marts.agg_nonformal_education where school_year = ?",
            year,
        )[0][0]
    )
    assert set(da.beneficiaries(year, "region", scope=region)["code"].to_list()) <= {"01"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", LANGS)
def test_page(published_home: Path, role: str, lang: str) -> None:
    db = published_file(published_home)
    user = user_for(db, role, "agg_nonformal_education", weight="beneficiaries")
    # the latest school year with beneficiaries (the user's school is chosen in it): a few hundred pupils
    # give a beneficiary or two a year, and some years none
    year = sql(db, "select max(school_year) from marts.agg_nonformal_education")[0][0]
    at = open_page("nonformal_education", user, lang, year=year, title="nonformal.title")
    words = labels(lang)
    s = user.scope
    where = """
        where school_year = ? and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or school_code = ?)
    """
    params = (year, s.region_code, s.region_code, s.school_code, s.school_code)
    total, returned = sql(
        db,
        "select sum(beneficiaries), coalesce(sum(beneficiaries) filter (where is_return_formal), 0)"
        f" from marts.agg_nonformal_education {where}",
        *params,
    )[0]
    metrics = {m.label: m.value for m in at.metric}
    assert int(re.sub(r"\D", "", metrics[words["nonformal.kpi.beneficiaries"]])) == total > 0
    assert int(re.sub(r"\D", "", metrics[words["nonformal.kpi.returned"]]) or 0) == returned
    assert len(at.get("plotly_chart")) == 2
    column = {"ministry": "region_code", "region": "province_code", "school": "school_code"}[role]
    (rows,) = sql(db, f"select count(distinct {column}) from marts.agg_nonformal_education {where}", *params)[
        0
    ]
    table = at.dataframe[0].value
    assert len(table) == rows
    if role == "school":
        assert table.iloc[0, 0] == s.school_code
