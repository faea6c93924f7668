"""Click to drill down (``dashboards.drill``) and the overview's map of any indicator.

How a click is made here. AppTest cannot click a chart or a table. Streamlit 1.67 documents that a
table's selection (``st.dataframe(on_select="rerun", selection_mode="single-row")``) can be set through
Session State under the table's key, as ``{"selection": {"rows": [i]}}``: the same state the browser sends
when a row is clicked. The tests below set it on the page's drill table and rerun. A chart's selection
cannot be set that way (``st.plotly_chart`` refuses Session State writes): the click on a map region is
made by headless Chromium in ``tests/test_dashboards_browser.py``.

Expected units come from independent SQL on the published warehouse; the map's values per region and
province from SQL on the marts that define each indicator, never from the data-access module.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from page_test_support import (
    array_values,
    chart_specs,
    labels,
    run_page,
    served_like_massar_serve,
    sql,
    sql_value,
)
from streamlit.testing.v1 import AppTest

from dashboards.drill import Place, allowed
from dashboards.scope import NATIONAL, Scope

__all__ = ["served_like_massar_serve"]  # the autouse fixture, imported to apply here


def drill_table(at: AppTest, key: str) -> Any:
    """The page's one selectable table drawn under ``key`` (its widget key is ``table_<key>_<level>``)."""
    found = [d for d in at.dataframe if d.key and d.key.startswith(f"table_{key}_")]
    assert len(found) == 1, [d.key for d in at.dataframe]
    return found[0]


def click_row(at: AppTest, key: str, column: str, code: str) -> None:
    """Select the row of ``code`` (in ``column``) as a click does, then rerun the page."""
    table = drill_table(at, key)
    codes = [str(c) for c in table.value[column].tolist()]
    assert code in codes, (code, codes)
    at.session_state[table.key] = {"selection": {"rows": [codes.index(code)]}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def codes_shown(at: AppTest, key: str, column: str) -> list[str]:
    return [str(c) for c in drill_table(at, key).value[column].tolist()]


def territory_params(at: AppTest) -> dict[str, str]:
    return {k: at.query_params[k] for k in ("region", "province", "school") if k in at.query_params}


# --------------------------------------------------------------------------------- absence monitoring


def busiest_school(home: Path, year: str) -> tuple[str, str, str]:
    """The region, province and school with the most classes of the year (so every level has rows)."""
    region, province, school = sql(
        home,
        "select region_code, province_code, school_code from marts.dim_class "
        "where school_year = ? and pupils_enrolled > 0 group by all order by count(*) desc, 3 limit 1",
        year,
    )[0]
    return region, province, school


def units_with_pupils(home: Path, year: str, column: str, where: str, *params: str) -> list[str]:
    return [
        str(r[0])
        for r in sql(
            home,
            f"select distinct {column} from marts.dim_class "
            f"where school_year = ? and pupils_enrolled > 0 and {where} order by 1",
            year,
            *params,
        )
    ]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_absence_rows_drill_from_region_to_class_and_back_up(published_home: Path, lang: str) -> None:
    year = str(sql_value(published_home, "select max(school_year) from marts.fct_enrollment"))
    region, province, school = busiest_school(published_home, year)
    code = labels(lang)["absence.col.code"]
    at = run_page("absence_monitoring", NATIONAL, lang)
    assert territory_params(at) == {}
    regions = [
        str(r[0]) for r in sql(published_home, "select region_code from reference.code_regions order by 1")
    ]
    assert codes_shown(at, "absence_moni_drill", code) == regions

    click_row(at, "absence_moni_drill", code, region)
    assert territory_params(at) == {"region": region}
    assert at.sidebar.selectbox(key="filter_region").value == region
    expected = units_with_pupils(published_home, year, "province_code", "region_code = ?", region)
    assert codes_shown(at, "absence_moni_drill", code) == expected

    click_row(at, "absence_moni_drill", code, province)
    assert territory_params(at) == {"region": region, "province": province}
    expected = units_with_pupils(published_home, year, "school_code", "province_code = ?", province)
    assert codes_shown(at, "absence_moni_drill", code) == expected

    click_row(at, "absence_moni_drill", code, school)
    assert territory_params(at) == {"region": region, "province": province, "school": school}
    expected = units_with_pupils(published_home, year, "class_code", "school_code = ?", school)
    assert codes_shown(at, "absence_moni_drill", code) == expected

    # a class is the last level: its row opens nothing
    click_row(at, "absence_moni_drill", code, expected[0])
    assert territory_params(at) == {"region": region, "province": province, "school": school}

    # back up one level, then to the country from the breadcrumb
    at.button(key="drill_up").click().run()
    assert not at.exception
    assert territory_params(at) == {"region": region, "province": province}
    assert "school" not in at.query_params
    assert at.button(key="drill_crumb_0").label == labels(lang)["drill.country"]
    at.button(key="drill_crumb_0").click().run()
    assert territory_params(at) == {}
    assert codes_shown(at, "absence_moni_drill", code) == regions
    assert at.button(key="drill_up").disabled


def test_province_user_drills_to_a_school_but_not_out_of_the_province(published_home: Path) -> None:
    year = str(sql_value(published_home, "select max(school_year) from marts.fct_enrollment"))
    region, province, school = busiest_school(published_home, year)
    scope = Scope("province", region_code=region, province_code=province)
    code = labels("fr")["absence.col.code"]
    at = run_page("absence_monitoring", scope, "fr")
    # the breadcrumb starts at the user's province: nothing above it to go back to
    assert at.button(key="drill_up").disabled
    assert not [b for b in at.button if (b.key or "").startswith("drill_crumb_")]
    click_row(at, "absence_moni_drill", code, school)
    assert at.query_params["school"] == school
    assert not at.button(key="drill_up").disabled
    at.button(key="drill_up").click().run()
    assert "school" not in at.query_params
    assert at.button(key="drill_up").disabled  # the province again: the top of this user's scope


def test_targets_outside_the_scope_are_refused() -> None:
    province_user = Scope("province", region_code="01", province_code="01.511")
    assert allowed(Place("01", "01.511", "01511A"), province_user)
    assert not allowed(Place("01", "01.571"), province_user), "another province"
    assert not allowed(Place("01"), province_user), "the user's region: above their scope"
    assert not allowed(Place(), province_user), "the country"
    region_user = Scope("region", region_code="01")
    assert allowed(Place("01", "01.571"), region_user)
    assert not allowed(Place("02"), region_user)
    assert not allowed(Place("02", "02.113"), region_user)
    assert allowed(Place(), NATIONAL) and allowed(Place("02", "02.113"), NATIONAL)


# ------------------------------------------------------------------------------- overview, indicators


def test_overview_region_row_shows_its_provinces(published_home: Path) -> None:
    year = str(sql_value(published_home, "select max(school_year) from marts.fct_enrollment"))
    region, province, _ = busiest_school(published_home, year)
    fr = labels("fr")
    at = run_page("national_overview", NATIONAL, "fr")
    click_row(at, "national_ove_region", fr["col.region_code"], region)
    assert territory_params(at) == {"region": region}
    provinces = [
        str(r[0])
        for r in sql(
            published_home,
            "select province_code from reference.code_provinces where region_code = ? order by 1",
            region,
        )
    ]
    assert codes_shown(at, "overview_provinces", fr["col.province_code"]) == provinces
    maps = {c.key: c for c in at.get("plotly_chart")}
    assert "region_map" not in maps
    spec = next(s for s in chart_specs(at) if "geo" in s["layout"])
    assert sorted(array_values(spec["data"][0]["locations"])) == provinces

    click_row(at, "overview_provinces", fr["col.province_code"], province)
    assert territory_params(at) == {"region": region, "province": province}
    # no school geometry: the schools are bars, each carrying its school code
    bars = next(s for s in chart_specs(at) if s["data"] and s["data"][0].get("customdata") is not None)
    schools = [
        str(r[0])
        for r in sql(
            published_home,
            "select distinct school_code from marts.fct_enrollment "
            "where school_year = ? and province_code = ? order by 1",
            year,
            province,
        )
    ]
    assert array_values(bars["data"][0]["customdata"]) == schools


def test_indicators_rows_drill_down(published_home: Path) -> None:
    year = str(sql_value(published_home, "select max(school_year) from marts.agg_flow_rates"))
    province = str(
        sql_value(
            published_home,
            "select province_code from marts.agg_school_capacity "
            "where school_year = ? and cycle_code = 'primary' "
            "group by 1 order by sum(pupils) desc, 1 limit 1",
            year,
        )
    )
    code = labels("fr")["indicators.col.code"]
    at = run_page("indicators", NATIONAL, "fr", {"year": year})
    # the national table lists regions and provinces: a province row opens the province directly
    click_row(at, "indicators", code, province)
    assert territory_params(at) == {"region": province.split(".")[0], "province": province}
    schools = [
        str(r[0])
        for r in sql(
            published_home,
            "select distinct school_code from marts.agg_school_capacity "
            "where school_year = ? and cycle_code = 'primary' and province_code = ? order by 1",
            year,
            province,
        )
    ]
    assert codes_shown(at, "indicators", code) == [province, *schools]
    click_row(at, "indicators", code, schools[0])
    assert at.query_params["school"] == schools[0]
    assert codes_shown(at, "indicators", code) == [schools[0]]


# ------------------------------------------------------------------------------- maps of the indicators


#: per indicator: its value per unit from the mart that defines it (bind the school year; ``{unit}`` is
#: region_code or province_code), independent of ``dashboards.data_access.territory_rates``
MART_SQL: dict[str, str] = {
    "pupils": "select {unit}, sum(pupils) from marts.agg_enrollment_by_province "
    "where school_year = ? group by 1",
    "dropout_rate": "select {unit}, sum(dropped_out) / sum(rate_base) from marts.agg_flow_rates "
    "where school_year = ? group by 1 having sum(rate_base) > 0",
    "repetition_rate": "select {unit}, sum(repeated) / sum(rate_base) from marts.agg_flow_rates "
    "where school_year = ? group by 1 having sum(rate_base) > 0",
    "promotion_rate": "select {unit}, sum(promoted) / sum(rate_base) from marts.agg_flow_rates "
    "where school_year = ? group by 1 having sum(rate_base) > 0",
    "chronic_absence_rate": "select {unit}, sum(chronically_absent) / sum(pupils_classified) "
    "from marts.agg_attendance where school_year = ? group by 1 having sum(pupils_classified) > 0",
    "pass_rate_3ac": "select {unit}, sum(passed) / sum(candidates_complete) from marts.agg_exam_results "
    "where school_year = ? and certificate_code = '3AC' group by 1 having sum(candidates_complete) > 0",
    "pass_rate_bac": "select {unit}, sum(passed) / sum(candidates_complete) from marts.agg_exam_results "
    "where school_year = ? and certificate_code = 'BAC' group by 1 having sum(candidates_complete) > 0",
}
UNITS = {"pupils": "count"}


def map_values(spec: dict[str, Any]) -> dict[str, float]:
    trace = spec["data"][0]
    values = zip(array_values(trace["locations"]), array_values(trace["z"]), strict=True)
    return {str(k): float(v) for k, v in values if v is not None and not math.isnan(v)}


@pytest.mark.parametrize("indicator", list(MART_SQL))
def test_map_of_each_indicator_equals_its_mart(published_home: Path, indicator: str) -> None:
    # the latest year whose flows are known (the last loaded year has none)
    year = str(sql_value(published_home, "select max(school_year) from marts.agg_flow_rates"))
    lang = "ar" if indicator == "dropout_rate" else "fr"
    text = labels(lang)
    at = run_page("national_overview", NATIONAL, lang, {"year": year, "indicator": indicator})
    assert at.selectbox(key="filter_indicator").value == indicator
    specs = {c.key: s for c, s in zip(at.get("plotly_chart"), chart_specs(at), strict=True)}
    for key, unit in (("region_map", "region_code"), ("province_map", "province_code")):
        expected = {
            str(k): float(v) for k, v in sql(published_home, MART_SQL[indicator].format(unit=unit), year)
        }
        assert expected, f"the session pipeline has no {indicator} in {year}"
        shown = map_values(specs[key])
        if indicator == "pupils":  # every unit drawn, 0 where none
            shown = {k: v for k, v in shown.items() if v}
        assert shown.keys() == expected.keys(), (key, indicator)
        for code, value in expected.items():
            assert shown[code] == pytest.approx(value, abs=1e-12), (key, indicator, code)
        # the legend says what the colour shows and in which unit, in the page's language
        unit_label = text["map.unit.count" if indicator in UNITS else "map.unit.share"]
        legend = text["map.legend"].format(indicator=text[f"map.ind.{indicator}"], unit=unit_label)
        title = specs[key]["layout"]["coloraxis"]["colorbar"]["title"]["text"].replace("<br>", " ")
        assert title == legend
