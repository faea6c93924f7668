"""Tables, charts and their downloads: every table and the data behind every chart of the internal pages
is shown through :func:`show_table` / :func:`show_chart`, which add a CSV and an Excel download.

- **CSV, for French Excel**: ``;`` between fields, ``,`` as decimal mark, UTF-8 with a byte-order mark
  (Excel then reads the Arabic labels), one header row and nothing else, so Excel opens it as a table.
  The stamp goes in the file name: ``<table>_<filters>_<warehouse version>_<date>.csv``.
- **XLSX**: a first sheet with the table (numbers as numbers, Excel formats for percentages and decimals,
  a filter on the header row, right to left in Arabic) and a second sheet "À propos" / "حول" stamped with
  the source, the page, the warehouse version, the filters and the date of the download.

Numbers are exported raw (shares in [0, 1], not percentages) rounded to :data:`EXPORT_DIGITS` decimals.

Display: a table's numeric columns stay numbers (they sort as numbers); a :class:`pandas.io.formats.style.
Styler` shows them in the language's format (Babel, through ``dashboards.i18n``). ``kinds`` names the
format of each such column: ``int``, ``pct`` (a share shown in %), ``dec1``, ``dec2``, ``date``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

import plotly.graph_objects as go
import polars as pl
import streamlit as st
import xlsxwriter

from dashboards.i18n import fmt_date, fmt_decimal, fmt_int, fmt_pct, is_rtl, t

__all__ = [
    "CSV_BOM",
    "csv_bytes",
    "excel_bytes",
    "fmt_decimal",
    "note_filter",
    "show_chart",
    "show_pages",
    "show_table",
    "start_page",
]

Kind = Literal["int", "pct", "dec1", "dec2", "date", "text"]

#: CSV starts with a UTF-8 byte-order mark: spreadsheet programs then read the Arabic labels correctly
CSV_BOM: Final[str] = "\ufeff"
CSV_SEPARATOR: Final[str] = ";"
#: decimals kept in exported numbers (a share to 0.0001 is a percentage to 0.01)
EXPORT_DIGITS: Final[int] = 4
XLSX_MIME: Final[str] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_EXCEL_FORMATS: Final[dict[str, str]] = {"int": "#,##0", "pct": "0.0%", "dec1": "0.0", "dec2": "0.00"}
_CONTEXT_KEY: Final[str] = "_export_context"
_SLUG: Final[re.Pattern[str]] = re.compile(r"[^A-Za-z0-9.-]+")


# ------------------------------------------------------------------------------------------ the stamp


@dataclass(frozen=True)
class Column:
    """A column of :func:`typed_table`: its header's i18n ``key``, its ``value`` (a column of the rows, or
    a function of a row) and its ``kind`` (how it is shown; none for text)."""

    key: str
    value: str | Callable[[dict[str, Any]], Any]
    kind: Kind | None = None


def typed_table(
    rows: pl.DataFrame, columns: Sequence[Column], lang: str
) -> tuple[pl.DataFrame, dict[str, Kind]]:
    """The table :func:`show_table` shows, one row per row of ``rows``: raw values under translated
    headers (numbers stay numbers in the downloads), and the kind of each typed column."""
    table = pl.DataFrame(
        [
            {t(c.key, lang): r[c.value] if isinstance(c.value, str) else c.value(r) for c in columns}
            for r in rows.iter_rows(named=True)
        ]
    )
    return table, {t(c.key, lang): c.kind for c in columns if c.kind is not None}


def start_page(title: str, lang: str, version: str) -> None:
    """Called by the page frame before a page draws: the page and version its downloads are stamped with
    (filters are added by :func:`note_filter` as they are drawn)."""
    st.session_state[_CONTEXT_KEY] = {"page": title, "lang": lang, "version": version, "filters": {}}


def note_filter(label: str, shown: str, code: str | None) -> None:
    """Record a filter's choice for the stamp (``label``: ``shown``; ``code`` goes into file names)."""
    context = st.session_state.get(_CONTEXT_KEY)
    if context is not None:
        context["filters"][label] = (shown, code)


def _context() -> dict[str, Any]:
    return st.session_state.get(_CONTEXT_KEY) or {"page": "", "lang": "fr", "version": "", "filters": {}}


def stamp_rows(lang: str, source: str, *, today: date | None = None) -> list[tuple[str, str]]:
    """The stamp of a download: (label, value) rows for the "about" sheet."""
    context = _context()
    day = today or datetime.now(UTC).date()
    rows = [
        (t("export.about.source", lang), source),
        (t("export.about.page", lang), context["page"]),
        (t("export.about.version", lang), context["version"]),
        (t("export.about.date", lang), day.isoformat()),
    ]
    filters = context["filters"]
    rows += [(f"{t('export.about.filter', lang)} · {label}", shown) for label, (shown, _) in filters.items()]
    if not filters:
        rows.append((t("export.about.filter", lang), t("export.about.no_filter", lang)))
    rows.append((t("export.about.publisher", lang), t("export.about.publisher_name", lang)))
    return rows


def file_stem(key: str, *, today: date | None = None) -> str:
    """``<table>_<filter codes>_<version>_<date>``: the stamp a CSV carries in its name."""
    context = _context()
    codes = [code for _, code in context["filters"].values() if code]
    parts = [key, *codes, context["version"], (today or datetime.now(UTC).date()).isoformat()]
    return "_".join(_SLUG.sub("-", p).strip("-") for p in parts if p)


# ---------------------------------------------------------------------------------------- the files


def _rounded(frame: pl.DataFrame) -> pl.DataFrame:
    floats = [c for c, dtype in frame.schema.items() if dtype.is_float()]
    # NaN (0/0) is no number a spreadsheet holds: an empty cell, as a missing value
    return frame.with_columns(pl.col(floats).fill_nan(None).round(EXPORT_DIGITS)) if floats else frame


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """A timestamp column that only holds midnights is a date (no time part); nested values as text:
    what a spreadsheet cell holds."""
    casts = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Datetime:
            times = frame[name].drop_nulls()
            if times.is_empty() or (times.dt.truncate("1d") == times).all():
                casts.append(pl.col(name).dt.date())
        elif dtype.is_nested() or dtype == pl.Object:
            casts.append(pl.col(name).map_elements(str, return_dtype=pl.String))
    return frame.with_columns(casts) if casts else frame


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as CSV for French Excel: UTF-8 with a byte-order mark, ``;`` separated, decimal comma."""
    text = _rounded(_plain(frame)).write_csv(
        separator=CSV_SEPARATOR,
        decimal_comma=True,
        date_format="%Y-%m-%d",
        datetime_format="%Y-%m-%d %H:%M",
        null_value="",
    )
    return (CSV_BOM + text).encode("utf-8")


def excel_bytes(
    frame: pl.DataFrame,
    sheet: str,
    lang: str,
    *,
    stamp: list[tuple[str, str]] | None = None,
    kinds: Mapping[str, Kind] | None = None,
) -> bytes:
    """The frame as an .xlsx workbook: the table (right to left for Arabic), then the "about" sheet."""
    frame = _rounded(_plain(frame))
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    worksheet = workbook.add_worksheet(_sheet_name(sheet))
    if is_rtl(lang):
        worksheet.right_to_left()
    formats = {
        column: _EXCEL_FORMATS[kind]
        for column, kind in (kinds or {}).items()
        if kind in _EXCEL_FORMATS and column in frame.columns
    }
    frame.write_excel(
        workbook=workbook,
        worksheet=worksheet,
        autofit=True,
        column_formats=formats or None,  # type: ignore[arg-type]
        float_precision=EXPORT_DIGITS,
        dtype_formats={pl.Date: "yyyy-mm-dd", pl.Datetime: "yyyy-mm-dd hh:mm"},
        table_style="Table Style Light 1",
    )
    if stamp:
        about = workbook.add_worksheet(_sheet_name(t("export.about.sheet", lang)))
        if is_rtl(lang):
            about.right_to_left()
        bold = workbook.add_format({"bold": True})
        for row, (label, text) in enumerate(stamp):
            about.write_string(row, 0, label, bold)
            about.write_string(row, 1, text)
        about.set_column(0, 0, max(len(label) for label, _ in stamp) + 2)
        about.set_column(1, 1, min(80, max(len(text) for _, text in stamp) + 2))
    workbook.close()
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "data"  # Excel's rules on sheet names


def downloads(
    frame: pl.DataFrame,
    key: str,
    lang: str,
    *,
    source: str | None = None,
    kinds: Mapping[str, Kind] | None = None,
    sheet: str | None = None,
) -> None:
    """A CSV and an Excel download of ``frame`` side by side (keys ``download_csv_<key>`` and
    ``download_xlsx_<key>``), stamped as described in the module doc."""
    context = _context()
    source = source or context["page"]
    stem = file_stem(key)
    stamp = stamp_rows(lang, source)
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        t("export.csv", lang),
        csv_bytes(frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"download_csv_{key}",
        on_click="ignore",
        icon=":material/download:",
    )
    row.download_button(
        t("export.xlsx", lang),
        excel_bytes(frame, sheet or context["page"] or key, lang, stamp=stamp, kinds=kinds),
        file_name=f"{stem}.xlsx",
        mime=XLSX_MIME,
        key=f"download_xlsx_{key}",
        on_click="ignore",
        icon=":material/download:",
    )


# ------------------------------------------------------------------------------------- the displays


#: how a missing value is shown in a table
MISSING: Final[str] = "–"


def _formatter(kind: Kind, lang: str) -> Any:
    if kind == "int":
        return lambda v: MISSING if v is None or v != v else fmt_int(v, lang)
    if kind == "pct":
        return lambda v: fmt_pct(None if v is None or v != v else v, lang)
    if kind in ("dec1", "dec2"):
        digits = 1 if kind == "dec1" else 2
        return lambda v: fmt_decimal(None if v is None or v != v else v, lang, digits)
    if kind == "date":
        return lambda v: MISSING if v is None or v != v else fmt_date(v, lang)
    return lambda v: MISSING if v is None or v != v else str(v)


def styled(frame: pl.DataFrame, lang: str, kinds: Mapping[str, Kind] | None = None) -> Any:
    """A pandas Styler of ``frame``: values kept (numbers sort as numbers), shown in the language's format;
    a missing value shows as ``–``."""
    pdf = frame.to_pandas()
    formats = {column: _formatter(kind, lang) for column, kind in (kinds or {}).items() if column in pdf}
    others = {c: _formatter("text", lang) for c in pdf.columns if c not in formats}
    return pdf.style.format({**others, **formats})


#: a left-to-right table of more columns than this pins its first column (see :func:`show_table`)
PINNED_FIRST_MIN_COLUMNS: Final[int] = 7
#: a table of up to this many rows shows them all (no inner scroll bar); longer ones scroll
ROWS_WITHOUT_SCROLL: Final[int] = 25
_ROW_PX: Final[int] = 35


def _height(rows: int) -> int | Literal["auto"]:
    return (min(rows, ROWS_WITHOUT_SCROLL) + 1) * _ROW_PX + 3 if rows else "auto"


def show_table(
    frame: pl.DataFrame,
    key: str,
    lang: str,
    *,
    kinds: Mapping[str, Kind] | None = None,
    source: str | None = None,
    rows: int | None = None,
    export: pl.DataFrame | None = None,
    hide: Sequence[str] = (),
    on_select: Literal["ignore", "rerun"] = "ignore",
    widget_key: str | None = None,
) -> Any:
    """A table as an interactive ``st.dataframe`` (sortable, numbers in the language's format) with its
    CSV and Excel downloads. ``rows`` caps the rows shown (every row is downloaded); ``export`` replaces
    the downloaded frame (same columns, or more); ``hide`` names columns downloaded but not shown (codes
    whose words are in another column). ``on_select="rerun"`` makes a row selectable (one at a time) and
    returns the selection state; ``widget_key`` replaces the table's widget key (``table_<key>``)."""
    shown = (frame if rows is None else frame.head(rows)).drop(hide, strict=False)
    config: dict[str, Any] = {}
    numeric = {c for c, kind in (kinds or {}).items() if kind in ("int", "pct", "dec1", "dec2")}
    align = "right" if is_rtl(lang) else None  # Arabic text is read (and cut) from the right
    for column in shown.columns:
        if column in numeric:
            config[column] = st.column_config.NumberColumn(column, alignment="right")
        elif shown.schema[column] == pl.String:
            config[column] = st.column_config.TextColumn(column, alignment=align)
    # The grid has no right-to-left mode. In Arabic every table is laid out from the right: its columns
    # reversed, and the page's script (``ui.apply_direction``) opens a table wider than the page scrolled
    # to its right end, where its first column (the row labels) stands. Pinning would move that column to
    # the left edge: only a wide left-to-right table pins its first column.
    order = list(reversed(shown.columns)) if is_rtl(lang) else None
    if order is None and shown.width >= PINNED_FIRST_MIN_COLUMNS:
        first = shown.columns[0]
        base = config.get(first) or st.column_config.Column(first)
        config[first] = {**base, "pinned": True}
    selection: dict[str, Any] = {}
    if on_select != "ignore":
        selection = {"on_select": on_select, "selection_mode": "single-row"}
    event = st.dataframe(
        styled(shown, lang, kinds),
        hide_index=True,
        column_config=config or None,
        column_order=order,
        height=_height(shown.height),
        placeholder=MISSING,  # the grid draws a missing value itself ("None"), whatever the Styler says
        key=widget_key or f"table_{key}",
        **selection,
    )
    downloads(export if export is not None else frame, key, lang, source=source, kinds=kinds)
    return event if on_select != "ignore" else None


#: rows per page of :func:`show_pages`
PAGE_ROWS: Final[int] = 50


def show_pages(
    frame: pl.DataFrame,
    key: str,
    lang: str,
    *,
    per_page: int = PAGE_ROWS,
    kinds: Mapping[str, Kind] | None = None,
    source: str | None = None,
) -> None:
    """A long list, every row of it, a page at a time: a page number (widget ``page_<key>``) when there is
    more than one page, the page's rows (:func:`show_table`), which rows they are; the downloads hold
    the whole list."""
    total = frame.height
    pages = max(1, -(-total // per_page))
    page = 1
    if pages > 1:
        column, _ = st.columns([1, 4])
        chosen = column.number_input(
            t("export.page.label", lang), min_value=1, max_value=pages, value=1, step=1, key=f"page_{key}"
        )
        page = min(max(int(chosen), 1), pages)
    first = (page - 1) * per_page
    show_table(frame.slice(first, per_page), key, lang, kinds=kinds, source=source, export=frame)
    if pages > 1:
        st.caption(
            t(
                "export.page.range",
                lang,
                first=fmt_int(first + 1, lang),
                last=fmt_int(min(first + per_page, total), lang),
                total=fmt_int(total, lang),
                page=fmt_int(page, lang),
                pages=fmt_int(pages, lang),
            )
        )


def _all_zero_or_empty(data: pl.DataFrame | None) -> bool:
    if data is None:
        return False
    numeric = [c for c, dtype in data.schema.items() if dtype.is_numeric()]
    if data.is_empty():
        return True
    if not numeric:
        return False
    values = data.select(pl.col(numeric).cast(pl.Float64).fill_nan(0).fill_null(0).abs().sum()).row(0)
    return all(v == 0 for v in values)


def _array(values: Any) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, dict) and "bdata" in values:  # plotly's typed arrays
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).tolist()
    return list(values)


def _axis_title(fig: go.Figure, name: str, fallback: str) -> str:
    axis = fig.layout[name] if name in ("xaxis", "yaxis") else None
    text = axis.title.text if axis is not None and axis.title is not None else None
    return re.sub(r"<br>", " ", text) if text else fallback


def _clean(text: Any) -> str:
    return re.sub(r"<br>", " ", str(text)).replace("\u2066", "").replace("\u2069", "")


def figure_data(fig: go.Figure, lang: str) -> pl.DataFrame:
    """The data a plotly figure draws, one row per point: series (trace name), category (x, or the map's
    location), value (y, or the map's colour value). What the chart shows, as a table."""
    series_col, x_col = (
        t("export.col.series", lang),
        _axis_title(fig, "xaxis", t("export.col.category", lang)),
    )
    y_col = _axis_title(fig, "yaxis", t("export.col.value", lang))
    if x_col == y_col:
        y_col = t("export.col.value", lang)
    rows: list[dict[str, Any]] = []
    for trace in fig.data:
        name = _clean(trace.name) if getattr(trace, "name", None) else ""
        if trace.type in ("choropleth", "choroplethmap", "choroplethmapbox"):
            places = _array(trace.locations)
            labels = _array(trace.hovertext) or places
            values = _array(trace.z)
            for place, label, value in zip(places, labels, values, strict=False):
                rows.append({series_col: _clean(label), x_col: str(place), y_col: value})
            continue
        xs, ys = _array(getattr(trace, "x", None)), _array(getattr(trace, "y", None))
        if getattr(trace, "orientation", None) == "h":
            xs, ys = ys, xs
        if not ys and xs:  # a histogram of raw values: nothing aggregated to export but the values
            ys = [None] * len(xs)
        for x, y in zip(xs, ys, strict=False):
            rows.append({series_col: name, x_col: _clean(x) if x is not None else "", y_col: y})
    if not rows:
        return pl.DataFrame(schema={series_col: pl.String, x_col: pl.String, y_col: pl.Float64})
    frame = pl.DataFrame(rows, infer_schema_length=None, strict=False)
    if frame[series_col].drop_nulls().str.len_chars().max() in (0, None):
        frame = frame.drop(series_col)
    return frame


def show_chart(
    fig: go.Figure,
    key: str,
    lang: str,
    *,
    data: pl.DataFrame | None = None,
    config: dict[str, Any] | None = None,
    source: str | None = None,
    kinds: Mapping[str, Kind] | None = None,
    title: str | None = None,
    on_select: Literal["ignore", "rerun"] = "ignore",
) -> Any:
    """A plotly chart, or a "no data" notice when its data is empty or all zero (never a flat chart on a
    made-up axis), followed by the downloads of the data behind it (``data``, by default the figure's own
    points: :func:`figure_data`). ``on_select="rerun"`` makes a point clickable and returns the selection
    state (``None`` when no chart is drawn)."""
    if data is None:
        data = figure_data(fig, lang)
    if _all_zero_or_empty(data):
        title = title or _clean(fig.layout.title.text or "")
        st.info(f"**{title}** · {t('export.no_data', lang)}" if title else t("export.no_data", lang))
        return None
    if on_select == "ignore":
        st.plotly_chart(fig, config=config, key=key)
        event = None
    else:
        event = st.plotly_chart(fig, config=config, key=key, on_select=on_select, selection_mode="points")
    downloads(data, key, lang, source=source, kinds=kinds)
    return event
