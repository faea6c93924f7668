"""Reading direction of the charts (``dashboards.ui.mirror_axes`` / ``top_legend``): Arabic charts run right
to left with the value axis on the right, French ones keep plotly's defaults, and a page's fixed range is
kept in both languages (reversed in Arabic)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dashboards.ui import mirror_axes, top_legend


def _bars(horizontal: bool = False, x_range: list[float] | None = None) -> go.Figure:
    fig = go.Figure(go.Bar(x=[1, 2, 3], y=["a", "b", "c"], orientation="h" if horizontal else "v"))
    if x_range is not None:
        fig.update_layout(xaxis={"range": x_range})
    return fig


def test_french_keeps_plotly_defaults_and_a_fixed_range() -> None:
    fig = mirror_axes(_bars(x_range=[0, 20]), "fr")
    assert tuple(fig.layout.xaxis.range) == (0, 20) and fig.layout.xaxis.autorange is None
    assert fig.layout.yaxis.side == "left"
    assert mirror_axes(_bars(), "fr").layout.xaxis.autorange is None


def test_arabic_runs_right_to_left() -> None:
    fig = mirror_axes(_bars(), "ar")
    assert fig.layout.xaxis.autorange == "reversed" and fig.layout.yaxis.side == "right"


def test_arabic_reverses_a_fixed_range_instead_of_dropping_it() -> None:
    fig = mirror_axes(_bars(x_range=[0, 100]), "ar")
    assert tuple(fig.layout.xaxis.range) == (100, 0) and fig.layout.xaxis.autorange is False


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_horizontal_bars_read_top_to_bottom(lang: str) -> None:
    assert mirror_axes(_bars(horizontal=True), lang, horizontal=True).layout.yaxis.autorange == "reversed"


def test_top_legend_starts_on_the_reading_side() -> None:
    assert (top_legend("fr")["x"], top_legend("fr")["xanchor"]) == (0.0, "left")
    assert (top_legend("ar")["x"], top_legend("ar")["xanchor"]) == (1.0, "right")
