"""Every text an AppTest run shows: titles, markdown, captions, notices, metrics, tables (their displayed
values, as the Styler formats them), widgets' labels and options, chart titles, axis titles, tick labels,
legend names and categories. Used by the text tests of the internal pages (``test_page_texts.py``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

#: where each text was found (element type) and the text
Text = tuple[str, str]


def _arrow(data: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(data).read_all().to_pandas()


def displayed_frame(element: Any) -> pd.DataFrame:
    """A dataframe or table as displayed: the Styler's display values when there is a Styler."""
    arrow = element.proto.arrow_data
    if arrow.HasField("styler") and arrow.styler.display_values:
        return _arrow(arrow.styler.display_values)
    return element.value


def _chart_texts(spec: dict[str, Any]) -> Iterator[str]:
    layout = spec.get("layout", {})
    yield str(layout.get("title", {}).get("text") or "")
    for name, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*", name) and isinstance(axis, dict):
            yield str((axis.get("title") or {}).get("text") or "")
            yield from (str(v) for v in axis.get("ticktext") or [])
            if axis.get("type") == "category":
                yield from (str(v) for v in axis.get("categoryarray") or [])
    for annotation in layout.get("annotations") or []:
        yield str(annotation.get("text") or "")
    coloraxis = layout.get("coloraxis") or {}
    yield str(((coloraxis.get("colorbar") or {}).get("title") or {}).get("text") or "")
    for trace in spec.get("data", []):
        if trace.get("showlegend", True) is not False:
            yield str(trace.get("name") or "")
        for key in ("x", "y"):
            values = trace.get(key)
            if isinstance(values, list):
                yield from (v for v in values if isinstance(v, str))
        for key in ("hovertext", "text"):
            values = trace.get(key)
            if isinstance(values, list):
                yield from (v for v in values if isinstance(v, str))


def page_texts(at: AppTest) -> list[Text]:
    """Every text the run displays, with the kind of element that shows it."""
    found: list[Text] = []

    def add(kind: str, text: object) -> None:
        if text is not None and str(text).strip():
            found.append((kind, str(text)))

    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
    ):
        for element in at.get(kind):
            add(kind, element.value)
    for m in at.metric:
        add("metric label", m.label)
        add("metric value", m.value)
        add("metric help", m.proto.help)
    for kind in ("dataframe", "table"):
        for element in at.get(kind):
            frame = displayed_frame(element)
            for column in frame.columns:
                add(f"{kind} header", column)
                for value in frame[column].tolist():
                    add(f"{kind} cell", value)
    for kind in ("selectbox", "radio", "multiselect"):
        for element in at.get(kind):
            add(f"{kind} label", element.label)
            for option in element.proto.options:
                add(f"{kind} option", option)
    for kind in ("button", "download_button"):
        for element in at.get(kind):
            add(f"{kind} label", element.proto.label)
    for tab in at.tabs:
        add("tab", tab.label)
    for chart in at.get("plotly_chart"):
        for text in _chart_texts(json.loads(chart.proto.spec)):
            add("chart", text)
    return found
