"""Every headline figure a user sees is true, complete and consistent.

Every page of the internal app is rendered (AppTest, French) as the ministry (national) and as a region
user (the first region account of ``dashboards/users.demo.toml``), on two published warehouses: the test
session's (default suite) and the demo's (``make run``'s 8,000 pupils over three school years, marked
``slow``: ``make test-all``).
Every headline figure is collected: each ``st.metric`` (label -> i18n key -> figure) and the total rows of
the tables that carry one (the overview's total row, the resources and teaching-load tables' all-cycles
row, the indicators' national row). Then:

- **consistency**: a figure (same identity: figure, user, school year, cycle, certificate) shown on more
  than one page, or twice on one page, shows the same number;
- **plausibility**: each ratio lies in a band taken from ``/work/shared/reference-data`` (each band names
  its file and row below). The test session is a tiny country (a few hundred pupils, a region user sees a
  few dozen): a rate whose denominator is on the page (pupils, candidates) gets its band widened by three
  binomial standard deviations at that denominator, which is the small-number noise and nothing more.
  Counts are not banded (they scale with the synthetic country's size); their consistency is checked.
  Ratios of pupils to schools' resources (pupils per class, teacher, classroom; the largest class) are
  banded on the demo only: the test session's few hundred pupils sit in schools of a few pupils each, so
  those ratios say nothing there (``SIZE_DEPENDENT``);
  Figures without any reference row are only checked for validity (a share within 0-100 %), and are
  listed in ``NO_REFERENCE`` so that the gap is visible;
- **completeness**: no ``–``, ``None``, ``nan`` in a metric whose data exists, and no ``None`` / ``nan`` /
  ``<NA>`` in any displayed table cell (a ``–`` in a table cell is the page's mark of a ratio without
  denominator, such as a region without pupils on the day);
- **explained**: every ``st.metric`` has a help text, in French and Arabic, equal to the definition
  persisted by dbt in ``marts.kpi_definitions`` from the marts' yml (``dashboards.data_access.kpi``).

Expected values never come from the app: the bands come from reference files, equality is between pages.
"""

from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import streamlit as st
import yaml
from page_test_support import ARABIC, DASHBOARDS, labels, parse_number, run_page, sql
from page_text import displayed_frame
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from dashboards.app import PAGES
from dashboards.scope import NATIONAL, Scope

PAGE_NAMES = tuple(file.removesuffix(".py") for file, *_ in PAGES)
BLANKS = ("–", "None", "nan", "NaN", "<NA>", "NaT", "null")
TABLE_BLANKS = ("None", "nan", "NaN", "<NA>", "NaT", "null")


def _region_user_scope() -> Scope:
    """The scope of the first region account of the demo users (AREF Rabat-Salé-Kénitra)."""
    users = tomllib.loads((DASHBOARDS / "users.demo.toml").read_text(encoding="utf-8"))["users"]
    region = next(u for u in users.values() if u["role"] == "region")
    return Scope("region", region_code=region["region_code"])


ROLES: dict[str, Scope] = {"ministry": NATIONAL, "region": _region_user_scope()}

# ------------------------------------------------------------------------------------- figure identity

# i18n keys of different pages that name the same figure (same definition, same source), by figure name
SAME_FIGURE: dict[str, tuple[str, ...]] = {
    "pupils": (
        "kpi.total_pupils",
        "col.pupils",
        "resources.col.pupils",
        "indicators.col.pupils",
        "preschool.kpi.pupils",
    ),
    "girls": ("kpi.girls", "col.girls"),
    "boys": ("kpi.boys", "col.boys"),
    "girls_share": ("kpi.girls_share", "col.girls_share"),
    "schools": ("kpi.schools", "resources.col.schools"),
    # teachers in service (headcount): every teacher on record ("hr.col.teachers") is another figure
    "teachers_in_service": ("hr.kpi.teachers", "hr.col.in_service", "resources.col.teachers"),
    # usable classrooms; every room of every type and state ("infra.kpi.classrooms") is another figure
    "classrooms": ("infra.kpi.counted_classrooms", "resources.col.classrooms"),
    "pupils_per_teacher": ("resources.col.pupils_per_teacher", "indicators.col.pupils_per_teacher"),
    "pupils_per_class": ("resources.col.pupils_per_class", "indicators.col.pupils_per_class"),
    "pupils_per_classroom": ("resources.col.pupils_per_classroom", "indicators.col.pupils_per_classroom"),
}
BY_CYCLE_TABLES = frozenset({"teachers_infrastructure", "human_resources"})
# pages whose figures all concern one cycle (their identity carries it)
PAGE_CYCLE: dict[str, str] = {"preschool": "preschool"}
FIGURE_OF_KEY = {key: figure for figure, keys in SAME_FIGURE.items() for key in keys}

# the table total rows collected as headline figures: page -> (the total row's label keys, or () for
# the first row, columns). The resources and teaching-load tables have one row per cycle: each is
# collected too, with its cycle (the cycle's name from reference.code_cycles), beside the all-cycles row.
TABLE_TOTALS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "national_overview": (("table.total",), ("col.pupils", "col.girls", "col.boys", "col.girls_share")),
    "teachers_infrastructure": (
        ("resources.all_cycles",),
        (
            "resources.col.schools",
            "resources.col.pupils",
            "resources.col.teachers",
            "resources.col.classes",
            "resources.col.classrooms",
            "resources.col.pupils_per_teacher",
            "resources.col.pupils_per_class",
            "resources.col.pupils_per_classroom",
        ),
    ),
    "human_resources": (("hr.all_cycles",), ("hr.col.teachers", "hr.col.in_service")),
    "indicators": (
        (),  # the first row: the chosen territory (the country, or the region user's region)
        (
            "indicators.col.pupils",
            "indicators.col.pupils_per_teacher",
            "indicators.col.pupils_per_class",
            "indicators.col.pupils_per_classroom",
        ),
    ),
}


@dataclass(frozen=True)
class Shown:
    """One headline figure as a page shows it."""

    role: str
    page: str
    view: str  # the page's query parameters beyond the defaults, as text ("" for the default view)
    year: str
    cycle: str  # the cycle filter ("all" when none)
    key: str  # i18n key of the label
    params: tuple[tuple[str, str], ...]  # the label's placeholders (certificate, programme, …)
    text: str
    help: str | None
    source: str  # "metric" or "table"

    @property
    def identity(self) -> tuple[object, ...]:
        figure = FIGURE_OF_KEY.get(self.key, self.key)
        params = tuple(p for p in self.params if p[0] not in ("others",))  # "others" is a value, not a filter
        return (figure, self.role, self.year, self.cycle, params)

    @property
    def number(self) -> float | None:
        """The displayed number (None for a blank or a word, such as the gate's verdict)."""
        try:
            return parse_number(self.text, "fr")
        except ValueError:
            return None

    def where(self) -> str:
        cycle = f" [{self.cycle}]" if self.cycle != "all" else ""
        return (
            f"{self.role}/{self.page}{'?' + self.view if self.view else ''} {self.source} {self.key}{cycle}"
        )


def _templates(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    """Every label of the catalog as a regex (placeholders ``{name}`` become named groups)."""
    out = []
    for key, text in labels(lang).items():
        pattern = re.escape(text)
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+)", pattern)
        out.append((key, re.compile(f"^{pattern}$")))
    return out


FR_TEMPLATES = _templates("fr")
AR_TEMPLATES = _templates("ar")


def metric_label_keys(page: str) -> tuple[set[str], set[str]]:
    """The i18n keys of the page's metrics: the keys its ``Kpi(...)`` figures name (``page_frame``) and
    the ones its own ``.metric(...)`` calls pass to ``t``; literal keys, and the prefixes of f-string keys
    (``indicators.col.{key}``)."""
    tree = ast.parse((DASHBOARDS / "app_pages" / f"{page}.py").read_text(encoding="utf-8"))
    keys: set[str] = set()
    prefixes: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        if isinstance(node.func, ast.Name) and node.func.id == "Kpi":
            first = node.args[0]
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "metric":
            label = node.args[0]
            if not (isinstance(label, ast.Call) and label.args):
                continue
            first = label.args[0]
        else:
            continue
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            keys.add(first.value)
        elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
            prefixes.add(str(first.values[0].value))
    return keys, prefixes


def label_key(
    page: str, label: str, templates: list[tuple[str, re.Pattern[str]]] = FR_TEMPLATES
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The i18n key of a metric's label on ``page`` and its placeholders: among the catalog keys whose
    text matches, the one the page's ``.metric`` calls name."""
    keys, prefixes = metric_label_keys(page)
    found = []
    for key, pattern in templates:
        match = pattern.match(label)
        if match and (key in keys or any(key.startswith(p) for p in prefixes)):
            found.append((key, tuple(sorted(match.groupdict().items()))))
    assert len(found) == 1, f"{page}: label {label!r} matches keys {found}"
    return found[0]


# ------------------------------------------------------------------------------------------ rendering


@dataclass
class Rendered:
    role: str
    page: str
    view: str
    year: str
    cycle: str
    at: AppTest


def _render(role: str, page: str, lang: str, query: dict[str, str] | None = None) -> Rendered:
    at = run_page(page, ROLES[role], lang, query)
    params = at.query_params
    year = params["year"][0] if isinstance(params["year"], list) else params["year"]
    cycle = (query or {}).get("cycle") or (query or {}).get("uis_cycle")
    if cycle is None and "uis_cycle" in params:
        cycle = params["uis_cycle"] if isinstance(params["uis_cycle"], str) else params["uis_cycle"][0]
    view = "&".join(f"{k}={v}" for k, v in sorted((query or {}).items()))
    st.cache_data.clear()
    return Rendered(role, page, view, str(year), cycle or PAGE_CYCLE.get(page, "all"), at)


def _years(home: Path) -> list[str]:
    return [r[0] for r in sql(home, "select distinct school_year from marts.fct_enrollment order by 1")]


#: the demo of the README's main command (Makefile: PUPILS, YEARS, seed 42)
DEMO_PUPILS, DEMO_YEARS, DEMO_SEED = 8_000, 3, 42


def _build_demo(home: Path) -> Path:
    """The demo's exports through the whole pipeline (``massar generate`` then ``massar run``, the
    Airflow DAG), in a home of its own."""
    env = os.environ | {"MASSAR_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow")}
    massar = [sys.executable, "-m", "massar.cli"]
    generate = [
        "generate",
        "--pupils",
        str(DEMO_PUPILS),
        "--years",
        str(DEMO_YEARS),
        "--seed",
        str(DEMO_SEED),
    ]
    for args in (generate, ["run"]):
        subprocess.run([*massar, *args], env=env, check=True, capture_output=True)
    return home


@pytest.fixture(scope="module", params=["session", pytest.param("demo", marks=pytest.mark.slow)])
def home(
    request: pytest.FixtureRequest, published_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The published warehouse the pages are read from: the test session's, or the demo's."""
    if request.param == "session":
        return published_home
    return _build_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def renders(home: Path) -> Iterator[list[Rendered]]:
    """Every page as each role (French), plus the views that put a figure of one page next to another's:
    the overview for the preschool and primary cycles (the preschool page, the indicators' primary
    default), and the indicators one year back (flow rates need the next year's enrolment)."""
    previous = st.get_option("server.enableStaticServing")
    st_config.set_option("server.enableStaticServing", True)
    years = _years(home)
    out: list[Rendered] = []
    env = pytest.MonkeyPatch()
    env.setenv("MASSAR_HOME", str(home))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        for role in ROLES:
            out.extend(_render(role, page, "fr") for page in PAGE_NAMES)
            for cycle in ("preschool", "primary"):
                out.append(_render(role, "national_overview", "fr", {"cycle": cycle}))
            if len(years) > 1:
                out.append(_render(role, "indicators", "fr", {"year": years[-2]}))
        yield out
    finally:
        env.undo()
        st_config.set_option("server.enableStaticServing", previous)
        st.cache_data.clear()
        st.cache_resource.clear()


def figures_of(r: Rendered, cycle_names: dict[str, str]) -> list[Shown]:
    """The headline figures of one rendered page; ``cycle_names`` maps a cycle's French name to its code."""
    fr = labels("fr")
    out = []
    for m in r.at.metric:
        key, params = label_key(r.page, m.label)
        out.append(
            Shown(r.role, r.page, r.view, r.year, r.cycle, key, params, m.value, m.help or None, "metric")
        )
    spec = TABLE_TOTALS.get(r.page)
    if spec is None:
        return out
    row_keys, column_keys = spec
    row_labels = {fr[k] for k in row_keys}
    for element in list(r.at.table) + list(r.at.dataframe):
        frame = displayed_frame(element)
        headers = {str(c): c for c in frame.columns}
        if not all(fr[k] in headers for k in column_keys):
            continue
        for position, (_, row) in enumerate(frame.iterrows()):
            cycle = r.cycle
            if r.page in BY_CYCLE_TABLES and str(row.iloc[0]) in cycle_names:
                cycle = cycle_names[str(row.iloc[0])]
            elif row_labels and not any(str(v) in row_labels for v in row.tolist()):
                continue
            if not row_labels and position > 0:
                break
            for key in column_keys:
                text = str(row[headers[fr[key]]])
                out.append(Shown(r.role, r.page, r.view, r.year, cycle, key, (), text, None, "table"))
    return out


@pytest.fixture(scope="module")
def shown(home: Path, renders: list[Rendered]) -> list[Shown]:
    cycle_names = dict(sql(home, "select label_fr, cycle_code from reference.code_cycles"))
    return [f for r in renders for f in figures_of(r, cycle_names)]


# ------------------------------------------------------------------------------------------------ bands

REF = "/work/shared/reference-data/education_stats/"
PRESS = REF + "morocco_education_official_figures_from_press.csv"
WDI = REF + "wdi_uis_morocco_education_series_via_hafidaso.csv"


@dataclass(frozen=True)
class Band:
    """A plausible range [low, high] (fractions for rates), its source, and the figure (same page, same
    view) whose value is the rate's denominator, for the small-number widening."""

    low: float
    high: float
    source: str
    denominator: str | None = None


#: ratios of pupils to schools' resources: meaningful only where schools hold a plausible number of pupils
SIZE_DEPENDENT = frozenset(
    {"pupils_per_teacher", "pupils_per_class", "pupils_per_classroom", "resources.col.largest_class"}
)
BANDS: dict[str, Band] = {
    # girls 48.7 % of pupils 2022-23 (row school_year=2022-2023, indicator=pupils_enrolled,
    # cycle=all_incl_preschool, breakdown=total: "girls 48.7%"); primary 48.1 %, college 47.5 % (HCP rows)
    "girls_share": Band(0.45, 0.52, f"{PRESS} 2022-2023 pupils_enrolled total (girls 48.7 %)", "pupils"),
    # WDI 2023: SE.PRM.ENRL 4,683,013 / SE.PRM.TCHR 180,715 = 25.9 (primary);
    # (SE.PRM.ENRL + SE.SEC.ENRL 3,434,273) / (SE.PRM.TCHR + SE.SEC.TCHR 168,713) = 23.2 (all cycles)
    "pupils_per_teacher": Band(15, 40, f"{WDI} 2023 SE.PRM.ENRL, SE.SEC.ENRL / SE.PRM.TCHR, SE.SEC.TCHR"),
    "pupils_per_teacher/primary": Band(20, 40, f"{WDI} 2015-2023 SE.PRM.ENRL / SE.PRM.TCHR (25.8-28.0)"),
    # classes over 40 pupils: 8.8 % primary, 26 % college, 22.9 % qualifiant (2017-2018 rows
    # classes_over_40_pupils_share); 37-40 pupils: 9.1 % of primary classes (classes_37_to_40_pupils_share)
    "pupils_per_class": Band(20, 45, f"{PRESS} classes_over_40_pupils_share, classes_37_to_40_pupils_share"),
    # a room holds one class per shift (one or two shifts a day): class-size band x [1, 2]
    "pupils_per_classroom": Band(20, 90, f"{PRESS} classes_over_40_pupils_share (class size x 1-2 shifts)"),
    # the largest class: at least one class over 40 exists in every cycle (shares above), 46+ is rare
    "resources.col.largest_class": Band(30, 70, f"{PRESS} classes_over_40_pupils_share 2017-2018"),
    # primary repeaters 9.3-10.5 % (WDI SE.PRM.REPT.ZS 2015-2018); 8.9 % in 2019-2020 (press row
    # repetition_rate primary); the indicators page defaults to the primary cycle
    "indicators.col.repetition_rate": Band(
        0.05, 0.15, f"{WDI} SE.PRM.REPT.ZS 2015-2018; {PRESS} 2019-2020 repetition_rate primary", "pupils"
    ),
    # primary dropout 2.1 % in 2019-2020 (press row dropouts 2019-2020, note "primary 76574 (2.1%)");
    # all cycles 4.4 % in 2023-2024 (row dropout_rate)
    "indicators.col.dropout_rate": Band(
        0.005, 0.06, f"{PRESS} 2019-2020 dropouts (primary 2.1 %), 2023-2024 dropout_rate 4.4 %", "pupils"
    ),
    # promotion = 1 - repetition - dropout: 1 - 0.15 - 0.06 .. 1 - 0.05 - 0.005
    "indicators.col.promotion_rate": Band(
        0.79, 0.945, f"{WDI} SE.PRM.REPT.ZS and {PRESS} dropouts (complement)", "pupils"
    ),
    # primary to college: specific enrolment rate of the 12-14 year-olds 100.6 % (2022-2023 row
    # specific_enrolment_rate_12_14), primary completion 91-105 % (WDI SE.PRM.CMPT.ZS 2015-2023)
    "indicators.col.transition_rate": Band(
        0.80, 1.0, f"{PRESS} 2022-2023 specific_enrolment_rate_12_14; {WDI} SE.PRM.CMPT.ZS", "pupils"
    ),
    # primary completion 91-105 % (WDI SE.PRM.CMPT.ZS 2015-2023): survival to the last primary grade
    "indicators.col.survival_reconstructed": Band(0.75, 1.0, f"{WDI} SE.PRM.CMPT.ZS 2015-2023", "pupils"),
    "indicators.col.survival_true_cohort": Band(0.75, 1.0, f"{WDI} SE.PRM.CMPT.ZS 2015-2023", "pupils"),
    # girls repeat less (2019-2020 primary repetition: girls 6.5 %, boys 11.1 %): promotion GPI >= 1;
    # female/male enrolment 0.95-0.97 (WDI SE.ENR.PRIM.FM.ZS) bounds the low side
    "indicators.col.gpi_promotion": Band(
        0.9, 1.2, f"{PRESS} 2019-2020 repetition_rate primary (boys 11.1, girls 6.5); {WDI} SE.ENR.PRIM.FM.ZS"
    ),
    # bac pass rate, normal session 59.8 % (2023), 67.8 % (2024), after rattrapage 74.3-79.6 %; regions
    # 70.7-86.2 % (2024 rows bac_pass_rate_*)
    "grades.kpi.pass_rate/Baccalauréat": Band(
        0.50,
        0.87,
        f"{PRESS} bac_pass_rate_normal_session / _after_rattrapage 2020-2024",
        "grades.kpi.candidates",
    ),
    # preschool: 4-5 year-old enrolment rate 78.7 % (2023-2024 row pupils_enrolled preschool);
    # pre-primary gross enrolment 50-60 % (WDI SE.PRE.ENRR 2015-2021)
    "preschool.kpi.share": Band(
        0.50,
        0.95,
        f"{PRESS} 2023-2024 preschool (4-5 enrolment 78.7 %); {WDI} SE.PRE.ENRR",
        "preschool.kpi.entrants",
    ),
}

# Figures with no row in the reference data: only their validity is checked (a share within 0-100 %,
# a count or amount >= 0). Listed so that the gap shows.
NO_REFERENCE = (
    "absence.kpi.rate_today, absence.kpi.rate_week (no absence statistic in reference-data)",
    "hr.kpi.load (no statutory-load statistic; a network's assured hours are 70-130 % of the statutory "
    "service by the rule of agg_teacher_load, checked as a validity band)",
    "hr.kpi.vacancy_rate, infra.kpi.prefabricated, infra.kpi.occupancy, fees.kpi.rate, social.kpi.share, "
    "orient.kpi.first_wish, nonformal.kpi.return_rate, incl.kpi.absence, incl.kpi.pass, "
    "grades.kpi.pass_rate/3AC, grades.kpi.pass_rate_f, grades.kpi.pass_rate_m, grades.kpi.mean",
)
# validity: hours assured against the statutory service (the rule of agg_teacher_load's overtime cap)
VALIDITY: dict[str, tuple[float, float]] = {"hr.kpi.load": (0.70, 1.30), "grades.kpi.mean": (0.0, 20.0)}


def band_key(f: Shown) -> str:
    """The band of a figure: by certificate (exams) or cycle where one is set, else by figure."""
    figure = FIGURE_OF_KEY.get(f.key, f.key)
    for qualifier in (dict(f.params).get("certificate"), f.cycle):
        if f"{figure}/{qualifier}" in BANDS:
            return f"{figure}/{qualifier}"
    return figure


def _resolution(text: str) -> float:
    """Half a unit of the last displayed digit (as a fraction for a percentage)."""
    digits = len(text.split(",")[1].rstrip("\u202f%").strip()) if "," in text else 0
    return 0.5 * 10**-digits / (100 if text.rstrip().endswith("%") else 1)


def _noise(rate: float, n: float | None) -> float:
    """Three binomial standard deviations of a rate measured on ``n`` units (0 without n)."""
    if not n:
        return 0.0
    p = min(max(rate, 0.0), 1.0)
    return 3 * math.sqrt(max(p * (1 - p), 0.05 * 0.95) / n)


# ------------------------------------------------------------------------------------------------ tests


# the export (lake entity) a programme page's figures come from: without any of its rows for the year and
# territory, the page shows its no-data message instead of figures
PAGE_SOURCE: dict[str, str] = {
    "inclusive_education": "special_needs",
    "nonformal_education": "nonformal_education",
    "orientation": "orientation",
    "social_support": "social_support",
    "fees": "fee_schedules",
    "infrastructure": "classrooms",
    "human_resources": "teachers",
}


# pages whose figures show only from this many source rows (none: internal pages show true counts)
PAGE_MIN_ROWS: dict[str, int] = {}

# pages that open on one value of a filter: only the source rows of that value give figures (the
# orientation page opens on the 3AC level; a territory whose only rows are TC ones has no 3AC figure)
PAGE_OPENS_ON: dict[str, tuple[str, str]] = {"orientation": ("level_code", "3AC")}


def _lake_rows(
    home: Path, entity: str, year: str, region: str | None, only: tuple[str, str] | None = None
) -> int:
    """Rows of ``entity`` in the lake for the year (and region; with ``only``, whose column holds the
    value), read from its Parquet files."""
    folder = home / "lake" / entity / f"school_year={year}"
    files = sorted(folder.glob(f"region_code={region or '*'}/*.parquet"))
    if not files:
        return 0
    column, value = only or ("", "")
    with duckdb.connect() as con:
        relation = con.read_parquet([str(f) for f in files], union_by_name=True)
        if only:
            relation = relation.filter(duckdb.ColumnExpression(column) == duckdb.ConstantExpression(value))
        return int(relation.aggregate("count(*)").fetchall()[0][0])


#: pages whose figures are one table, with no headline metric (the printable territory profile)
TABLE_PAGES = frozenset({"territory_profile"})


def test_every_page_rendered_with_figures(home: Path, renders: list[Rendered], shown: list[Shown]) -> None:
    """Both users see every page, and each page whose source export has rows (enough rows to pass the
    small-cell suppression, for health data) shows headline figures."""
    assert {(r.role, r.page) for r in renders} >= {(role, page) for role in ROLES for page in PAGE_NAMES}
    with_figures = {(f.role, f.page) for f in shown if f.source == "metric"}
    empty = []
    for r in renders:
        if (r.role, r.page) in with_figures or r.view:
            continue
        if r.page in TABLE_PAGES:  # its figures are a table: at least one cell with a digit
            cells = [str(v) for d in r.at.dataframe for v in d.value.to_numpy().ravel()]
            if not any(re.search(r"\d", c) for c in cells):
                empty.append(f"{r.role}/{r.page} ({r.year}): an empty table")
            continue
        entity = PAGE_SOURCE.get(r.page)
        only = PAGE_OPENS_ON.get(r.page)
        rows = _lake_rows(home, entity, r.year, ROLES[r.role].region_code, only) if entity else None
        if rows is None or rows >= PAGE_MIN_ROWS.get(r.page, 1):
            empty.append(f"{r.role}/{r.page} ({r.year}): no figure although its data exists")
    assert not empty, "\n".join(empty)


def test_a_figure_shown_twice_is_the_same_number(shown: list[Shown]) -> None:
    by_identity: dict[tuple[object, ...], list[Shown]] = defaultdict(list)
    for f in shown:
        if f.number is not None:
            by_identity[f.identity].append(f)
    compared = 0
    mismatches = []
    for identity, figures in sorted(by_identity.items(), key=lambda kv: str(kv[0])):
        if len({(f.page, f.view, f.source) for f in figures}) < 2:
            continue
        compared += 1
        low, high = min(figures, key=lambda f: f.number), max(figures, key=lambda f: f.number)
        # the same number, each rounded as its page displays it
        if high.number - low.number > _resolution(high.text) + _resolution(low.text) + 1e-9:
            mismatches.append((identity, [(f.where(), f.text) for f in figures]))
    assert compared >= 10, f"only {compared} figures shown on more than one page"
    assert not mismatches, "\n".join(f"{i}: {v}" for i, v in mismatches)


def test_every_figure_is_plausible(home: Path, shown: list[Shown]) -> None:
    numbers = {(f.role, f.page, f.view, f.key, f.params): f.number for f in shown}
    tiny = sql(home, "select count(*) < 5000 from marts.fct_enrollment")[0][0]
    failures = []
    for f in shown:
        value = f.number
        if value is None:
            continue
        key = band_key(f)
        band = BANDS.get(key)
        if tiny and FIGURE_OF_KEY.get(f.key, f.key) in SIZE_DEPENDENT:
            continue  # schools of a few pupils each: banded on the demo (see the module's doc)
        if band is not None:
            n = None
            if band.denominator is not None:
                n = next(
                    (
                        v
                        for (role, page, view, k, params), v in numbers.items()
                        if (role, page, view) == (f.role, f.page, f.view)
                        and FIGURE_OF_KEY.get(k, k) == band.denominator
                        and (
                            not params or dict(params).get("certificate") == dict(f.params).get("certificate")
                        )
                    ),
                    None,
                )
            widen = _noise(value, n) if band.high <= 1.0 else 0.0
            low, high = band.low - widen, band.high + widen
            if not low - 1e-9 <= value <= high + 1e-9:
                failures.append(
                    f"{f.where()} = {f.text}: outside [{low:.3g}, {high:.3g}] (n={n}; {band.source})"
                )
            continue
        low, high = VALIDITY.get(key, (0.0, 1.0 if f.text.endswith("%") else math.inf))
        if not low - 1e-9 <= value <= high + 1e-9:
            failures.append(f"{f.where()} = {f.text}: outside the valid range [{low}, {high}]")
    assert not failures, "\n".join(failures)


def _years_needed(home: Path, key: str, cycle: str) -> int:
    """School years of enrolment a figure needs: 2 for a flow (this year and the next); for the true
    cohort's survival, the cohort followed through the whole cycle (one year per grade, plus the next)."""
    if key == "indicators.col.survival_true_cohort":
        return int(sql(home, "select count(*) from marts.dim_level where cycle_code = ?", cycle)[0][0]) + 1
    return 2


#: pass rates of one sex: none without a complete candidate of that sex in the territory and year
PASS_RATE_OF_SEX = {"grades.kpi.pass_rate_f": "F", "grades.kpi.pass_rate_m": "M"}


def _data_exists(home: Path, f: Shown) -> bool:
    """Whether the warehouse holds what a figure needs: for a pass rate of one sex, complete candidates
    of that sex in the user's territory; for the non-formal return rate, an exit there; for a flow, the
    next school year, and as many school years as ``_years_needed``."""
    key, year, cycle = f.key, f.year, f.cycle
    if key in PASS_RATE_OF_SEX:
        region = ROLES[f.role].region_code
        (complete,) = sql(
            home,
            """select coalesce(sum(candidates_complete), 0) from marts.agg_exam_results
            where school_year = ? and sex = ? and (cast(? as varchar) is null or region_code = ?)""",
            year,
            PASS_RATE_OF_SEX[key],
            region,
            region,
        )[0]
        return complete > 0
    if key == "nonformal.kpi.return_rate":  # returns over exits: none in a year without an exit
        region = ROLES[f.role].region_code
        (exits,) = sql(
            home,
            """select coalesce(sum(beneficiaries) filter (where is_exit), 0)
            from marts.agg_nonformal_education
            where school_year = ? and (cast(? as varchar) is null or region_code = ?)""",
            year,
            region,
            region,
        )[0]
        return exits > 0
    if key not in NEEDS_NEXT_YEAR:
        return True
    start = int(year[:4])
    held = {r[0] for r in sql(home, "select distinct school_year from marts.fct_enrollment")}
    return f"{start + 1}-{start + 2}" in held and len(held) >= _years_needed(home, key, cycle)


# figures that need the following school years' enrolment (flows, survival)
NEEDS_NEXT_YEAR = frozenset(
    {
        "indicators.col.promotion_rate",
        "indicators.col.repetition_rate",
        "indicators.col.dropout_rate",
        "indicators.col.transition_rate",
        "indicators.col.survival_reconstructed",
        "indicators.col.survival_true_cohort",
        "indicators.col.gpi_promotion",
    }
)


def test_no_blank_where_the_data_exists(home: Path, renders: list[Rendered], shown: list[Shown]) -> None:
    """A metric shows a number (or the gate's verdict) wherever the page has data; tables never show a
    Python or pandas null."""
    blanks = []
    for f in shown:
        if f.source != "metric" or f.text.strip() not in BLANKS:
            continue
        if not _data_exists(home, f):
            continue  # no candidate of that sex, or the following years are not loaded (the page says so)
        blanks.append(f"{f.where()} = {f.text!r} ({f.year}, cycle {f.cycle})")
    for r in renders:
        for element in list(r.at.table) + list(r.at.dataframe):
            frame = displayed_frame(element).astype(str)
            for token in TABLE_BLANKS:
                hits = frame.isin([token]).to_numpy().sum()
                if hits:
                    blanks.append(f"{r.role}/{r.page}?{r.view}: {hits} table cells {token!r}")
    assert not blanks, "\n".join(blanks)


# ------------------------------------------------------------------------------------------ explained

KPI_YML = DASHBOARDS.parent / "dbt" / "models" / "marts" / "kpi_definitions.yml"


def yml_kpis() -> dict[str, dict[str, object]]:
    """The figure definitions as written in the yml (read here with a YAML parser, not through dbt)."""
    models = yaml.safe_load(KPI_YML.read_text(encoding="utf-8"))["models"]
    return next(m for m in models if m["name"] == "kpi_definitions")["config"]["meta"]["kpis"]


def _expected_parts(entry: dict[str, object], lang: str) -> list[str]:
    text = entry[lang]
    assert isinstance(text, dict)
    parts = [text["definition"], text["numerator"]] + (
        [text["denominator"]] if text.get("denominator") else []
    )
    return [str(p) for p in parts] + [str(entry["source"])]


def test_every_page_metric_has_a_definition_in_three_languages() -> None:
    """Every metric label of every page has a definition (definition, numerator; a denominator for a
    ratio) in English, French and Arabic, whose source is a table and column; no definition is orphan."""
    kpis = yml_kpis()
    used: set[str] = set()
    for page in PAGE_NAMES:
        keys, prefixes = metric_label_keys(page)
        used |= keys
        used |= {k for k in kpis if any(k.startswith(p) for p in prefixes)}
        assert keys <= kpis.keys(), (page, keys - kpis.keys())
    assert set(kpis) <= used, set(kpis) - used
    for key, entry in kpis.items():
        assert len(str(entry["source"]).split(".")) == 3, key
        for lang in ("en", "fr", "ar"):
            text = entry[lang]
            assert text["definition"] and text["numerator"], (key, lang)
        assert bool(entry["en"].get("denominator")) == bool(entry["fr"].get("denominator")), key
        assert bool(entry["fr"].get("denominator")) == bool(entry["ar"].get("denominator")), key
        assert ARABIC.search(entry["ar"]["definition"]), key


def test_the_warehouse_holds_the_yml_definitions(published_home: Path) -> None:
    """dbt persisted the yml texts unchanged into the published version, and each source column exists."""
    kpis = yml_kpis()
    rows = sql(
        published_home,
        "select kpi_key, lang, table_schema || '.' || table_name || '.' || column_name, "
        "definition, numerator, denominator from marts.kpi_definitions",
    )
    got = {(r[0], r[1]): r[2:] for r in rows}
    expected = {
        (key, lang): (e["source"], e[lang]["definition"], e[lang]["numerator"], e[lang].get("denominator"))
        for key, e in kpis.items()
        for lang in ("en", "fr", "ar")
    }
    assert got == expected
    columns = {
        f"{s}.{t}.{c}"
        for s, t, c in sql(
            published_home, "select table_schema, table_name, column_name from information_schema.columns"
        )
    }
    assert {e["source"] for e in kpis.values()} <= columns


@pytest.fixture(scope="module")
def arabic_renders(published_home: Path) -> Iterator[list[Rendered]]:
    previous = st.get_option("server.enableStaticServing")
    st_config.set_option("server.enableStaticServing", True)
    try:
        yield [_render("ministry", page, "ar") for page in PAGE_NAMES]
    finally:
        st_config.set_option("server.enableStaticServing", previous)
        st.cache_data.clear()
        st.cache_resource.clear()


def test_every_metric_shows_its_definition(renders: list[Rendered], arabic_renders: list[Rendered]) -> None:
    """The help of every st.metric, in French (both users) and Arabic (ministry), holds the yml's
    definition, numerator, denominator and source for its label."""
    kpis = yml_kpis()
    missing = []
    for r in renders + arabic_renders:
        lang = "ar" if r in arabic_renders else "fr"
        templates = FR_TEMPLATES if lang == "fr" else AR_TEMPLATES
        for m in r.at.metric:
            key, _ = label_key(r.page, m.label, templates)
            help_text = m.help or ""
            absent = [p for p in _expected_parts(kpis[key], lang) if p not in help_text]
            if absent:
                missing.append(f"{r.role}/{r.page} ({lang}) {key}: help {help_text!r} lacks {absent}")
    assert not missing, "\n".join(missing)
