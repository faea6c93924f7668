"""The Absence monitoring page and its data access (``dashboards.data_access.absences``).

The page runs in Streamlit's AppTest for each role (ministry, region, province, school) in French and
Arabic, on the warehouse published by the real pipeline run. Expected numbers come from independent SQL
on the pupil-grain marts (``fct_enrollment_history``, ``fct_absence``, ``fct_absence_daily``,
``fct_attendance_ytd``) and on the lake's accepted roll calls (read with DuckDB, not through dbt), never
from the data-access functions nor the recording marts; the spike rule is recomputed in polars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from page_test_support import (
    LANGS,
    ROLE_IDS,
    as_int,
    assert_language,
    chart_specs,
    charts_or_notices,
    identity_rows,
    labels,
    metric,
    role_scopes,
    rows,
    run_page,
    served_like_massar_serve,
    value,
)
from streamlit.testing.v1 import AppTest

from dashboards.scope import NATIONAL, Scope, ScopeError

__all__ = ["served_like_massar_serve"]  # the autouse fixture, imported to apply here

PAGE = "absence_monitoring"


@dataclass(frozen=True)
class Case:
    scope: Scope
    year: str

    @property
    def params(self) -> list[str | None]:
        """Values for the ``TERR`` fragment: region, region, province, province, school, school."""
        s = self.scope
        return [s.region_code, s.region_code, s.province_code, s.province_code, s.school_code, s.school_code]


TERR = """(cast(? as varchar) is null or {a}.region_code = ?)
    and (cast(? as varchar) is null or {a}.province_code = ?)
    and (cast(? as varchar) is null or {a}.school_code = ?)"""


def _scopes(db: Path) -> tuple[str, dict[str, Scope]]:
    year = str(value(db, "select max(school_year) from marts.fct_absence_daily"))
    region, province, school = rows(
        db,
        """
        select c.region_code, c.province_code, c.school_code
        from marts.fct_absence_daily as d
        join marts.dim_class as c using (school_year, class_code)
        where d.school_year = ? and d.is_absent_day
        group by all order by count(*) desc, 3 limit 1
        """,
        year,
    )[0]
    return year, role_scopes(region, province, school)


def received_days(db: Path) -> str:
    """SQL of the (region_code, day) a region sent a file for (bind the school year twice): a roll call
    (the accepted rows of the lake's roll_calls, read here with DuckDB, not through dbt) or an absence
    (``fct_absence``). The published warehouse is ``<home>/warehouse/published/<version>.duckdb``."""
    lake = db.parents[2] / "lake" / "roll_calls" / "*" / "*" / "*.parquet"
    return f"""
        select distinct region_code, roll_call_date as day
        from read_parquet('{lake}', hive_partitioning = true, union_by_name = true)
        where school_year = ?
        union
        select distinct region_code, absence_date as day from marts.fct_absence where school_year = ?
    """


def today(db: Path, case: Case) -> date:
    """The last school day loaded in the territory: the last school day on or before the last day any of
    its regions sent a roll call or an absence for."""
    return value(
        db,
        f"""
        with received as ({received_days(db)}),
        last as (
            select max(day) as last_date
            from received
            where cast(? as varchar) is null or region_code = ?
        )
        select max(cal.calendar_date)
        from marts.dim_calendar as cal, last
        where cal.school_year = ? and cal.is_school_day and cal.calendar_date <= last.last_date
        """,
        case.year,
        case.year,
        case.scope.region_code,
        case.scope.region_code,
        case.year,
    )


def expected_today(db: Path, case: Case) -> tuple[int, int]:
    """(pupils enrolled, pupils absent) on the territory's last loaded day, from the pupil-grain facts:
    pupils of the regions that sent a roll call or an absence that day (the others: no data received)."""
    day = today(db, case)
    enrolled = value(
        db,
        f"""
        with received as ({received_days(db)})
        select count(*)
        from marts.fct_enrollment_history as h
        join marts.dim_class as c using (school_year, class_code)
        where h.school_year = ? and ? between h.valid_from and h.valid_to and {TERR.format(a="c")}
            and c.region_code in (select region_code from received where day = ?)
        """,
        case.year,
        case.year,
        case.year,
        day,
        *case.params,
        day,
    )
    absent = value(
        db,
        f"""
        select count(*)
        from marts.fct_absence_daily as d
        join marts.dim_class as c using (school_year, class_code)
        where d.school_year = ? and d.absence_date = ? and d.is_absent_day and {TERR.format(a="c")}
        """,
        case.year,
        day,
        *case.params,
    )
    return int(enrolled), int(absent)


def unrecorded_classes(db: Path, case: Case, day: date) -> set[tuple[str, str]]:
    """(school, class) of the territory with a pupil enrolled on ``day`` and neither a roll call nor an
    absence that day (see :func:`received_days`), in a region that sent a roll call or an absence that
    day."""
    lake = db.parents[2] / "lake" / "roll_calls" / "*" / "*" / "*.parquet"
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute(
            f"""
            with roll as (
                select distinct region_code, class_code
                from read_parquet('{lake}', hive_partitioning = true, union_by_name = true)
                where school_year = ? and roll_call_date = ?
            ),
            absent as (
                select distinct region_code, class_code
                from marts.fct_absence
                where school_year = ? and absence_date = ?
            ),
            done as (select * from roll union select * from absent),
            present as (
                select distinct c.region_code, c.school_code, c.class_code
                from marts.fct_enrollment_history as h
                join marts.dim_class as c using (school_year, class_code)
                where h.school_year = ? and ? between h.valid_from and coalesce(h.valid_to, ?)
                    and {TERR.format(a="c")}
            )
            select p.school_code, p.class_code
            from present as p
            where p.region_code in (select region_code from done)
                and p.class_code not in (select class_code from done)
            """,
            [case.year, day, case.year, day, case.year, day, day, *case.params],
        ).fetchall()
    return {(r[0], r[1]) for r in found}


def chronic_codes(db: Path, case: Case) -> set[str]:
    """Massar codes of the territory's chronic absentees, by SQL on the pupil-grain mart and the restricted
    identity table of the restricted file (not through the follow-up store the page reads)."""
    return {
        r[0]
        for r in identity_rows(
            db,
            f"select i.student_code from marts.fct_attendance_ytd as y "
            f"join identity.restricted.student_identity as i using (student_key) "
            f"where y.school_year = ? and y.is_chronically_absent and {TERR.format(a='y')}",
            case.year,
            *case.params,
        )
    }


def fmt_pct(share: float, lang: str) -> str:
    text = f"{100 * share:.1f}"
    return f"{text.replace('.', ',')}\u202f%" if lang == "fr" else f"{text}%"


def open_page(scope: Scope, lang: str, query: dict[str, str] | None = None) -> AppTest:
    return run_page(PAGE, scope, lang, query, deep_link=True)


@pytest.fixture(scope="module")
def territories(published_db: Path) -> tuple[str, dict[str, Scope]]:
    return _scopes(published_db)


# ------------------------------------------------------------------------------------------------- page


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLE_IDS)
def test_page_per_role_and_language(
    role: str, lang: str, published_db: Path, published_home: Path, territories: tuple[str, dict[str, Scope]]
) -> None:
    year, scopes = territories
    case = Case(scopes[role], year)
    at = open_page(case.scope, lang)
    lab = labels(lang)

    assert_language(at, lang, "absence.title")
    assert at.query_params["year"] == year

    enrolled, absent = expected_today(published_db, case)
    assert enrolled > 0
    assert as_int(metric(at, lab["absence.kpi.absent_today"])) == absent
    assert metric(at, lab["absence.kpi.rate_today"]) == fmt_pct(absent / enrolled, lang)

    chronic = value(
        published_db,
        f"select count(*) from marts.fct_attendance_ytd as y "
        f"where y.school_year = ? and y.is_chronically_absent and {TERR.format(a='y')}",
        year,
        *case.params,
    )
    assert as_int(metric(at, lab["absence.kpi.chronic"])) == chronic
    # schools where at least one class with pupils took no roll call (and recorded no absence)
    unrecorded = {school for school, _ in unrecorded_classes(published_db, case, today(published_db, case))}
    assert as_int(metric(at, lab["absence.kpi.unrecorded"])) == len(unrecorded)

    # two charts: rate by unit (today and week bars) and the daily rate line
    charts = chart_specs(at)
    assert charts_or_notices(at) == 2  # a chart with no non-zero value is a notice instead
    if len(charts) == 2:
        assert {tr["type"] for tr in charts[0]["data"]} == {"bar"}
    assert charts[-1]["data"][0]["type"] == "scatter"
    if lang == "ar" and len(charts) == 2:
        assert charts[0]["layout"]["title"]["xanchor"] == "right"
        assert charts[0]["layout"]["xaxis"]["autorange"] == "reversed"

    # the drill-down table is one level below the territory, its units those of the territory
    level, column = {
        "ministry": ("region", "region_code"),
        "region": ("province", "province_code"),
        "province": ("school", "school_code"),
        "school": ("class", "class_code"),
    }[role]
    drill = at.dataframe[0].value
    units = sorted(
        r[0]
        for r in rows(
            published_db,
            f"select distinct c.{column} from marts.fct_enrollment_history as h "
            f"join marts.dim_class as c using (school_year, class_code) "
            f"where h.school_year = ? and {TERR.format(a='c')}",
            year,
            *case.params,
        )
    )
    if level == "region":  # every region, those without any data received too
        units = sorted(
            {*units, *(r[0] for r in rows(published_db, "select region_code from reference.code_regions"))}
        )
    assert sorted(drill[lab["absence.col.code"]].tolist()) == units
    level_label = lab[f"absence.level.{level}"]
    assert any(h.value == lab["absence.drill.title"].format(level=level_label) for h in at.subheader)
    # never pupils' names: the ministry's chronic list shows pseudonymous keys (16 hex characters), the
    # school's and directorates' lists the Massar code (for follow-up), never the other way round
    keys_column, codes_column = lab["absence.col.student_key"], lab["absence.col.massar_code"]
    key_tables = [tb.value for tb in at.dataframe if keys_column in tb.value.columns]
    code_tables = [tb.value for tb in at.dataframe if codes_column in tb.value.columns]
    if chronic and role == "ministry":
        assert key_tables and not code_tables
        assert all(re.fullmatch(r"[0-9a-f]{16}", k) for k in key_tables[0][keys_column])
    elif chronic:
        assert code_tables and not key_tables
        assert set(code_tables[0][codes_column]) <= chronic_codes(published_db, case)


def test_url_filters_drive_the_drill_down(
    published_db: Path, territories: tuple[str, dict[str, Scope]]
) -> None:
    """The ministry choosing a region, then a province, then a school in the URL gets the next level."""
    year, scopes = territories
    school = scopes["school"]
    fr = labels("fr")
    for query, level in (
        ({"region": school.region_code}, "province"),
        ({"region": school.region_code, "province": school.province_code}, "school"),
        (
            {"region": school.region_code, "province": school.province_code, "school": school.school_code},
            "class",
        ),
    ):
        at = open_page(NATIONAL, "fr", {"year": year, **query})
        for key, val in query.items():
            assert at.query_params[key] == val
        title = fr["absence.drill.title"].format(level=fr[f"absence.level.{level}"])
        assert any(h.value == title for h in at.subheader), [h.value for h in at.subheader]
    # the deepest view equals the school user's own view
    case = Case(school, year)
    enrolled, absent = expected_today(published_db, case)
    assert as_int(metric(at, fr["absence.kpi.absent_today"])) == absent
    assert metric(at, fr["absence.kpi.rate_today"]) == fmt_pct(absent / enrolled, "fr")


def test_region_user_cannot_reach_another_region_by_url(territories: tuple[str, dict[str, Scope]]) -> None:
    year, scopes = territories
    region_scope = scopes["region"]
    other = "06" if region_scope.region_code != "06" else "01"
    at = open_page(region_scope, "fr", {"year": year, "region": other})
    fr = labels("fr")
    title = fr["absence.drill.title"].format(level=fr["absence.level.province"])
    assert any(h.value == title for h in at.subheader)
    codes = at.dataframe[0].value[fr["absence.col.code"]].tolist()
    assert codes and all(c.startswith(f"{region_scope.region_code}.") for c in codes)


# ------------------------------------------------------------------------------------------ data access


def test_absence_by_unit_and_daily(published_db: Path, territories: tuple[str, dict[str, Scope]]) -> None:
    from dashboards.data_access import absences as da

    year, scopes = territories
    for role, scope in scopes.items():
        case = Case(scope, year)
        units = da.absence_by_unit(year, scope=scope)
        enrolled, absent = expected_today(published_db, case)
        assert units["absent_today"].sum() == absent, role
        assert units["enrolled_today"].sum() == enrolled, role
        daily = da.daily_absence(year, scope=scope)
        assert daily["calendar_date"].max() == today(published_db, case)
        # week: pupil-days from the Monday of today's week, recomputed from the facts
        day = today(published_db, case)
        monday = value(published_db, "select cast(date_trunc('week', cast(? as date)) as date)", day)
        week_absent = value(
            published_db,
            f"select count(*) from marts.fct_absence_daily as d join marts.dim_class as c "
            f"using (school_year, class_code) where d.school_year = ? and d.is_absent_day "
            f"and d.absence_date between ? and ? and {TERR.format(a='c')}",
            year,
            monday,
            day,
            *case.params,
        )
        assert units["absent_week"].sum() == week_absent, role
    # an injection attempt is a year like any other: no data received for it, every region null, none 0
    injected = da.absence_by_unit("x' or '1'='1", scope=NATIONAL)
    assert injected["enrolled_today"].null_count() == injected.height
    assert injected.height == value(published_db, "select count(*) from reference.code_regions")


def test_chronic_absentees_are_pseudonymous_and_scoped(
    published_db: Path, territories: tuple[str, dict[str, Scope]]
) -> None:
    from dashboards.data_access import absences as da

    year, scopes = territories
    province = scopes["province"]
    pupils = da.chronic_absentees(year, scope=province)
    assert "student_key" in pupils.columns
    assert not {"first_name", "last_name", "name", "birth_date"} & set(pupils.columns)
    want = value(
        published_db,
        "select count(*) from marts.fct_attendance_ytd where school_year = ? and is_chronically_absent "
        "and province_code = ?",
        year,
        province.province_code,
    )
    assert pupils.height == want  # every one of them, not a first page
    by_school = da.chronic_by_school(year, scope=province)
    assert by_school["chronically_absent"].sum() == want
    streaks = dict(
        rows(
            published_db,
            "select school_code, max(longest_absence_streak) from marts.fct_attendance_ytd "
            "where school_year = ? and is_chronically_absent and province_code = ? group by 1",
            year,
            province.province_code,
        )
    )
    assert dict(zip(by_school["school_code"], by_school["longest_streak"], strict=True)) == streaks


def test_spikes_match_the_rule_recomputed_in_polars(
    published_db: Path, territories: tuple[str, dict[str, Scope]]
) -> None:
    from dashboards.data_access import absences as da

    year, scopes = territories
    region = scopes["region"]
    with duckdb.connect(str(published_db), read_only=True) as con:
        facts = con.sql(
            "select province_code as unit, calendar_date, school_day_number, pupils_enrolled, pupils_absent "
            "from marts.agg_absence_class_daily where school_year = ? and region_code = ?",
            params=[year, region.region_code],
        ).pl()
    daily = (
        facts.group_by("unit", "calendar_date", "school_day_number")
        .agg(pl.col("pupils_enrolled").sum(), pl.col("pupils_absent").sum())
        .with_columns((pl.col("pupils_absent") / pl.col("pupils_enrolled")).alias("rate"))
        .sort("unit", "calendar_date")
    )
    # usual level: mean and sample deviation of the unit's previous SPIKE_WINDOW school days
    judged = daily.with_columns(pl.col("rate").shift(1).over("unit").alias("previous")).with_columns(
        pl.col("previous").rolling_mean(da.SPIKE_WINDOW, min_samples=1).over("unit").alias("mean"),
        pl.col("previous").rolling_std(da.SPIKE_WINDOW, min_samples=2).over("unit").fill_null(0).alias("sd"),
        pl.int_range(pl.len()).over("unit").alias("n_previous"),
    )
    last = int(facts["school_day_number"].max())  # spikes are reported over the last school days only
    want = judged.filter(
        (pl.col("school_day_number") > last - da.SPIKE_RECENT_DAYS)
        & (pl.col("n_previous") >= da.SPIKE_MIN_DAYS)
        & (pl.col("pupils_absent") >= da.SPIKE_MIN_ABSENT)
        & (pl.col("rate") > pl.col("mean") + da.SPIKE_K * pl.col("sd"))
    )
    got = da.absence_spikes(year, scope=region)
    assert set(zip(got["unit_code"], got["calendar_date"], strict=True)) == set(
        zip(want["unit"], want["calendar_date"], strict=True)
    )
    assert all(got["rate"] > got["threshold"])


def test_recording_gaps_and_silent_classes(
    published_db: Path, territories: tuple[str, dict[str, Scope]]
) -> None:
    from dashboards.data_access import absences as da

    year, scopes = territories
    school = scopes["school"]
    day = today(published_db, Case(school, year))
    silent = da.silent_classes(year, scope=school)
    # a class is silent when it took no roll call, not when nobody was absent
    assert silent["class_code"].to_list() == sorted(
        c for _, c in unrecorded_classes(published_db, Case(school, year), day)
    )
    national_day = today(published_db, Case(NATIONAL, year))
    expected = unrecorded_classes(published_db, Case(NATIONAL, year), national_day)
    gaps = da.recording_gaps(year, scope=NATIONAL)
    assert set(gaps["school_code"]) == {school_code for school_code, _ in expected}
    # the school view agrees with the class view: classes not recorded per school
    per_school: dict[str, int] = {}
    for school_code, _ in expected:
        per_school[school_code] = per_school.get(school_code, 0) + 1
    assert dict(zip(gaps["school_code"], gaps["classes_not_recorded"], strict=True)) == per_school
    assert set(gaps["recording_status"]) <= {"not_recorded", "partly_recorded"}
    counts = da.recording_status_counts(year, scope=NATIONAL)
    assert counts["status_code"].to_list() == [
        "recorded_with_absences",
        "recorded_no_absence",
        "partly_recorded",
        "not_recorded",
        "no_file_received",
    ]
    by_status = dict(zip(counts["status_code"], counts["schools"], strict=True))
    assert by_status["not_recorded"] + by_status["partly_recorded"] == gaps.height


def test_no_data_received_is_not_zero(published_db: Path, territories: tuple[str, dict[str, Scope]]) -> None:
    """A day no region sent anything for: every region is "no data received" (null counts), never 0."""
    from dashboards.data_access import absences as da

    year, _ = territories
    after = value(
        published_db,
        "select cast(max(calendar_date) + interval 60 day as date) "
        "from marts.dim_calendar where school_year = ?",
        year,
    )
    units = da.absence_by_unit(year, scope=NATIONAL, day=after)
    assert units.height == value(published_db, "select count(*) from reference.code_regions")
    for column in ("enrolled_today", "absent_today", "rate_today", "enrolled_week", "absent_week"):
        assert units[column].null_count() == units.height, column


def test_scope_narrowing_errors(territories: tuple[str, dict[str, Scope]]) -> None:
    from dashboards.data_access import absences as da

    year, scopes = territories
    province = scopes["province"]
    with pytest.raises(ScopeError):
        da.absence_by_unit(year, scope=province, province=f"{province.region_code}.999")
    school = scopes["school"]
    with pytest.raises(ScopeError):
        da.chronic_absentees(year, scope=school, school="NOT-MINE")


# ------------------------------------------------------------------------------------ follow-up (Massar code)


@pytest.mark.parametrize("role", ["region", "province", "school"])
def test_directorates_get_the_massar_codes_of_their_territory_only(
    role: str, published_db: Path, territories: tuple[str, dict[str, Scope]]
) -> None:
    from dashboards.data_access import absences as da

    year, scopes = territories
    case = Case(scopes[role], year)
    pupils = da.chronic_absentees(year, scope=case.scope)
    want = chronic_codes(published_db, case)
    # the list is complete: as many rows as the mart has chronic absentees in the territory
    assert (
        pupils.height
        == len(want)
        == value(
            published_db,
            f"select count(*) from marts.fct_attendance_ytd as y "
            f"where y.school_year = ? and y.is_chronically_absent and {TERR.format(a='y')}",
            year,
            *case.params,
        )
    )
    assert pupils["student_code"].null_count() == 0
    assert set(pupils["student_code"]) == want
    # each code sits beside its own pupil's key, school and class (the mart's row of that pupil)
    mart = {
        (key, code, school, klass)
        for key, code, school, klass in identity_rows(
            published_db,
            "select y.student_key, i.student_code, y.school_code, y.class_code "
            "from marts.fct_attendance_ytd as y "
            "join identity.restricted.student_identity as i using (student_key) "
            "where y.school_year = ? and y.is_chronically_absent",
            year,
        )
    }
    got = set(pupils.select("student_key", "student_code", "school_code", "class_code").iter_rows())
    assert got <= mart
    # codes of pupils outside the territory never come back: another province of the region gets its own
    others = rows(
        published_db,
        "select province_code from marts.fct_attendance_ytd where school_year = ? and is_chronically_absent "
        "and region_code = ? and province_code != ? group by 1 limit 1",
        year,
        case.scope.region_code,
        scopes["province"].province_code,
    )
    if role == "province" and others:
        other = Scope("province", region_code=case.scope.region_code, province_code=others[0][0])
        assert not set(da.chronic_absentees(year, scope=other)["student_code"]) & want


def test_the_ministry_sees_no_massar_code(
    published_db: Path, territories: tuple[str, dict[str, Scope]]
) -> None:
    from dashboards.data_access import _followup
    from dashboards.data_access import absences as da

    year, scopes = territories
    pupils = da.chronic_absentees(year, scope=NATIONAL)
    assert "student_code" not in pupils.columns
    assert pupils.height == value(
        published_db,
        "select count(*) from marts.fct_attendance_ytd where school_year = ? and is_chronically_absent",
        year,
    )
    # narrowed to a province, the ministry still gets keys only
    province = scopes["province"]
    narrowed = da.chronic_absentees(
        year, scope=NATIONAL, region=province.region_code, province=province.province_code
    )
    assert "student_code" not in narrowed.columns and narrowed.height > 0
    with pytest.raises(_followup.FollowupNotEntitled):
        _followup.massar_codes(year, NATIONAL, NATIONAL.territory())
    # and no Massar code of any chronic absentee shows anywhere on the ministry's page, in any table
    codes = chronic_codes(published_db, Case(NATIONAL, year))
    assert codes
    at = open_page(NATIONAL, "fr")
    for table in at.dataframe:
        shown = {str(v) for column in table.value.columns for v in table.value[column]}
        assert not shown & codes


def test_the_chronic_list_is_complete_and_downloadable(
    published_db: Path, territories: tuple[str, dict[str, Scope]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page lists every chronic absentee of the territory (the caption's total and the download), for
    a directorate with their Massar codes."""
    from page_test_support import Downloads

    downloads = Downloads(monkeypatch)
    year, scopes = territories
    case = Case(scopes["region"], year)
    want = chronic_codes(published_db, case)
    at = open_page(case.scope, "fr")
    fr = labels("fr")
    caption = fr["absence.pupils.caption_followup"].split("{total}")[1]
    assert any(c.value.endswith(caption) and as_int(c.value.split(" ")[0]) == len(want) for c in at.caption)
    csv = downloads.content(at, "download_csv_absence_moni_pupils").decode("utf-8-sig")
    exported = pl.read_csv(
        csv.encode(), separator=";", schema_overrides={fr["absence.col.massar_code"]: pl.String}
    )
    assert exported.height == len(want)
    assert set(exported[fr["absence.col.massar_code"]]) == want
