"""Infrastructure domain: classrooms end to end.

- the source's classroom faults are all caught with their declared reason, no clean classroom line is
  quarantined, and rows in = accepted + quarantined;
- the rooms the timetables name exist in the register (the generator keeps them consistent);
- ``marts.dim_classroom`` / ``marts.agg_classroom_occupancy`` match an independent polars computation from
  the export files (the session pipeline's);
- the page renders in French and Arabic, for the ministry and a region user, with numbers equal to SQL on
  the published marts.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest
from domain_support import (
    MINISTRY_AND_REGION,
    Country,
    DomainIngestion,
    clean_rows,
    load_log,
    open_page,
    published_file,
    sql,
)
from streamlit.testing.v1 import AppTest

from dashboards.auth import User
from dashboards.data_access import infrastructure as da
from dashboards.i18n import labels
from dashboards.scope import NATIONAL, Scope, ScopeError
from ingestion.contracts import CONTRACTS
from synthetic.faults import REGISTRY

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "dbt" / "seeds" / "infrastructure"
ENTITY = "classrooms"
DOMAIN_CLASSES = {"classroom_capacity_out_of_range": "out_of_range", "unknown_classroom_type": "unknown_code"}


def test_the_registry_declares_the_domain_classes() -> None:
    assert {n: REGISTRY[n].outcome for n in DOMAIN_CLASSES} == DOMAIN_CLASSES
    assert REGISTRY["unknown_school"].applies(CONTRACTS[ENTITY])


class TestIngestion(DomainIngestion):
    FAULTS: ClassVar = {ENTITY: set(DOMAIN_CLASSES) | {"unknown_school"}}


def test_rows_in_are_the_lines_of_the_bulk_files(domain_country: Country) -> None:
    log = load_log(domain_country.lake, ENTITY)
    assert log.height == 12  # one bulk file per region
    lines = sum(
        len(p.read_bytes().split(b"\r\n")) - 2 for p in domain_country.exports.glob(f"*/*/{ENTITY}.csv")
    )  # minus header and final empty split (a truncated last line has no line end: counted as a row)
    truncated = domain_country.faults.filter(
        (pl.col("entity") == ENTITY) & (pl.col("fault_class") == "truncated_last_line")
    ).height
    assert int(log["rows_in"].sum()) == lines + truncated


def test_timetable_rooms_exist_in_the_register(domain_country: Country) -> None:
    rooms = (
        clean_rows(domain_country.exports, ENTITY)
        .select("school_year", "school_code", "classroom_code")
        .unique()
    )
    named = (
        clean_rows(domain_country.exports, "timetables")
        .filter(pl.col("classroom_code").is_not_null())
        .select("school_year", "school_code", "classroom_code")
        .unique()
    )
    missing = named.join(rooms, on=["school_year", "school_code", "classroom_code"], how="anti")
    # only rooms whose register line was made faulty may be missing
    faulty = domain_country.faults.filter(pl.col("entity") == ENTITY).height
    assert missing.height <= faulty, missing


def test_a_classroom_never_hosts_two_classes_at_once(domain_country: Country) -> None:
    """Classes share the classrooms of their school (a room is free while its class is at the lab, the
    sports ground or has no session), never at the same slot; and a school can have fewer classrooms in
    use than classes (secondary schools do in this country)."""
    class_rooms = {
        k for k, v in _seed("code_classroom_types").items() if v["is_classroom"] == "true"
    }  # the room types a class sits in (``S01``...), not the labs and grounds that host several groups
    rooms = clean_rows(domain_country.exports, ENTITY).filter(pl.col("room_type").is_in(class_rooms))
    tt = (
        clean_rows(domain_country.exports, "timetables")
        .join(
            rooms.select("school_year", "school_code", "classroom_code"),
            on=["school_year", "school_code", "classroom_code"],
            how="semi",
        )
        .select("school_year", "school_code", "classroom_code", "weekday", "session_number", "class_code")
    )
    assert tt.height > 0
    clash = tt.group_by("school_year", "school_code", "classroom_code", "weekday", "session_number").agg(
        pl.col("class_code").n_unique().alias("classes")
    )
    assert clash["classes"].max() == 1, clash.filter(pl.col("classes") > 1)
    per_school = tt.group_by("school_year", "school_code").agg(
        pl.col("class_code").n_unique().alias("classes"), pl.col("classroom_code").n_unique().alias("rooms")
    )
    assert (per_school["rooms"] < per_school["classes"]).any()
    assert (per_school["rooms"] <= per_school["classes"]).all()


# ------------------------------------------------------------------------------ marts vs the exports


def _seed(name: str) -> dict[str, dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    key = next(iter(rows[0]))
    return {r[key]: r for r in rows}


def _expected_by_region(exports: Path) -> pl.DataFrame:
    """Per school year × region: rooms, usable seats, occupied and available slots (polars, from exports)."""
    usable = {k: v["is_usable"] == "true" for k, v in _seed("code_classroom_statuses").items()}
    teaching = {k: v["is_teaching_room"] == "true" for k, v in _seed("code_classroom_types").items()}
    classroom = {k: v["is_classroom"] == "true" for k, v in _seed("code_classroom_types").items()}
    rooms = clean_rows(exports, ENTITY).with_columns(
        pl.col("capacity").cast(pl.Int64),
        pl.col("operating_status").replace_strict(usable, return_dtype=pl.Boolean).alias("usable"),
        pl.col("room_type").replace_strict(teaching, return_dtype=pl.Boolean).alias("teaching"),
        pl.col("room_type").replace_strict(classroom, return_dtype=pl.Boolean).alias("classroom"),
    )
    tt = clean_rows(exports, "timetables")
    week = tt.group_by("school_year", "school_code").agg(
        pl.struct("weekday", "session_number").n_unique().alias("week_slots")
    )
    used = (
        tt.filter(pl.col("classroom_code").is_not_null())
        .group_by("school_year", "school_code", "classroom_code")
        .agg(pl.struct("weekday", "session_number").n_unique().alias("occupied"))
    )
    rooms = (
        rooms.join(week, on=["school_year", "school_code"], how="left")
        .join(used, on=["school_year", "school_code", "classroom_code"], how="left")
        .with_columns(pl.col("week_slots", "occupied").fill_null(0))
    )
    counted = pl.col("usable") & pl.col("teaching")
    return (
        rooms.group_by("school_year", "region_code")
        .agg(
            pl.len().alias("classrooms"),
            (pl.col("usable") & pl.col("classroom")).sum().alias("counted_classrooms"),
            pl.col("capacity").filter(pl.col("usable")).sum().alias("usable_seats"),
            pl.col("occupied").filter(counted).sum().alias("occupied_slots"),
            pl.col("week_slots").filter(counted).sum().alias("available_slots"),
        )
        .sort("school_year", "region_code")
    )


def test_marts_match_the_exports(published_db: Path, published_home: Path) -> None:
    expected = _expected_by_region(published_home / "exports")
    got = pl.DataFrame(
        sql(
            published_db,
            """
            select school_year, region_code, sum(classrooms), sum(counted_classrooms), sum(usable_seats),
                sum(occupied_slots), sum(available_slots)
            from marts.agg_classroom_occupancy group by all order by 1, 2
            """,
        ),
        schema=[
            "school_year",
            "region_code",
            "classrooms",
            "counted_classrooms",
            "usable_seats",
            "occupied_slots",
            "available_slots",
        ],
        orient="row",
    )
    years = sum(1 for p in (published_home / "exports").iterdir() if p.is_dir())
    assert expected.height == 12 * years  # every region, every school year
    assert got.cast(expected.schema).equals(expected), (got, expected)
    (rooms,) = sql(published_db, "select count(*) from marts.dim_classroom")[0]
    assert rooms == int(expected["classrooms"].sum())
    # one count of classrooms: the resource indicators' denominator is the same number
    by_year = sql(
        published_db,
        """
        with o as (
            select school_year, sum(counted_classrooms) as n from marts.agg_classroom_occupancy group by 1
        ),
        c as (select school_year, sum(classrooms) as n from marts.agg_school_capacity group by 1)
        select school_year, o.n, c.n from o full join c using (school_year)
        """,
    )
    assert by_year and all(occupancy == capacity > 0 for _, occupancy, capacity in by_year), by_year
    # the rate is the ratio of the two sums, and lies in 0-100
    bad = sql(
        published_db,
        """
        select count(*) from marts.agg_classroom_occupancy
        where available_slots > 0 and abs(occupancy_rate - 100.0 * occupied_slots / available_slots) > 1e-9
            or occupancy_rate < 0 or occupancy_rate > 100
        """,
    )[0][0]
    assert bad == 0


# --------------------------------------------------------------------------------------- data access


def test_data_access_scope(published_home: Path) -> None:
    region = Scope("region", region_code="01")
    db = published_file(published_home)
    year = sql(db, "select max(school_year) from marts.agg_classroom_occupancy")[0][0]
    with pytest.raises(ScopeError):
        da.summary(year, scope=region, region="02")
    with pytest.raises(ScopeError):
        da.breakdown(year, "province", scope=region, region="02")
    national = da.breakdown(year, "region", scope=NATIONAL)
    assert national.height == 12
    only = da.breakdown(year, "region", scope=region)
    assert only["code"].to_list() == ["01"]


# -------------------------------------------------------------------------------------------- the page


def _metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert len(values) == 1, [m.label for m in at.metric]
    return values[0]


def _int(text: str) -> int:
    return int(re.sub(r"\D", "", text))


@pytest.mark.parametrize(("user", "lang"), MINISTRY_AND_REGION)
def test_page(published_home: Path, user: User, lang: str) -> None:
    db = published_file(published_home)
    at = open_page("infrastructure", user, lang, title="infra.title")
    words = labels(lang)
    year = sql(db, "select max(school_year) from marts.agg_enrollment_by_region")[0][0]
    region = user.scope.region_code
    rooms, counted, seats, occupied, available, prefab = sql(
        db,
        """
        select sum(classrooms), sum(counted_classrooms), sum(usable_seats), sum(occupied_slots),
            sum(available_slots), sum(prefabricated_classrooms)
        from marts.agg_classroom_occupancy
        where school_year = ? and (cast(? as varchar) is null or region_code = ?)
        """,
        year,
        region,
        region,
    )[0]
    assert _int(_metric(at, words["infra.kpi.classrooms"])) == rooms
    assert _int(_metric(at, words["infra.kpi.counted_classrooms"])) == counted
    assert _int(_metric(at, words["infra.kpi.seats"])) == seats
    shown = _metric(at, words["infra.kpi.occupancy"])
    assert f"{100 * occupied / available:.1f}".replace(".", "," if lang == "fr" else ".") in shown
    assert len(at.get("plotly_chart")) == 2
    table = at.dataframe[0].value
    expected_rows = (
        12
        if region is None
        else sql(
            db,
            "select count(distinct province_code) from marts.agg_classroom_occupancy where region_code = ?",
            region,
        )[0][0]
    )
    assert len(table) == expected_rows
    share = f"{100 * prefab / rooms:.1f}".replace(".", "," if lang == "fr" else ".")
    assert share in _metric(at, words["infra.kpi.prefabricated"])
    if lang == "ar":
        assert re.search(r"[\u0600-\u06FF]", at.title[0].value)
