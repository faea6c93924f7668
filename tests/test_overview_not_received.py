"""The national overview tells "no data received" from zero: a region whose enrollment export has not
arrived for a year has null counts and is named as missing, never shown as 0 pupils."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from domain_support import MINISTRY, open_page

from dashboards.data_access import enrollment as da
from dashboards.i18n import labels
from dashboards.scope import NATIONAL


def test_a_year_without_any_file_is_not_zero(published_home: Path) -> None:
    by_region = da.pupils_by_region("1999-2000", scope=NATIONAL)
    assert by_region.height == 12
    assert not by_region["data_received"].any()
    for column in ("pupils", "girls", "boys"):
        assert by_region[column].null_count() == 12, column


def test_received_regions_count_zero_only_for_a_cycle_they_lack(published_db: Path) -> None:
    with duckdb.connect(str(published_db), read_only=True) as con:
        year, expected = con.execute(
            """
            select school_year, count(distinct region_code) from marts.agg_enrollment_by_province
            group by school_year order by school_year desc limit 1
            """
        ).fetchone()
        preschool = dict(
            con.execute(
                """
                select region_code, sum(pupils) from marts.agg_enrollment_by_province
                where school_year = ? and cycle_code = 'preschool' group by region_code
                """,
                [year],
            ).fetchall()
        )
    by_region = da.pupils_by_region(year, scope=NATIONAL)
    assert int(by_region["data_received"].sum()) == expected
    received = by_region.filter(pl.col("data_received"))
    assert received["pupils"].null_count() == 0
    assert (received["pupils"] == received["girls"] + received["boys"]).all()
    cycle = da.pupils_by_region(year, cycle="preschool", scope=NATIONAL).filter(pl.col("data_received"))
    assert dict(cycle.select("region_code", "pupils").iter_rows()) == {
        r: int(preschool.get(r, 0)) for r in cycle["region_code"]
    }


def test_the_page_names_a_region_whose_file_has_not_arrived(
    published_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of the warehouse without region 02's enrollment of the latest year: the overview's table
    says "no data received" for it, in both languages, and a warning names it; nothing shows it as 0."""
    published = tmp_path / "warehouse" / "published"
    published.mkdir(parents=True)
    shutil.copyfile(published_db, published / "v20260101T000000000000Z.duckdb")
    (published / "CURRENT").write_text("v20260101T000000000000Z", encoding="utf-8")
    with duckdb.connect(str(published / "v20260101T000000000000Z.duckdb")) as con:
        (year,) = con.execute("select max(school_year) from marts.agg_enrollment_by_province").fetchone()
        con.execute(
            "delete from marts.agg_enrollment_by_province where school_year = ? and region_code = '02'",
            [year],
        )
        fr, ar = con.execute(
            "select name_fr, name_ar from reference.code_regions where region_code = '02'"
        ).fetchone()
    names = {"fr": fr, "ar": ar}
    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    for lang in ("fr", "ar"):
        words = labels(lang)
        at = open_page("national_overview", MINISTRY, lang)
        table = at.dataframe[0].value
        row = table[table[words["col.region_code"]] == "02"].iloc[0]
        assert row[words["col.pupils"]] == words["overview.no_data_received"]
        other = table[table[words["col.region_code"]] == "01"].iloc[0]
        assert other[words["col.pupils"]] != words["overview.no_data_received"]
        warnings = " ".join(w.value for w in at.warning)
        assert names[lang] in warnings, warnings
