"""Shared page helpers: language (kept in the URL), right-to-left layout, URL-bound filters, chart styling."""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.exports import note_filter
from dashboards.i18n import (
    LANGS,
    Lang,
    day_label,
    is_rtl,
    label_or_code,
    normalize_lang,
    plotly_separators,
    t,
)

T = TypeVar("T")

DASHBOARDS_DIR: Final[Path] = Path(__file__).resolve().parent
STATIC_DIR: Final[Path] = DASHBOARDS_DIR / "static"
REGIONS_GEOJSON: Final[Path] = STATIC_DIR / "geo" / "morocco_12_regions.geojson"
PROVINCES_GEOJSON: Final[Path] = STATIC_DIR / "geo" / "morocco_75_provinces.geojson"
#: where the browser fetches plotly's base map (served by `--server.enableStaticServing true`)
PLOTLY_CONFIG: Final[dict[str, Any]] = {"topojsonURL": "/app/static/topojson/", "displaylogo": False}

LANG_PARAM: Final[str] = "lang"
_LANG_KEY: Final[str] = "lang"

_RTL_CSS: Final[str] = """
<style>
[data-testid="stMain"], [data-testid="stMainBlockContainer"], [data-testid="stSidebar"],
[data-testid="stSidebarContent"], [data-testid="stHeader"], [data-testid="stTable"], table,
[data-testid="stMetric"], [data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"],
[data-testid="stAlert"] {
    direction: rtl;
    text-align: right;
}
[data-testid="stTable"] th, [data-testid="stTable"] td { text-align: right !important; }
/* plotly draws its own (SVG) layout: an inherited rtl direction would flip its text anchors */
.js-plotly-plot, .stPlotlyChart { direction: ltr; }
/* plotly measures its labels in a hidden SVG of the document (#js-plotly-tester): measured right to
   left, the sizes are wrong and the margins do not make room for tick labels and axis titles */
#js-plotly-tester, #js-plotly-tester * { direction: ltr !important; }
</style>
"""

#: Streamlit has no API for the document's language: this script sets ``<html lang dir>`` in the page
#: itself (``st.html`` with JavaScript runs in the app's document, not in an iframe). Screen readers,
#: hyphenation and the browser's own right-to-left handling (scrollbars, form controls) follow it.
_DOCUMENT_LANG_JS: Final[str] = (
    "<script>document.documentElement.lang = {lang!r}; document.documentElement.dir = {dir!r};</script>"
)


#: The data grid has no right-to-left mode: in Arabic ``exports.show_table`` reverses a table's columns, and
#: this script opens every grid wider than its frame scrolled to its right end, where the first column
#: (the row labels) stands, as a right-to-left reader expects. Installed once per document (a guard);
#: it acts only while the document is right to left, once per grid.
_RTL_GRID_JS: Final[str] = """<script>
if (!window.massarRtlGrids) {
  window.massarRtlGrids = true;
  const toRightEnd = () => {
    if (document.documentElement.dir !== "rtl") return;
    document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller').forEach((el) => {
      const end = el.scrollWidth - el.clientWidth;
      if (el.dataset.massarRtl === "1" || end <= 0) return;
      el.dataset.massarRtl = "1";
      el.scrollLeft = end;
    });
  };
  new MutationObserver(toRightEnd).observe(document.body, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["style"],
  });
  toRightEnd();
}
</script>"""


def current_lang() -> Lang:
    """The chosen language: the sidebar switch once it exists, else ``?lang=`` in the URL, else French."""
    if _LANG_KEY in st.session_state:
        return normalize_lang(st.session_state[_LANG_KEY])
    return normalize_lang(st.query_params.get(LANG_PARAM))


def language_switch() -> Lang:
    """Sidebar switch Français / العربية, mirrored in the URL (``?lang=fr|ar``)."""
    lang = current_lang()
    chosen = st.sidebar.radio(
        t("app.language", lang),
        LANGS,
        index=LANGS.index(lang),
        format_func=lambda code: t(f"language.{code}", lang),
        key=_LANG_KEY,
        horizontal=True,
    )
    lang = normalize_lang(chosen)
    if st.query_params.get(LANG_PARAM) != lang:
        st.query_params[LANG_PARAM] = lang
    return lang


#: both languages: a metric's label wraps instead of being cut with an ellipsis
_COMMON_CSS: Final[str] = """
<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * { white-space: normal !important;
    overflow: visible !important; text-overflow: clip !important; }
</style>
"""


def apply_direction(lang: str) -> None:
    """``<html lang dir>`` of the document, and the right-to-left layout for Arabic (sidebar on the right;
    main container, tables, metrics, text right to left)."""
    st.html(
        _DOCUMENT_LANG_JS.format(lang=lang, dir="rtl" if is_rtl(lang) else "ltr"),
        unsafe_allow_javascript=True,
    )
    st.html(_COMMON_CSS)
    if is_rtl(lang):  # with <html dir="rtl"> the app's row (sidebar, main) starts from the right
        st.html(_RTL_CSS)
        st.html(_RTL_GRID_JS, unsafe_allow_javascript=True)


def url_selectbox(
    label: str,
    options: Sequence[T],
    *,
    param: str,
    to_url: Callable[[T], str | None],
    format_func: Callable[[T], str],
    default_index: int = 0,
    container: Any = None,
) -> T:
    """A selectbox whose value is kept in the URL query string (``?<param>=<to_url(value)>``).

    On a fresh session the URL wins; afterwards the widget does, and the URL follows it (a value
    whose ``to_url`` is ``None`` removes the parameter). The widget key is ``filter_<param>``, so the
    choice survives a change of language (labels change, identity does not).
    """
    keys = [to_url(o) for o in options]
    from_url = st.query_params.get(param)
    index = keys.index(from_url) if from_url is not None and from_url in keys else default_index
    target = container if container is not None else st
    value: T = target.selectbox(
        label,
        options,
        index=index,
        format_func=format_func,
        key=f"filter_{param}",
        placeholder=t("app.choose", current_lang()),
    )
    key = to_url(value)
    note_filter(label, format_func(value), key)
    if key is None:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != key:
        st.query_params[param] = key
    return value


#: Map outlines are drawn on a grid of this many degrees (about 1.1 km; the national maps show 2–3 km
#: per pixel): the files' 85,000 vertices become about 33,000, which cuts the time plotly spends
#: validating, copying and serialising the two maps of the overview page by two thirds.
MAP_GRID_DEGREES: Final[float] = 0.01


def _snap_ring(ring: list[list[float]], grid: float) -> list[list[float]]:
    """A ring with every vertex moved to the nearest grid point and repeated points dropped (still closed).

    Snapping keeps shared borders shared: two neighbours' common vertices land on the same grid points."""
    snapped: list[list[float]] = []
    for lon, lat, *_ in ring:
        point = [round(round(lon / grid) * grid, 6), round(round(lat / grid) * grid, 6)]
        if not snapped or snapped[-1] != point:
            snapped.append(point)
    if snapped and snapped[0] != snapped[-1]:
        snapped.append(snapped[0])
    return snapped


def snap_to_grid(geojson: dict[str, Any], grid: float = MAP_GRID_DEGREES) -> dict[str, Any]:
    """The GeoJSON with its (Multi)Polygon outlines snapped to ``grid`` degrees. A ring that collapses
    (fewer than 4 points: an islet smaller than the grid) is dropped; a feature that would lose every ring
    keeps its original geometry, so no territory disappears from a map."""

    def polygon(rings: list[list[list[float]]]) -> list[list[list[float]]]:
        return [r for r in (_snap_ring(ring, grid) for ring in rings) if len(r) >= 4]

    features = []
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            coordinates: list[Any] = polygon(geometry["coordinates"])
        elif geometry["type"] == "MultiPolygon":
            coordinates = [p for p in (polygon(rings) for rings in geometry["coordinates"]) if p]
        else:
            coordinates = []
        snapped = {"type": geometry["type"], "coordinates": coordinates} if coordinates else geometry
        features.append({**feature, "geometry": snapped})
    return {**geojson, "features": features}


@cache
def regions_geojson() -> dict[str, Any]:
    """The 12 regions (features keyed by ``properties.hcp_code``), snapped to the map grid, loaded once
    per process."""
    with REGIONS_GEOJSON.open(encoding="utf-8") as f:
        return snap_to_grid(json.load(f))


@cache
def provinces_geojson() -> dict[str, Any]:
    """The 75 provinces and prefectures (features keyed by ``properties.hcp_code``, ``RR.PPP``), snapped to
    the map grid."""
    with PROVINCES_GEOJSON.open(encoding="utf-8") as f:
        return snap_to_grid(json.load(f))


def mirror_axes(fig: go.Figure, lang: str, *, horizontal: bool = False) -> go.Figure:
    """Reading direction of a cartesian chart (not a map): in Arabic the x axis runs right to left and
    the y axis stands on the right; ``horizontal`` bars are listed top to bottom in both languages.

    Only the direction is set: a page's own axis keys (title, range, tickformat, type) are merged with it
    by plotly; call it after setting them. Left to right, the x axis is left alone, so a page's ``range``
    holds (plotly autoranges an axis without one); right to left, a page's x ``range`` is reversed (an
    autorange would override it), any other x axis is autoranged reversed.
    """
    rtl = is_rtl(lang)
    yaxis: dict[str, Any] = {"side": "right" if rtl else "left"}
    if horizontal:
        yaxis["autorange"] = "reversed"
    fig.update_layout(yaxis=yaxis)
    if rtl:
        fixed = fig.layout.xaxis.range
        if fixed is not None:
            fig.update_layout(xaxis={"range": list(reversed(fixed)), "autorange": False})
        else:
            fig.update_layout(xaxis={"autorange": "reversed"})
    return fig


def top_legend(lang: str) -> dict[str, Any]:
    """A one-row legend over the plot area, without a title, starting from the reading side."""
    rtl = is_rtl(lang)
    return {
        "orientation": "h",
        "y": 1.0,
        "yanchor": "bottom",
        "x": 1.0 if rtl else 0.0,
        "xanchor": "right" if rtl else "left",
        "title": {"text": ""},
    }


#: a chart title longer than this many characters is wrapped (plotly never wraps, it cuts at the border)
TITLE_WRAP: Final[int] = 60
#: a vertical axis title longer than this is wrapped
AXIS_TITLE_WRAP: Final[int] = 24
#: tick formats that repeat labels on a narrow range (3 %, 3 %, 2 %) and the ones used instead: as many
#: decimals as the tick step needs, trailing zeros trimmed (2 %, 2,5 %, 3 %)
_TICK_FORMATS: Final[dict[str, str]] = {".0%": ".2~%", ",d": ",.2~f", "d": ",.2~f"}


def wrap_title(text: str, width: int = TITLE_WRAP) -> tuple[str, int]:
    """``text`` wrapped on word boundaries with ``<br>`` at ``width`` characters, and its line count."""
    lines = textwrap.wrap(text, width) or [""]
    return "<br>".join(lines), len(lines)


def axis_dates(
    fig: go.Figure, days: Sequence[Any], lang: str, *, axis: str = "xaxis", ticks: int = 6
) -> None:
    """Date ticks in words of the language (``18 sept.`` / ``18 شتنبر``, from Babel): plotly's own month
    names are English only."""
    days = sorted({d for d in days if d is not None})
    if not days:
        return
    step = max(1, math.ceil(len(days) / ticks))
    picked = days[::step]
    fig.update_layout({axis: {"tickvals": picked, "ticktext": [day_label(d, lang) for d in picked]}})


#: a legend entry's width (px) is about this much per character of its name, plus its symbol
_LEGEND_CHAR_PX: Final[float] = 6.5
_LEGEND_SYMBOL_PX: Final[int] = 45
_LEGEND_ROW_PX: Final[int] = 22
#: the narrowest plot a page draws (half a page): a top legend is laid out in rows of this width
_NARROW_CHART_PX: Final[int] = 400


def legend_rows(fig: go.Figure) -> int:
    """How many rows a horizontal legend takes in a half-page chart (its entries wrap)."""
    widths = [
        _LEGEND_SYMBOL_PX + _LEGEND_CHAR_PX * len(str(trace.name))
        for trace in fig.data
        if trace.name and trace.showlegend is not False
    ]
    rows, used = 1, 0.0
    for width in widths:
        if used and used + width > _NARROW_CHART_PX:
            rows, used = rows + 1, 0.0
        used += width
    return rows


def style_figure(fig: go.Figure, lang: str, title: str) -> go.Figure:
    """Title (wrapped, never cut), number separators and reading direction of a plotly figure for the
    language; a top legend gets its own band under the title; tick formats that would repeat a label
    on a narrow range are given the decimals they need."""
    rtl = is_rtl(lang)
    text, lines = wrap_title(title)
    legend = fig.layout.legend
    top_legend_band = legend.orientation == "h" and (legend.y is None or legend.y >= 1)
    title_height = 26 * lines
    top = 20 + title_height + (_LEGEND_ROW_PX * legend_rows(fig) + 8 if top_legend_band else 0)
    fig.update_layout(
        title={
            "text": text,
            "x": 0.99 if rtl else 0.01,
            "xanchor": "right" if rtl else "left",
            "y": 1.0,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 12},
        },
        separators=plotly_separators(lang),
        font={"family": "Source Sans Pro, DejaVu Sans, Noto Sans Arabic, sans-serif"},
        margin={"l": 10, "r": 10, "t": top, "b": 10},
    )

    def precise(axis: Any) -> None:
        if axis.tickformat in _TICK_FORMATS:
            axis.tickformat = _TICK_FORMATS[axis.tickformat]

    def short_title(axis: Any) -> None:  # a long vertical axis title on two lines, not past the plot
        text = axis.title.text if axis.title is not None else None
        if text and "<br>" not in text and len(text) > AXIS_TITLE_WRAP:
            axis.title.text = wrap_title(text, AXIS_TITLE_WRAP)[0]

    fig.for_each_xaxis(precise)
    fig.for_each_yaxis(precise)
    fig.for_each_yaxis(short_title)
    # axis titles beside their tick labels, never over them (on the right in Arabic as well)
    # whole numbers with the language's thousands separator, never plotly's SI letters ("30k")
    fig.update_xaxes(automargin=True, exponentformat="none", separatethousands=True)
    fig.update_yaxes(automargin=True, title_standoff=6, exponentformat="none", separatethousands=True)
    return fig


#: the colour of a single series of bars
BAR_COLOR: Final[str] = "#2f6fb0"


def named_bars(
    frame: pl.DataFrame,
    value: str,
    axis_title: str,
    lang: str,
    title: str,
    *,
    hover: str = "%{y}: %{x}",
    height: int | None = None,
    x_range: list[float] | None = None,
    skip_missing: bool = False,
    color: str = BAR_COLOR,
) -> go.Figure:
    """Horizontal bars of the column ``value``, one per row of ``frame`` named by its label in the language
    (``label_fr`` / ``label_ar``, else ``code``), listed top to bottom in both languages. ``height`` is
    fixed, or grows with the rows; ``skip_missing`` leaves out the rows without a value."""
    data = frame.filter(pl.col(value).is_not_null()) if skip_missing else frame
    data = data.with_columns(pl.coalesce(pl.col(f"label_{lang}"), pl.col("code")).alias("name"))
    fig = px.bar(data, x=value, y="name", orientation="h", labels={value: axis_title, "name": ""})
    fig.update_layout(height=height or max(320, 32 * data.height + 120))
    if x_range is not None:
        fig.update_layout(xaxis={"range": x_range})
    fig.update_traces(marker_color=color, hovertemplate=f"{hover}<extra></extra>")
    return style_figure(mirror_axes(fig, lang, horizontal=True), lang, title)


def paired_frame(
    frame: pl.DataFrame, lang: str, series: dict[str, str], *, x: str, y: str, dtype: type[pl.DataType]
) -> pl.DataFrame:
    """``frame`` in long form for :func:`grouped_bars`: per row (named by its label in the language, else
    its code), one row per series (its label -> its column of ``frame``): ``x``, ``series``, ``y``."""
    rows = []
    for r in frame.iter_rows(named=True):
        name = label_or_code(r, lang)
        rows.extend({x: name, "series": label, y: r[column]} for label, column in series.items())
    return pl.DataFrame(rows, schema={x: pl.String, "series": pl.String, y: dtype})


def grouped_bars(
    frame: pl.DataFrame,
    lang: str,
    title: str,
    *,
    x: str,
    y: str,
    colors: dict[str, str],
    axis_title: str,
    hover: str | None = None,
    yaxis: dict[str, Any] | None = None,
    height: int = 440,
) -> go.Figure:
    """Grouped vertical bars of ``y`` per ``x``, one bar per ``series`` (coloured by ``colors``, series
    label -> colour), legend on top; the frame of :func:`paired_frame` or one of the same columns."""
    fig = px.bar(
        frame,
        x=x,
        y=y,
        color="series",
        barmode="group",
        color_discrete_map=colors,
        labels={x: "", y: axis_title, "series": ""},
    )
    fig.update_layout(height=height, legend=top_legend(lang))
    if yaxis is not None:
        fig.update_layout(yaxis=yaxis)
    if hover is not None:
        fig.update_traces(hovertemplate=hover)
    return style_figure(mirror_axes(fig, lang), lang, title)
