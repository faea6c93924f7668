"""Fees-and-contributions domain: schedules, receipts and transfers end to end.

- the source's faults on the three fee entities are all caught with their declared reason (negative
  amount, unknown contribution code, amount paid above the amount due, unknown school...), no clean line is
  quarantined, rows in = accepted + quarantined;
- ``marts.agg_fee_collection`` equals an independent polars computation from the clean export rows
  (schedules, receipts, transfers, enrollments) of the session pipeline;
- the page renders in French and Arabic for the ministry, a region user and a school user, with its
  figures checked by SQL on the mart.
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
    number,
    open_page,
    published_file,
    sql,
    user_for,
)

from dashboards.data_access import fees as da
from dashboards.i18n import labels
from dashboards.scope import NATIONAL, Scope, ScopeError

ARRIVALS = ("entry", "re_enrollment", "transfer_in")


class TestIngestion(DomainIngestion):
    FAULTS: ClassVar = {
        "fee_schedules": {"negative_fee_amount", "unknown_fee_code"},
        "fee_payments": {"negative_fee_amount", "unknown_fee_code", "amount_above_due", "unknown_school"},
        "fee_transfers": {"negative_fee_amount", "unknown_fee_code"},
    }


def _amount(column: str) -> pl.Expr:
    return pl.col(column).str.replace(",", ".").cast(pl.Float64)


def test_mart_matches_polars_from_the_exports(published_db: Path, published_home: Path) -> None:
    exports = published_home / "exports"
    key = ["school_year", "school_code", "fee_code"]
    schedules = clean_rows(exports, "fee_schedules").select(*key, _amount("amount_mad").alias("configured"))
    payments = clean_rows(exports, "fee_payments").with_columns(_amount("amount_paid_mad").alias("paid"))
    transfers = clean_rows(exports, "fee_transfers").with_columns(_amount("amount_mad").alias("amount"))
    arrivals = clean_rows(exports, "enrollments").filter(pl.col("event_type").is_in(ARRIVALS))
    owing = (
        pl.concat(
            [
                arrivals.select("school_year", "school_code", "student_code"),
                payments.select("school_year", "school_code", "student_code"),
            ]
        )
        .unique()
        .group_by("school_year", "school_code")
        .agg(pl.len().alias("pupils_owing"))
    )
    paid = payments.group_by(key).agg(
        pl.col("student_code").n_unique().alias("payers"), pl.col("paid").sum().alias("collected")
    )
    moved = transfers.group_by(key).agg(pl.col("amount").sum().alias("transferred"))
    cells = pl.concat([schedules.select(key), paid.select(key), moved.select(key)]).unique()
    expected = (
        cells.join(schedules, on=key, how="left")
        .join(owing, on=["school_year", "school_code"], how="left")
        .join(paid, on=key, how="left")
        .join(moved, on=key, how="left")
        .with_columns(
            pl.col("pupils_owing").fill_null(0),
            pl.col("payers").fill_null(0),
            pl.col("collected").fill_null(0.0),
            pl.col("transferred").fill_null(0.0),
        )
        .with_columns((pl.col("configured") * pl.col("pupils_owing")).alias("expected"))
        .select(*key, "configured", "pupils_owing", "expected", "payers", "collected", "transferred")
        .sort(key)
    )
    got = pl.DataFrame(
        sql(
            published_db,
            """
            select school_year, school_code, fee_code, configured_amount_mad, pupils_owing, expected_mad,
                payers, collected_mad, transferred_mad
            from marts.agg_fee_collection order by 1, 2, 3
            """,
        ),
        schema=["school_year", "school_code", "fee_code", "configured", "pupils_owing", "expected",
                "payers", "collected", "transferred"],
        orient="row",
    ).select(expected.columns)  # fmt: skip
    assert expected.height > 20
    assert got.cast(expected.schema).equals(expected)
    rates = sql(
        published_db, "select min(collection_rate), max(collection_rate) from marts.agg_fee_collection"
    )
    assert rates[0][0] >= 0 and rates[0][1] <= 100


def test_data_access_scope(published_db: Path) -> None:
    year = sql(published_db, "select max(school_year) from marts.agg_fee_collection")[0][0]
    region = Scope("region", region_code="01")
    with pytest.raises(ScopeError):
        da.collection_by_fee(year, scope=region, region="02")
    regions = da.collection_by_unit(year, scope=NATIONAL)
    assert regions["level"].unique().to_list() == ["region"]
    assert da.collection_by_unit(year, scope=region)["unit_code"].str.starts_with("01.").all()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", LANGS)
def test_page(published_home: Path, role: str, lang: str) -> None:
    db = published_file(published_home)
    user = user_for(
        db, role, "agg_fee_collection", weight="payers", where="expected_mad is not null", region="04"
    )
    at = open_page("fees", user, lang, title="fees.title")
    words = labels(lang)
    scope = user.scope
    year = sql(db, "select max(school_year) from marts.agg_enrollment_by_region")[0][0]
    collected, against, expected, transferred, fees = sql(
        db,
        """
        select sum(collected_mad), sum(collected_mad) filter (where expected_mad is not null),
            sum(expected_mad), sum(transferred_mad), count(distinct fee_code)
        from marts.agg_fee_collection
        where school_year = ? and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or school_code = ?)
        """,
        year,
        scope.region_code,
        scope.region_code,
        scope.school_code,
        scope.school_code,
    )[0]
    metrics = {m.label: m.value for m in at.metric}
    assert int(re.sub(r"\D", "", metrics[words["fees.kpi.collected"]])) == round(collected)
    assert int(re.sub(r"\D", "", metrics[words["fees.kpi.expected"]])) == round(expected)
    assert int(re.sub(r"\D", "", metrics[words["fees.kpi.transferred"]])) == round(transferred)
    assert abs(number(metrics[words["fees.kpi.rate"]]) - round(100 * against / expected, 1)) < 1e-9
    assert len(at.get("plotly_chart")) == 2
    assert len(at.dataframe[0].value) == fees
    units = {
        "ministry": "select count(distinct region_code) from marts.agg_fee_collection where school_year = ?",
        "region": "select count(distinct province_code) from marts.agg_fee_collection"
        " where school_year = ? and region_code = '04'",
        "school": "select 1 where ? is not null",
    }[role]
    assert len(at.dataframe[1].value) == sql(db, units, year)[0][0]
