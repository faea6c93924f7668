"""Click to drill down: a click on a map area, a bar or a table row moves the territory filters one level
down (country → region → province → school, and on to the classes where a page has them); a breadcrumb
moves back up. Shared by the internal pages; each page only says which unit a point or a row is.

How it works. Charts and tables are drawn with Streamlit's selection events
(``st.plotly_chart(on_select="rerun", selection_mode="points")``, ``st.dataframe(on_select="rerun",
selection_mode="single-row")``). The page run that sees a selection turns the unit it names (its code, in
the points' ``customdata`` or the row's position) into a territory, keeps it in session state and reruns;
before the filters are drawn on the next run, :func:`apply_pending` (called by
``dashboards.filters.territory_filters``) writes that territory into the filter widgets' state, so the
sidebar, the URL (``?region=&province=&school=``) and every query follow.

Scope: a territory above or outside the user's scope is never a target here (a province user cannot
drill out of their province, and their breadcrumb starts at it); the data-access layer refuses it anyway.

Each move bumps a counter that goes into the selectable widgets' identity with the territory (the table's
key, the chart's ``layout.meta``): a selection never outlives the level it was made on (a table keeps its
selection across a change of data under one key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.data_access import enrollment
from dashboards.exports import Kind, show_chart, show_table
from dashboards.i18n import is_rtl, t
from dashboards.scope import Scope, ScopeError

if TYPE_CHECKING:
    from dashboards.filters import Filters

Level = Literal["national", "region", "province", "school", "class"]
LEVELS: Final[tuple[Level, ...]] = ("national", "region", "province", "school", "class")

_PENDING: Final[str] = "_drill_pending"
_MOVES: Final[str] = "_drill_moves"
#: the session-state keys of the territory filters' widgets (``dashboards.filters``: ``filter_<param>``)
FILTER_KEYS: Final[dict[str, str]] = {
    "region": "filter_region",
    "province": "filter_province",
    "school": "filter_school",
}


@dataclass(frozen=True)
class Place:
    """A territory the filters can show: ``None`` at a level means all of it."""

    region: str | None = None
    province: str | None = None
    school: str | None = None

    @property
    def depth(self) -> int:
        """0 for the country, 1 a region, 2 a province, 3 a school."""
        return 3 if self.school else 2 if self.province else 1 if self.region else 0


def _scope_depth(scope: Scope) -> int:
    return 3 if scope.school_code else 2 if scope.province_code else 1 if scope.region_code else 0


def current_place(filters: Filters) -> Place:
    return Place(filters.region, filters.province, filters.school)


def place_of(level: Level, code: str | None, filters: Filters) -> Place | None:
    """The territory a unit of ``level`` stands for, seen from the current filters; ``None`` when a unit
    has no level of its own to open (a class: the last level)."""
    if level == "national":
        return Place()
    if not code:
        return None
    if level == "region":
        return Place(region=code)
    if level == "province":  # RR.PPP: its region is the prefix
        return Place(region=code.split(".")[0], province=code)
    if level == "school" and filters.province is not None:
        return Place(filters.region or filters.province.split(".")[0], filters.province, code)
    return None


def allowed(place: Place, scope: Scope) -> bool:
    """Whether the user may open ``place``: at or below their own territory, and inside it."""
    if place.depth < _scope_depth(scope):
        return False
    try:
        scope.territory(place.region, place.province, place.school)
    except ScopeError:
        return False
    return True


def go_to(place: Place) -> None:
    """Ask for ``place`` (applied before the filters are drawn on the next run); usable as a callback."""
    st.session_state[_PENDING] = place
    st.session_state[_MOVES] = st.session_state.get(_MOVES, 0) + 1


def apply_pending(scope: Scope) -> None:
    """Write the asked territory into the filter widgets' state (before they are drawn). Only the levels
    the user chooses are written: the others are fixed by the scope."""
    place = st.session_state.pop(_PENDING, None)
    if not isinstance(place, Place) or not allowed(place, scope):
        return
    if scope.is_national:
        st.session_state[FILTER_KEYS["region"]] = place.region
    if scope.province_code is None:
        st.session_state[FILTER_KEYS["province"]] = place.province
    if scope.school_code is None:
        st.session_state[FILTER_KEYS["school"]] = place.school


def drill(level: Level, code: str | None, scope: Scope, filters: Filters) -> bool:
    """Open the unit (``level``, ``code``) if it is a territory the user may see and not the current one:
    reruns the page (so it returns only when nothing is done, ``False``)."""
    place = place_of(level, code, filters)
    if place is None or place == current_place(filters) or not allowed(place, scope):
        return False
    go_to(place)
    st.rerun()
    return True  # pragma: no cover - st.rerun() does not return


def widget_token(filters: Filters) -> str:
    """The territory and the move counter: part of a selectable widget's identity."""
    parts = (filters.region, filters.province, filters.school)
    return "_".join(p or "-" for p in parts) + f"_{st.session_state.get(_MOVES, 0)}"


def _point_code(point: Any) -> str | None:
    custom = point.get("customdata")
    if isinstance(custom, (list, tuple)):
        custom = custom[0] if custom else None
    if custom is None:
        custom = point.get("location")
    return None if custom is None else str(custom)


def picked_codes(event: Any) -> list[str]:
    """The unit codes of the points a chart's selection state names (``customdata``, else ``location``)."""
    if not event:
        return []
    points = event["selection"]["points"]
    return [code for code in (_point_code(p) for p in points) if code]


def drill_chart(
    fig: go.Figure,
    key: str,
    lang: str,
    scope: Scope,
    filters: Filters,
    *,
    level: Level,
    config: dict[str, Any] | None = None,
    data: pl.DataFrame | None = None,
) -> None:
    """A chart whose points are units of ``level`` (their codes in ``customdata``): a click on one opens it.

    Drawn by ``dashboards.exports.show_chart`` (with its downloads)."""
    fig.update_layout(meta={"drill": widget_token(filters)})  # a new chart identity at each level and move
    event = show_chart(fig, key, lang, config=config, data=data, on_select="rerun")
    for code in picked_codes(event):
        if drill(level, code, scope, filters):
            return


def drill_table(
    frame: pl.DataFrame,
    key: str,
    lang: str,
    scope: Scope,
    filters: Filters,
    *,
    codes: Sequence[str | None],
    levels: Sequence[Level] | Level,
    kinds: dict[str, Kind] | None = None,
    rows: int | None = None,
    hide: Sequence[str] = (),
) -> None:
    """A table whose rows are units (``codes[i]`` of ``levels[i]``, or of one level): a click on a row
    opens its unit. Drawn by ``dashboards.exports.show_table`` (with its downloads)."""
    event = show_table(
        frame,
        key,
        lang,
        kinds=kinds,
        rows=rows,
        hide=hide,
        on_select="rerun",
        widget_key=f"table_{key}_{widget_token(filters)}",
    )
    selected = list(event["selection"]["rows"]) if event else []
    if selected and 0 <= selected[0] < len(codes):
        index = selected[0]
        level = levels if isinstance(levels, str) else levels[index]
        drill(level, codes[index], scope, filters)  # type: ignore[arg-type]


def _names(scope: Scope, filters: Filters, lang: str) -> list[tuple[str, Place]]:
    """The breadcrumb: (label, territory) from the country down to the current territory."""
    crumbs: list[tuple[str, Place]] = [(t("drill.country", lang), Place())]
    if filters.region:
        regions = enrollment.regions(scope=scope, region=filters.region)
        name = regions[f"name_{lang}"][0] if regions.height else filters.region
        crumbs.append((str(name), Place(filters.region)))
    if filters.province:
        provinces = enrollment.provinces(scope=scope, region=filters.region).filter(
            pl.col("province_code") == filters.province
        )
        name = provinces[f"name_{lang}"][0] if provinces.height else filters.province
        crumbs.append((str(name), Place(filters.region, filters.province)))
    if filters.school:
        schools = enrollment.schools(
            scope=scope, region=filters.region, province=filters.province, school=filters.school
        )
        name = schools[f"school_name_{lang}"][0] if schools.height else filters.school
        crumbs.append((f"{name} ({filters.school})", Place(filters.region, filters.province, filters.school)))
    return [(label, place) for label, place in crumbs if place.depth >= _scope_depth(scope)]


def breadcrumb(scope: Scope, filters: Filters, lang: str, *, hint: bool = True) -> None:
    """The territory shown, from the user's own territory down (each level a link back to it), with a
    "back up one level" button; ``hint`` adds how to go down (a click on the map, a bar or a row)."""
    crumbs = _names(scope, filters, lang)
    row = st.container(horizontal=True, gap="small", vertical_alignment="center", key="drill_breadcrumb")
    parent = crumbs[-2][1] if len(crumbs) > 1 else None
    row.button(
        t("drill.up", lang),
        key="drill_up",
        icon=":material/arrow_upward:",
        on_click=go_to,
        args=(parent,),
        disabled=parent is None,
        help=t("drill.up_help", lang),
    )
    separator = "‹" if is_rtl(lang) else "›"
    for index, (label, place) in enumerate(crumbs):
        if index:
            row.markdown(separator)
        if index == len(crumbs) - 1:
            row.markdown(f"**{label}**")
        else:
            row.button(label, key=f"drill_crumb_{index}", type="tertiary", on_click=go_to, args=(place,))
    if hint:
        st.caption(t("drill.hint", lang))
