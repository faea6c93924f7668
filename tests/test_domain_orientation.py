"""Orientation domain: wishes and streams granted, end to end.

- the source's orientation faults (a stream not offered after the level, and the generic classes) are all
  caught with their declared reason; no clean line is quarantined; rows in = accepted + quarantined;
- ``marts.agg_orientation`` matches an independent polars computation from the export files;
- the page renders in French and Arabic, for the ministry and a region user, with SQL-checked numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest
from domain_support import (
    MINISTRY_AND_REGION,
    DomainIngestion,
    clean_rows,
    open_page,
    published_file,
    sql,
)

from dashboards.auth import User
from dashboards.data_access import orientation as da
from dashboards.i18n import labels
from dashboards.scope import NATIONAL, Scope, ScopeError

ENTITY = "orientation"


class TestIngestion(DomainIngestion):
    FAULTS: ClassVar = {ENTITY: {"stream_not_offered"}}


def test_mart_matches_the_exports(published_db: Path, published_home: Path) -> None:
    rows = clean_rows(published_home / "exports", ENTITY)
    first = rows.group_by("level_code", pl.col("wish_1").alias("stream_code")).agg(
        pl.len().alias("first_wishes"),
        (pl.col("stream_granted") == pl.col("wish_1")).sum().alias("first_wishes_granted"),
    )
    granted = (
        rows.filter(pl.col("stream_granted").is_not_null())
        .group_by("level_code", pl.col("stream_granted").alias("stream_code"))
        .agg(pl.len().alias("streams_granted"))
    )
    expected = (
        first.join(granted, on=["level_code", "stream_code"], how="full", coalesce=True)
        .fill_null(0)
        .select("level_code", "stream_code", "first_wishes", "streams_granted", "first_wishes_granted")
        .sort("level_code", "stream_code")
    )
    got = pl.DataFrame(
        sql(
            published_db,
            """
            select level_code, stream_code, sum(first_wishes), sum(streams_granted), sum(first_wishes_granted)
            from marts.agg_orientation group by all
            having sum(first_wishes) + sum(streams_granted) > 0 order by 1, 2
            """,
        ),
        schema=expected.columns,
        orient="row",
    )
    assert expected.height >= 4
    assert got.cast(expected.schema).equals(expected), (got, expected)


def test_data_access_scope(published_db: Path) -> None:
    year = sql(published_db, "select max(school_year) from marts.agg_orientation")[0][0]
    region = Scope("region", region_code="01")
    with pytest.raises(ScopeError):
        da.demand_and_places(year, scope=region, region="02")
    national = da.demand_and_places(year, "3AC", "stream", scope=NATIONAL)
    assert set(national["code"]) == {"SC", "LET", "TECH"}


@pytest.mark.parametrize(("user", "lang"), MINISTRY_AND_REGION)
def test_page(published_home: Path, user: User, lang: str) -> None:
    db = published_file(published_home)
    region = user.scope.region_code
    # the latest school year with 3AC wishes in the user's territory (a region of the test country has a
    # few 3AC pupils a year, and some years none)
    year = sql(
        db,
        """select max(school_year) from marts.agg_orientation
        where level_code = '3AC' and (cast(? as varchar) is null or region_code = ?)""",
        region,
        region,
    )[0][0]
    at = open_page("orientation", user, lang, year=year, title="orient.title")
    words = labels(lang)
    pupils, satisfied, not_oriented = sql(
        db,
        """
        select sum(first_wishes), sum(first_wishes_granted), sum(first_wishes_not_oriented)
        from marts.agg_orientation
        where school_year = ? and level_code = '3AC' and (cast(? as varchar) is null or region_code = ?)
        """,
        year,
        region,
        region,
    )[0]
    metrics = {m.label: m.value for m in at.metric}
    assert int(re.sub(r"\D", "", metrics[words["orient.kpi.pupils"]])) == pupils
    assert int(re.sub(r"\D", "", metrics[words["orient.kpi.not_oriented"]])) == not_oriented
    share = f"{100 * satisfied / pupils:.1f}".replace(".", "," if lang == "fr" else ".")
    assert share in metrics[words["orient.kpi.first_wish"]]
    assert len(at.get("plotly_chart")) == 2
    assert len(at.dataframe[0].value) == 3  # the streams offered after 3AC
