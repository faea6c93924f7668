"""The Indicators page (UIS table) in AppTest, for each role and language, with its CSV and Excel downloads.

Expected numbers: SQL run directly on the published warehouse's marts (pupils, teachers and classes counted
from the facts and dimensions; flow counts from agg_flow_rates; survival from agg_survival).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from page_test_support import (
    LANGS,
    ROLE_IDS,
    Downloads,
    Territories,
    assert_displayed,
    assert_language,
    labels,
    metric,
    pick_territories,
    run_page,
    served_like_massar_serve,
    sql,
    sql_value,
)

from dashboards.scope import NATIONAL

__all__ = ["served_like_massar_serve"]  # the autouse fixture, imported to apply here

PAGE = "indicators"
MASSAR = str(Path(sys.executable).with_name("massar"))
CYCLE = "primary"


def default_year(home: Path) -> str:
    """The year the page opens on: the latest whose flows are known (its next year is loaded), else the
    latest year."""
    return str(
        sql_value(
            home,
            "select coalesce((select max(school_year) from marts.agg_flow_rates),"
            " (select max(school_year) from marts.fct_enrollment))",
        )
    )


@pytest.fixture(scope="module")
def territories(published_home: Path) -> Territories:
    return pick_territories(published_home, default_year(published_home))


def expected_units(home: Path, terr: Territories, role: str) -> dict[str, dict[str, Any]]:
    """Per unit code ('' = national) of the table: pupils, teachers in service, classes of the cycle's
    schools."""
    cond, params = terr.where(role, "d")
    levels = {
        "ministry": [("''", "national"), ("d.region_code", "region"), ("d.province_code", "province")],
        "region": [("d.region_code", "region"), ("d.province_code", "province")],
        "province": [("d.province_code", "province"), ("d.school_code", "school")],
        "school": [("d.school_code", "school")],
    }[role]
    units: dict[str, dict[str, Any]] = {}
    for column, level in levels:
        for code, pupils, teachers, classes in sql(
            home,
            f"""
            with schools as (select * from marts.dim_school as d where d.cycle_code = ? and {cond}),
            p as (
                select {column} as code, count(*) as pupils from marts.fct_enrollment as e
                join schools as d using (school_code) where e.school_year = ? group by 1
            ),
            t as (
                select {column} as code, count(*) as teachers from staging.stg_massar__teachers as x
                join schools as d using (school_code)
                left join staging.stg_massar__staff_situations as s
                    on s.school_year = x.school_year and s.teacher_code = x.teacher_code
                left join reference.code_staff_statuses as st on st.status_code = s.status_code
                where x.school_year = ? and coalesce(st.in_service, true) group by 1
            ),
            c as (
                select {column} as code, count(*) as classes from marts.dim_class as x
                join schools as d using (school_code)
                where x.school_year = ? and x.pupils_enrolled > 0 group by 1
            ),
            codes as (select distinct {column} as code from schools as d)
            select codes.code, coalesce(p.pupils, 0), coalesce(t.teachers, 0), coalesce(c.classes, 0)
            from codes left join p using (code) left join t using (code) left join c using (code)
            """,
            CYCLE,
            *params,
            terr.year,
            terr.year,
            terr.year,
        ):
            units[str(code)] = {"level": level, "pupils": pupils, "teachers": teachers, "classes": classes}
    return units


def expected_flows(home: Path, terr: Territories, role: str) -> dict[str, float | None]:
    cond, params = terr.where(role)
    row = sql(
        home,
        f"""
        select sum(promoted) / nullif(sum(rate_base), 0), sum(repeated) / nullif(sum(rate_base), 0),
            sum(dropped_out) / nullif(sum(rate_base), 0)
        from marts.agg_flow_rates where school_year = ? and cycle_code = ? and {cond}
        """,
        terr.year,
        CYCLE,
        *params,
    )[0]
    return {"promotion_rate": row[0], "repetition_rate": row[1], "dropout_rate": row[2]}


def expected_not_traced(home: Path, terr: Territories, role: str) -> int:
    """Pupils of the territory whose next year is unknown (lost record), counted from fct_enrollment."""
    cond, params = terr.where(role)
    return int(
        sql_value(
            home,
            f"""
            select count(*) from marts.fct_enrollment
            where next_year_flow = 'not_traced' and school_year = ? and cycle_code = ? and {cond}
            """,
            terr.year,
            CYCLE,
            *params,
        )
    )


def expected_survival(home: Path, terr: Territories, role: str) -> tuple[float | None, float | None]:
    if role == "school":
        return None, None
    level, region, province = {
        "ministry": ("national", None, None),
        "region": ("region", terr.region, None),
        "province": ("province", terr.region, terr.province),
    }[role]
    rows = sql(
        home,
        """
        select reconstructed_survival_rate, true_cohort_survival_rate from marts.agg_survival
        where territory_level = ? and region_code is not distinct from ?
            and province_code is not distinct from ? and school_year = ? and cycle_code = ?
        order by grade_in_cycle desc limit 1
        """,
        level,
        region,
        province,
        terr.year,
        CYCLE,
    )
    return rows[0] if rows else (None, None)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLE_IDS)
def test_indicator_table(
    published_home: Path, territories: Territories, role: str, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = Downloads(monkeypatch)
    at = run_page(PAGE, territories.scope(role), lang, {"year": territories.year})
    text = labels(lang)
    assert_language(at, lang, "indicators.title")
    assert at.query_params["uis_cycle"] == CYCLE
    assert at.query_params["year"] == territories.year

    units = expected_units(published_home, territories, role)
    table = at.dataframe[0].value
    codes = [str(c) for c in table[text["indicators.col.code"]].tolist()]
    assert sorted(codes) == sorted(units), "one row per unit of the territory and the level below"
    assert len(codes) == len(set(codes)), "no unit twice"
    # the grid lays the table out in the reading direction: from the right in Arabic, however wide
    order = list(at.dataframe[0].proto.column_order)
    assert order == (list(reversed(table.columns)) if lang == "ar" else [])
    levels = table[text["indicators.col.level"]].tolist()
    for code, level, pupils, per_teacher, per_class in zip(
        codes,
        levels,
        table[text["indicators.col.pupils"]].tolist(),
        table[text["indicators.col.pupils_per_teacher"]].tolist(),
        table[text["indicators.col.pupils_per_class"]].tolist(),
        strict=True,
    ):
        want = units[code]
        assert level == text[f"indicators.level.{want['level']}"]
        assert_displayed(pupils, want["pupils"], 0, lang)
        assert_displayed(
            per_teacher, want["pupils"] / want["teachers"] if want["teachers"] else None, 1, lang
        )
        assert_displayed(per_class, want["pupils"] / want["classes"] if want["classes"] else None, 1, lang)
    if role != "ministry":  # a user never sees another territory's rows
        assert text["indicators.level.national"] not in levels

    # the first row is the territory itself: its metrics
    flows = expected_flows(published_home, territories, role)
    for key, value in flows.items():
        assert_displayed(metric(at, text[f"indicators.col.{key}"]), value, 1, lang)
    # the pupils not traced (lost records), beside the rates: in the table, and said under the metrics
    not_traced = expected_not_traced(published_home, territories, role)
    assert_displayed(table[text["indicators.col.not_traced"]].tolist()[0], not_traced, 0, lang)
    captions = " ".join(c.value for c in at.caption)
    assert text["indicators.not_traced"].split("{n}")[0] in captions
    reconstructed, true_cohort = expected_survival(published_home, territories, role)
    assert_displayed(metric(at, text["indicators.col.survival_reconstructed"]), reconstructed, 1, lang)
    assert_displayed(metric(at, text["indicators.col.survival_true_cohort"]), true_cohort, 1, lang)
    first = units[codes[0]]
    assert_displayed(
        metric(at, text["indicators.col.pupils_per_teacher"]),
        first["pupils"] / first["teachers"] if first["teachers"] else None,
        1,
        lang,
    )
    if role == "school":
        assert text["indicators.survival.none"] in [i.value for i in at.info]
    else:
        assert len(at.get("plotly_chart")) == 1

    # downloads: the same rows, raw values, headers in the language; CSV for French Excel (';', 0,5)
    raw = downloads.content(at, "download_csv_indicators")
    assert raw.startswith("\ufeff".encode())  # spreadsheet programs then read the Arabic labels
    csv = pl.read_csv(io.BytesIO(raw.decode("utf-8-sig").encode()), infer_schema=False, separator=";")
    assert csv.columns == list(table.columns)
    assert [c or "" for c in csv[text["indicators.col.code"]].to_list()] == codes
    assert [int(v) for v in csv[text["indicators.col.pupils"]].to_list()] == [
        units[c]["pupils"] for c in codes
    ]
    for code, value in zip(codes, csv[text["indicators.col.pupils_per_teacher"]].to_list(), strict=True):
        want = units[code]
        if want["teachers"]:
            assert float(value.replace(",", ".")) == pytest.approx(
                want["pupils"] / want["teachers"], abs=1e-4
            )
        else:
            assert value is None
    book = openpyxl.load_workbook(
        io.BytesIO(downloads.content(at, "download_xlsx_indicators")), read_only=False
    )
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(table.columns)
    pupils_at = rows[0].index(text["indicators.col.pupils"])
    ratio_at = rows[0].index(text["indicators.col.pupils_per_teacher"])
    assert [r[pupils_at] for r in rows[1:]] == [units[c]["pupils"] for c in codes]
    for code, r in zip(codes, rows[1:], strict=True):
        want = units[code]
        if want["teachers"]:
            assert r[ratio_at] == pytest.approx(want["pupils"] / want["teachers"], abs=1e-3)
    assert bool(sheet.sheet_view.rightToLeft) is (lang == "ar")


def test_region_user_cannot_open_another_region_from_the_url(
    published_home: Path, territories: Territories
) -> None:
    other = str(
        sql_value(
            published_home,
            "select min(region_code) from marts.dim_school where region_code != ? and cycle_code = ?",
            territories.region,
            CYCLE,
        )
    )
    at = run_page(PAGE, territories.scope("region"), "fr", {"region": other})
    text = labels("fr")
    codes = [str(c) for c in at.dataframe[0].value[text["indicators.col.code"]].tolist()]
    assert other not in codes
    assert codes[0] == territories.region


def test_other_cycle_from_the_url(published_home: Path, territories: Territories) -> None:
    cycle = "lower_secondary"
    at = run_page(PAGE, territories.scope("ministry"), "fr", {"uis_cycle": cycle, "year": territories.year})
    text = labels("fr")
    assert at.selectbox(key="filter_uis_cycle").value == cycle
    pupils = sql_value(
        published_home,
        "select count(*) from marts.fct_enrollment as e join marts.dim_school as d using (school_code) "
        "where e.school_year = ? and d.cycle_code = ?",
        territories.year,
        cycle,
    )
    table = at.dataframe[0].value
    assert table[text["indicators.col.level"]].tolist()[0] == text["indicators.level.national"]
    assert_displayed(table[text["indicators.col.pupils"]].tolist()[0], pupils, 0, "fr")


@pytest.fixture(scope="module")
def multi_year_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two synthetic school years through the real ingestion and dbt build, the candidate published as is
    (the dashboards read ``warehouse/published/CURRENT``)."""
    home = tmp_path_factory.mktemp("massar-two-years")
    env = {**os.environ, "MASSAR_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow")}
    for args in (
        ["generate", "--pupils", "1500", "--seed", "5", "--years", "2", "--fault-rate", "0"],
        ["ingest"],
        ["build"],
    ):
        result = subprocess.run([MASSAR, *args], env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = home / "warehouse" / "published"
    published.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(home / "warehouse" / "candidate.duckdb", published / "v20260102T000000000000Z.duckdb")
    (published / "CURRENT").write_text("v20260102T000000000000Z\n", encoding="utf-8")
    return home


def check_flow_rates(home: Path, role: str) -> None:
    """The rates of a year whose next year is loaded, against agg_flow_rates and agg_survival."""
    year = sql_value(home, "select max(school_year) from marts.agg_flow_rates")
    if year is None:
        pytest.skip("one school year published: no flow rates yet")
    terr = pick_territories(home, str(year))
    at = run_page(PAGE, terr.scope(role), "fr", {"year": str(year)})
    text = labels("fr")
    flows = expected_flows(home, terr, role)
    assert flows["promotion_rate"] is not None
    for key, value in flows.items():
        assert_displayed(metric(at, text[f"indicators.col.{key}"]), value, 3, "fr")
    reconstructed, true_cohort = expected_survival(home, terr, role)
    assert_displayed(metric(at, text["indicators.col.survival_reconstructed"]), reconstructed, 3, "fr")
    assert_displayed(metric(at, text["indicators.col.survival_true_cohort"]), true_cohort, 3, "fr")
    if role == "ministry":
        # GPI of promotion: the girls' rate over the boys' rate, from the summed counts
        f, m = sql(
            home,
            "select sum(promoted) filter (where sex = 'F') / sum(rate_base) filter (where sex = 'F'), "
            "sum(promoted) filter (where sex = 'M') / sum(rate_base) filter (where sex = 'M') "
            "from marts.agg_flow_rates where school_year = ? and cycle_code = ?",
            year,
            CYCLE,
        )[0]
        assert_displayed(metric(at, text["indicators.col.gpi_promotion"]), f / m, 2, "fr")


@pytest.mark.parametrize("page", ["indicators", "grades_exams", "teachers_infrastructure"])
def test_no_published_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    """Each of the three pages says, in both languages, that nothing is published yet."""
    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    at = run_page(page, NATIONAL, "ar")
    message = " ".join(i.value for i in at.info)
    assert labels("fr")["no_published_data"] in message
    assert labels("ar")["no_published_data"] in message
    assert not at.get("plotly_chart") and not at.dataframe


@pytest.mark.parametrize("role", ROLE_IDS)
def test_flow_rates_of_a_year_with_its_next_year(published_home: Path, role: str) -> None:
    check_flow_rates(published_home, role)


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLE_IDS)
def test_flow_rates_on_two_school_years(
    multi_year_home: Path, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASSAR_HOME", str(multi_year_home))
    check_flow_rates(multi_year_home, role)


def test_latest_year_explains_its_missing_flows(published_home: Path, territories: Territories) -> None:
    """The latest loaded year has no flows (its next year is not loaded): the page says so in both
    languages, names the latest year whose flows are known and offers to show it; it points to no year
    that does not exist."""
    latest = str(sql_value(published_home, "select max(school_year) from marts.fct_enrollment"))
    known = sql_value(published_home, "select max(school_year) from marts.agg_flow_rates")
    for lang in LANGS:
        at = run_page(PAGE, territories.scope("ministry"), lang, {"year": latest})
        text = labels(lang)
        assert at.query_params["year"] == latest
        message = " ".join(i.value for i in at.info)
        assert metric(at, text["indicators.col.promotion_rate"]) == "–"
        if known is None:
            assert text["indicators.no_flows.single_year"] in message
            continue
        assert latest != known and str(known) in message
        assert text["indicators.no_flows.last_year"].split("{year}")[0] in message
    at.button(key="show_flow_year").click().run()
    assert at.query_params["year"] == known
    assert metric(at, text["indicators.col.promotion_rate"]) != "–"


def test_opened_from_a_link_on_the_latest_year_with_known_flows(
    published_home: Path, territories: Territories
) -> None:
    """Straight on the page with no year chosen yet: the latest year whose flows are known."""
    at = run_page(PAGE, territories.scope("ministry"), "fr", deep_link=True)
    assert at.query_params["year"] == default_year(published_home)
