"""The territory filters every page shares: school year, region, province, school, kept in the URL.

``territory_filters(scope, lang)`` draws them in the sidebar and returns the chosen :class:`Filters`.
Each filter is a selectbox bound to a query-string parameter (``?year=2025-2026&region=01&province=01.511
&school=...``), so a view can be shared as a link. Choices are limited to the user's scope: a region user
has no region choice (their region is fixed), a province user none for the province, a school user sees
only their school. A URL naming a territory outside the scope, or a province outside the chosen region,
falls back to "all" (the data-access layer would refuse it anyway). A click on a map, a bar or a table
row (``dashboards.drill``) sets these filters too, before they are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

from dashboards.data_access import enrollment
from dashboards.drill import apply_pending
from dashboards.i18n import t
from dashboards.scope import Scope
from dashboards.ui import url_selectbox

Depth = Literal["year", "region", "province", "school"]
_DEPTHS: tuple[Depth, ...] = ("year", "region", "province", "school")


@dataclass(frozen=True)
class Filters:
    """The chosen territory and year; ``None`` at a level means everything the scope sees there."""

    school_year: str
    region: str | None = None
    province: str | None = None
    school: str | None = None

    @property
    def level(self) -> Literal["national", "region", "province", "school"]:
        """The finest level chosen: what a drill-down table should break down next."""
        if self.school:
            return "school"
        if self.province:
            return "province"
        if self.region:
            return "region"
        return "national"

    def query_kwargs(self) -> dict[str, str | None]:
        """Keyword arguments for a data-access function: ``region=, province=, school=``."""
        return {"region": self.region, "province": self.province, "school": self.school}


def territory_filters(
    scope: Scope,
    lang: str,
    *,
    depth: Depth = "school",
    container: Any = None,
    default_year: str | None = None,
) -> Filters | None:
    """Draw the filters (sidebar by default) down to ``depth``; ``None`` when the scope has no data.

    The school year defaults to the latest one, or to ``default_year`` when it is one of the years.

    Raises ``dashboards.data_access.NoPublishedWarehouse`` when nothing is published.
    """
    target = container if container is not None else st.sidebar
    apply_pending(scope)  # a click on a map, a bar or a row asked for a territory (dashboards.drill)
    years = enrollment.school_years(scope=scope)
    if not years:
        return None
    year = url_selectbox(
        t("filter.school_year", lang),
        years,
        param="year",
        to_url=lambda y: y,
        format_func=lambda y: y,
        default_index=years.index(default_year) if default_year in years else 0,
        container=target,
    )
    stop = _DEPTHS.index(depth)
    all_label = t("filter.all", lang)

    region = scope.region_code
    if stop >= 1 and scope.is_national:
        regions = enrollment.regions(scope=scope)
        region_names = dict(
            zip(regions["region_code"].to_list(), regions[f"name_{lang}"].to_list(), strict=True)
        )
        region = url_selectbox(
            t("filter.region", lang),
            [None, *region_names],
            param="region",
            to_url=lambda code: code,
            format_func=lambda code: all_label if code is None else f"{code} · {region_names[code]}",
            container=target,
        )

    province = scope.province_code
    if stop >= 2 and region is not None and scope.province_code is None:
        provinces = enrollment.provinces(scope=scope, region=region)
        province_names = dict(
            zip(provinces["province_code"].to_list(), provinces[f"name_{lang}"].to_list(), strict=True)
        )
        province = url_selectbox(
            t("filter.province", lang),
            [None, *province_names],
            param="province",
            to_url=lambda code: code,
            format_func=lambda code: all_label if code is None else province_names[code],
            container=target,
        )

    school = scope.school_code
    if stop >= 3 and province is not None and scope.school_code is None:
        schools = enrollment.schools(scope=scope, region=region, province=province)
        school_names = dict(
            zip(schools["school_code"].to_list(), schools[f"school_name_{lang}"].to_list(), strict=True)
        )
        school = url_selectbox(
            t("filter.school", lang),
            [None, *school_names],
            param="school",
            to_url=lambda code: code,
            format_func=lambda code: all_label if code is None else f"{school_names[code]} ({code})",
            container=target,
        )
    _drop_deeper_params(stop, region, province)
    return Filters(school_year=year, region=region, province=province, school=school)


def _drop_deeper_params(stop: int, region: str | None, province: str | None) -> None:
    """Remove URL parameters that no longer apply (a province after the region was cleared, ...)."""
    stale = []
    if region is None or stop < 2:
        stale.append("province")
    if province is None or stop < 3:
        stale.append("school")
    for param in stale:
        if param in st.query_params:
            del st.query_params[param]


def cycle_filter(
    labels: dict[str, str],
    lang: str,
    *,
    param: str,
    all_key: str | None = None,
    default: str | None = None,
) -> str | None:
    """A cycle selectbox a quarter of the page wide, kept in the URL (``?<param>=``): the cycles of
    ``labels`` (code -> label), preceded by "all cycles" (``None``, labelled by ``all_key``) when given;
    it opens on ``default`` when that is one of them."""
    options: list[str | None] = [None, *labels] if all_key else list(labels)
    left, _ = st.columns([1, 3])
    return url_selectbox(
        t("filter.cycle", lang),
        options,
        param=param,
        to_url=lambda c: c,
        format_func=lambda c: t(all_key, lang) if c is None and all_key else labels.get(c, c),  # type: ignore[arg-type]
        default_index=options.index(default) if default in options else 0,
        container=left,
    )
