"""The dashboards, run in-process with Streamlit's AppTest, in French and Arabic.

Expected numbers are computed by SQL run directly on the published warehouse file (the one ``CURRENT``
names under ``$MASSAR_HOME``), never copied from the app.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
import streamlit as st
from dashboard_fixtures import build_fixture_warehouse
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from dashboards.auth import User
from dashboards.scope import NATIONAL, Scope

REPO_ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = REPO_ROOT / "dashboards"
APP = DASHBOARDS / "app.py"
OVERVIEW_PAGE = "app_pages/national_overview.py"
TIMEOUT = 60
ARABIC = re.compile(r"[\u0600-\u06FF]")

if str(REPO_ROOT) not in sys.path:  # `dashboards` is imported as a package from the repository root
    sys.path.insert(0, str(REPO_ROOT))


# -------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _served_like_massar_serve() -> Iterator[None]:
    """As under `massar serve` (static serving on); fresh caches (they are per process) for every test."""
    previous = st.get_option("server.enableStaticServing")
    st_config.set_option("server.enableStaticServing", True)
    yield
    st_config.set_option("server.enableStaticServing", previous)
    st.cache_data.clear()
    st.cache_resource.clear()


# ---------------------------------------------------------------------------------------------- helpers


def warehouse_file(home: Path) -> Path:
    """The file ``CURRENT`` names (it holds the version, or the version's file name)."""
    published = home / "warehouse" / "published"
    version = (published / "CURRENT").read_text(encoding="utf-8").strip().removesuffix(".duckdb")
    return published / f"{version}.duckdb"


def sql(home: Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse_file(home)), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def sql_column(home: Path, query: str, *params: object) -> list[Any]:
    return [row[0] for row in sql(home, query, *params)]


def sql_value(home: Path, query: str, *params: object) -> Any:
    return sql(home, query, *params)[0][0]


def latest_year(home: Path) -> str:
    return str(sql_value(home, "select max(school_year) from marts.agg_enrollment_by_region"))


def labels(lang: str) -> dict[str, str]:
    """Every label of one language: ``<lang>.json`` and each ``<section>.<lang>.json``."""
    folder = DASHBOARDS / "i18n"
    data: dict[str, str] = {}
    for path in (folder / f"{lang}.json", *folder.glob(f"*.{lang}.json")):
        data.update(json.loads(path.read_text(encoding="utf-8")))
    return data


MINISTRY = User("ministere", "Ministère", NATIONAL)


def run_app(query_params: dict[str, str] | None = None, user: User | None = MINISTRY) -> AppTest:
    """The internal app, with ``user`` already signed in (None: nobody)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    if user is not None:
        at.session_state["auth_user"] = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric_number(at: AppTest, label: str) -> int:
    values = [m.value for m in at.metric if m.label == label]
    assert len(values) == 1, f"metric {label!r} not found in {[m.label for m in at.metric]}"
    return int(re.sub(r"\D", "", values[0]))


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def array_values(value: Any) -> list[Any]:
    """A plotly JSON array: a list, or a typed array ``{"dtype", "bdata"[, "shape"]}`` (plotly >= 6)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return list(value)


def trace_types(at: AppTest) -> list[set[str]]:
    return [{trace["type"] for trace in spec["data"]} for spec in chart_specs(at)]


def map_spec(at: AppTest) -> dict[str, Any]:
    return next(spec for spec in chart_specs(at) if "geo" in spec["layout"])


def bar_spec(at: AppTest) -> dict[str, Any]:
    return next(spec for spec in chart_specs(at) if "geo" not in spec["layout"])


# ------------------------------------------------------------------------------------------------ tests


def test_french_overview(published_home: Path) -> None:
    at = run_app()
    fr = labels("fr")
    year = latest_year(published_home)

    assert at.title[0].value == fr["overview.title"]
    assert at.query_params["lang"] == "fr"
    assert at.query_params["year"] == year
    assert "cycle" not in at.query_params

    types = trace_types(at)
    assert {"choropleth"} in types
    assert {"bar"} in types
    choropleth = map_spec(at)
    trace = choropleth["data"][0]
    assert sorted(array_values(trace["locations"])) == sql_column(
        published_home, "select region_code from reference.code_regions order by 1"
    )
    assert trace["featureidkey"] == "properties.hcp_code"
    assert choropleth["layout"]["geo"]["fitbounds"] == "locations"
    assert choropleth["layout"]["geo"]["visible"] is False
    for chart in at.get("plotly_chart"):
        assert json.loads(chart.proto.config)["topojsonURL"] == "/app/static/topojson/"

    total = sql_value(
        published_home, "select sum(pupils) from marts.agg_enrollment_by_region where school_year = ?", year
    )
    girls = sql_value(
        published_home,
        "select sum(pupils) from marts.agg_enrollment_by_region where school_year = ? and sex = 'F'",
        year,
    )
    assert metric_number(at, fr["kpi.total_pupils"]) == total
    assert metric_number(at, fr["kpi.girls"]) == girls
    share = next(m.value for m in at.metric if m.label == fr["kpi.girls_share"])
    assert share.replace("\u202f", " ") == f"{100 * girls / total:.1f} %".replace(".", ",")

    table = at.dataframe[0].value
    assert len(table) == 12 + 1  # the regions, then the total
    names_fr = sql_column(published_home, "select name_fr from reference.code_regions order by region_code")
    assert table[fr["col.region"]].tolist()[:12] == names_fr


def test_arabic_overview(published_home: Path) -> None:
    at = run_app({"lang": "ar"})
    ar = labels("ar")
    year = latest_year(published_home)

    assert at.query_params["lang"] == "ar"
    assert at.title[0].value == ar["overview.title"]
    assert ARABIC.search(at.title[0].value)
    assert {m.label for m in at.metric} >= {ar["kpi.total_pupils"], ar["kpi.girls"], ar["kpi.girls_share"]}
    assert all(ARABIC.search(s.label) for s in at.selectbox)
    assert at.sidebar.radio(key="lang").value == "ar"
    # the right-to-left stylesheet is injected for Arabic only
    assert any("direction: rtl" in str(h.proto.body) for h in at.get("html"))

    total = sql_value(
        published_home, "select sum(pupils) from marts.agg_enrollment_by_region where school_year = ?", year
    )
    assert metric_number(at, ar["kpi.total_pupils"]) == total

    table = at.dataframe[0].value
    names_ar = sql_column(published_home, "select name_ar from reference.code_regions order by region_code")
    assert table[ar["col.region"]].tolist()[:12] == names_ar
    assert list(table.columns)[1] == ar["col.region"]

    choropleth = map_spec(at)
    assert sorted(array_values(choropleth["data"][0]["hovertext"])) == sorted(names_ar)
    assert ARABIC.search(choropleth["layout"]["title"]["text"])
    assert choropleth["layout"]["title"]["xanchor"] == "right"


def test_french_has_no_rtl_stylesheet(published_home: Path) -> None:
    at = run_app({"lang": "fr"})
    assert not any("direction: rtl" in str(h.proto.body) for h in at.get("html"))


def test_filters_from_url(published_home: Path) -> None:
    year = str(sql_value(published_home, "select min(school_year) from marts.agg_enrollment_by_region"))
    cycle = str(
        sql_value(
            published_home, "select cycle_code from reference.code_cycles order by cycle_order desc limit 1"
        )
    )
    at = run_app({"lang": "fr", "year": year, "cycle": cycle})
    fr = labels("fr")

    assert at.selectbox(key="filter_year").value == year
    assert at.selectbox(key="filter_cycle").value == cycle
    assert at.query_params["year"] == year
    assert at.query_params["cycle"] == cycle
    expected = sql_value(
        published_home,
        "select coalesce(sum(pupils), 0) from marts.agg_enrollment_by_region "
        "where school_year = ? and cycle_code = ?",
        year,
        cycle,
    )
    assert metric_number(at, fr["kpi.total_pupils"]) == expected
    schools = sql_value(published_home, "select count(*) from marts.dim_school where cycle_code = ?", cycle)
    assert metric_number(at, fr["kpi.schools"]) == schools
    bars = bar_spec(at)
    assert all(trace["type"] == "bar" for trace in bars["data"])
    assert sum(sum(array_values(trace["y"])) for trace in bars["data"]) == expected


def test_unknown_url_values_fall_back(published_home: Path) -> None:
    at = run_app({"lang": "xx", "year": "1999-2000", "cycle": "nope"})
    assert at.sidebar.radio(key="lang").value == "fr"
    assert at.query_params["lang"] == "fr"
    assert at.query_params["year"] == latest_year(published_home)
    assert "cycle" not in at.query_params


def test_widgets_update_url(published_home: Path) -> None:
    at = run_app()
    years = sql_column(published_home, "select distinct school_year from marts.agg_enrollment_by_region")
    other = min(years)
    at.selectbox(key="filter_year").set_value(other).run()
    assert not at.exception
    assert at.query_params["year"] == other

    at.sidebar.radio(key="lang").set_value("ar").run()
    assert not at.exception
    ar = labels("ar")
    assert at.query_params["lang"] == "ar"
    assert at.title[0].value == ar["overview.title"]
    assert at.selectbox(key="filter_year").value == other  # the filter survives the language switch
    expected = sql_value(
        published_home, "select sum(pupils) from marts.agg_enrollment_by_region where school_year = ?", other
    )
    assert metric_number(at, ar["kpi.total_pupils"]) == expected


def test_switch_page_to_overview(published_home: Path) -> None:
    at = run_app({"lang": "ar"})
    at.switch_page(OVERVIEW_PAGE).run()
    assert not at.exception
    assert [c.key for c in at.get("plotly_chart")] == [
        "region_map",
        "province_map",
        "cycle_sex_bars",
        "sector_area_bars",
        "trend",
    ]
    assert at.title[0].value == labels("ar")["overview.title"]


def test_warns_without_static_serving(published_home: Path) -> None:
    st_config.set_option("server.enableStaticServing", False)
    at = run_app()
    assert labels("fr")["map.static_serving_off"] in [w.value for w in at.warning]


def test_new_publish_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    build_fixture_warehouse(tmp_path, version="v20300101T000000Z")
    at = run_app()
    fr = labels("fr")
    before = metric_number(at, fr["kpi.total_pupils"])

    new_file = build_fixture_warehouse(tmp_path, version="v20300102T000000Z")  # rewrites CURRENT
    with duckdb.connect(str(new_file)) as con:
        con.execute("update marts.agg_enrollment_by_region set pupils = pupils + 1 where sex = 'F'")
        con.execute("update marts.agg_enrollment_by_province set pupils = pupils + 1 where sex = 'F'")
    at.run()
    assert not at.exception
    year = latest_year(tmp_path)
    after = sql_value(
        tmp_path, "select sum(pupils) from marts.agg_enrollment_by_region where school_year = ?", year
    )
    assert after != before
    assert metric_number(at, fr["kpi.total_pupils"]) == after
    assert "v20300102T000000Z" in at.caption[0].value


def test_no_published_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    at = run_app({"lang": "ar"})
    message = " ".join(i.value for i in at.info)
    assert labels("fr")["no_published_data"] in message
    assert labels("ar")["no_published_data"] in message
    assert not at.get("plotly_chart")


def test_data_access(published_home: Path) -> None:
    from dashboards import data_access
    from dashboards.data_access import enrollment as da

    current = warehouse_file(published_home)
    assert data_access.published_version() == current.stem
    year = latest_year(published_home)
    assert da.school_years(scope=NATIONAL)[0] == year

    by_region = da.pupils_by_region(year, scope=NATIONAL)
    assert by_region.height == 12
    assert by_region["pupils"].sum() == sql_value(
        published_home, "select sum(pupils) from marts.agg_enrollment_by_region where school_year = ?", year
    )
    girls = da.pupils_by_region(year, sex="F", scope=NATIONAL)
    assert girls["pupils"].sum() == girls["girls"].sum() == by_region["girls"].sum()

    scoped = da.pupils_by_region(year, cycle="primary", scope=NATIONAL, region="06")
    assert scoped["region_code"].to_list() == ["06"]
    assert scoped["pupils"][0] == sql_value(
        published_home,
        "select coalesce(sum(pupils), 0) from marts.agg_enrollment_by_region "
        "where school_year = ? and cycle_code = ? and region_code = ?",
        year,
        "primary",
        "06",
    )
    detail = da.pupils_by_region_cycle_sex(year, scope=NATIONAL)
    assert detail["pupils"].sum() == by_region["pupils"].sum()
    assert da.cycles()["cycle_code"].to_list() == sql_column(
        published_home, "select cycle_code from reference.code_cycles order by cycle_order"
    )
    assert da.regions(scope=NATIONAL)["region_code"].to_list() == sql_column(
        published_home, "select region_code from reference.code_regions order by region_code"
    )
    # a value that looks like SQL stays a value
    assert da.pupils_by_region("x' or '1'='1", scope=NATIONAL)["pupils"].sum() == 0


def test_published_version_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboards import data_access as da
    from dashboards.data_access import enrollment

    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    assert da.published_version() is None  # no folder
    published = tmp_path / "warehouse" / "published"
    published.mkdir(parents=True)
    assert da.published_version() is None  # no CURRENT
    (published / "CURRENT").write_text("v1\n", encoding="utf-8")
    assert da.published_version() is None  # CURRENT names a missing file
    (published / "CURRENT").write_text("../candidate.duckdb\n", encoding="utf-8")
    (tmp_path / "warehouse" / "candidate.duckdb").touch()
    assert da.published_version() is None  # not a bare name: never leaves the published folder
    with pytest.raises(da.NoPublishedWarehouse):
        enrollment.school_years(scope=NATIONAL)
    build_fixture_warehouse(tmp_path, version="v20300101T000000Z")
    assert da.published_version() == "v20300101T000000Z"  # CURRENT holds the version
    (published / "CURRENT").write_text("v20300101T000000Z.duckdb\n", encoding="utf-8")
    assert da.published_version() == "v20300101T000000Z"  # or its file name
    assert da.published_warehouse() == da.PublishedWarehouse(
        "v20300101T000000Z", published / "v20300101T000000Z.duckdb"
    )


def test_i18n_files_match() -> None:
    fr, ar = labels("fr"), labels("ar")
    assert fr.keys() == ar.keys()
    not_arabic = {k for k, v in ar.items() if not ARABIC.search(v)}
    # the name of French, written in French (the language switches); the mark of a suppressed cell; the
    # report card's directorate line, the Arabic name alone (it already reads "المديرية الإقليمية …")
    assert not_arabic == {
        "language.fr",
        "portal.other_language",
        "public_stats.suppressed_mark",
        "bulletin.directorate",
    }


def test_only_data_access_touches_duckdb() -> None:
    """Data access in one place per store: data_access/ (internal app, the published warehouse), and in the
    public app public/store.py (the lookup store) and public/stats_store.py (the public statistics store)."""
    forbidden = ("ingestion", "dags", "warehouse", "massar.pipeline")
    data_access_modules = {
        *(DASHBOARDS / "data_access").glob("*.py"),
        DASHBOARDS / "public" / "store.py",
        DASHBOARDS / "public" / "stats_store.py",
    }
    # the internal app's connection, the alert service's detection, the public stores' version
    pointer_readers = {
        DASHBOARDS / "data_access" / "_core.py",
        DASHBOARDS / "alerts.py",
        DASHBOARDS / "public" / "store.py",
    }
    for path in DASHBOARDS.rglob("*.py"):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        if path not in data_access_modules:
            assert "duckdb" not in imported, path
        for name in imported:
            if path in pointer_readers and name == "warehouse.publish":
                continue  # the published-version pointer, read by its one definition (validated, read-only)
            assert not name.startswith(forbidden), (path, name)
            if name.startswith("massar"):
                # settings and secrets only (paths, the production check, server keys, hashing)
                assert name == "massar.settings" or name.startswith("massar.settings."), (path, name)


def test_province_map_and_breakdowns(published_home: Path) -> None:
    at = run_app()
    year = latest_year(published_home)
    specs = {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    provinces = specs["province_map"]["data"][0]
    assert sorted(array_values(provinces["locations"])) == sql_column(
        published_home, "select province_code from reference.code_provinces order by 1"
    )
    assert len(array_values(provinces["locations"])) == 75
    by_province = dict(zip(array_values(provinces["locations"]), array_values(provinces["z"]), strict=True))
    expected = dict(
        duckdb.connect(str(warehouse_file(published_home)), read_only=True)
        .execute(
            "select province_code, count(*) from marts.fct_enrollment where school_year = ? group by 1",
            [year],
        )
        .fetchall()
    )
    assert {k: v for k, v in by_province.items() if v} == expected
    sector_total = sum(sum(array_values(trace["y"])) for trace in specs["sector_area_bars"]["data"])
    assert sector_total == sql_value(
        published_home, "select count(*) from marts.fct_enrollment where school_year = ?", year
    )
    trend = specs["trend"]
    years = sorted({x for trace in trend["data"] for x in array_values(trace["x"])})
    assert years == sorted(
        sql_column(published_home, "select distinct school_year from marts.fct_enrollment")
    )


def test_region_and_province_filters_from_url(published_home: Path) -> None:
    year = latest_year(published_home)
    region, province = (
        duckdb.connect(str(warehouse_file(published_home)), read_only=True)
        .execute(
            "select region_code, province_code from marts.fct_enrollment where school_year = ? "
            "group by all order by count(*) desc limit 1",
            [year],
        )
        .fetchone()
    )
    fr = labels("fr")
    at = run_app({"lang": "fr", "region": region})
    assert at.sidebar.selectbox(key="filter_region").value == region
    assert metric_number(at, fr["kpi.total_pupils"]) == sql_value(
        published_home,
        "select count(*) from marts.fct_enrollment where school_year = ? and region_code = ?",
        year,
        region,
    )
    assert next(c.key for c in at.get("plotly_chart")) == "province_map"  # the region's provinces
    table = at.dataframe[0].value
    assert table[fr["col.province_code"]].tolist() == sql_column(
        published_home,
        "select province_code from reference.code_provinces where region_code = ? order by 1",
        region,
    )

    at.sidebar.selectbox(key="filter_province").set_value(province).run()
    assert not at.exception
    assert at.query_params["province"] == province
    assert metric_number(at, fr["kpi.total_pupils"]) == sql_value(
        published_home,
        "select count(*) from marts.fct_enrollment where school_year = ? and province_code = ?",
        year,
        province,
    )
    # clearing the region drops the province from the URL
    at.sidebar.selectbox(key="filter_region").select_index(0).run()  # "all regions"
    assert not at.exception
    assert "region" not in at.query_params and "province" not in at.query_params


def test_region_user_cannot_widen_scope_by_url(published_home: Path) -> None:
    user = User("aref_tta", "AREF", Scope("region", region_code="01"))
    at = run_app({"lang": "fr", "region": "06"}, user=user)
    assert "filter_region" not in [s.key for s in at.sidebar.selectbox]
    assert metric_number(at, labels("fr")["kpi.total_pupils"]) == sql_value(
        published_home,
        "select count(*) from marts.fct_enrollment where school_year = ? and region_code = '01'",
        latest_year(published_home),
    )


def _territory_of_largest_school(home: Path) -> tuple[str, str, str]:
    region, province, school = sql(
        home,
        "select region_code, province_code, school_code from marts.fct_enrollment "
        "where school_year = ? group by all order by count(*) desc limit 1",
        latest_year(home),
    )[0]
    return str(region), str(province), str(school)


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("role", ["ministry", "region", "province", "school"])
def test_overview_per_role_and_language(published_home: Path, role: str, lang: str) -> None:
    """Each role sees the pupils of its own territory, in each language; checked against fct_enrollment."""
    region, province, school = _territory_of_largest_school(published_home)
    scope = {
        "ministry": NATIONAL,
        "region": Scope("region", region_code=region),
        "province": Scope("province", region_code=region, province_code=province),
        "school": Scope("school", region_code=region, province_code=province, school_code=school),
    }[role]
    at = run_app({"lang": lang}, user=User(f"user_{role}", role, scope))
    words = labels(lang)
    column = {
        "ministry": None,
        "region": "region_code",
        "province": "province_code",
        "school": "school_code",
    }[role]
    value = {"region": region, "province": province, "school": school}.get(role)
    where = f" and {column} = ?" if column else ""
    params = (value,) if column else ()
    year = latest_year(published_home)
    expected = sql_value(
        published_home,
        f"select count(*) from marts.fct_enrollment where school_year = ?{where}",
        year,
        *params,
    )
    assert at.title[0].value == words["overview.title"]
    assert metric_number(at, words["kpi.total_pupils"]) == expected
    assert metric_number(at, words["kpi.schools"]) == sql_value(
        published_home, f"select count(*) from marts.dim_school where true{where}", *params
    )
    filters = {s.key for s in at.sidebar.selectbox}
    assert ("filter_region" in filters) == (role == "ministry")  # a directorate cannot pick another region
    assert at.get("plotly_chart"), "charts are drawn for every role"
    if lang == "ar":
        assert all(ARABIC.search(m.label) for m in at.metric)
