"""Breakdowns shared by the domain queries (constant SQL fragments, never values).

A domain page shows its measures per code of a code list (programme, stream, room type…), per region or
per province. A *group* says how: ``(key column, join that brings the labels as ref, label prefix)``;
labels are ``ref.<prefix>_fr`` / ``ref.<prefix>_ar``. The domain marts are aggregated down to the
province (no school column); a school user is served from the pupil- or room-grain facts narrowed to the
school, with the same columns (:func:`school_or_aggregate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from dashboards.scope import Territory

#: (key column, labels' join, label prefix)
Group = tuple[str, str, str]

GEO_GROUPS: Final[dict[str, Group]] = {
    "region": (
        "region_code",
        "left join reference.code_regions as ref on ref.region_code = src.region_code",
        "name",
    ),
    "province": (
        "province_code",
        "left join reference.code_provinces as ref on ref.province_code = src.province_code",
        "name",
    ),
}

#: a breakdown by school, for the domain marts kept at school grain
SCHOOL_GROUP: Final[Group] = (
    "school_code",
    "left join marts.dim_school as ref on ref.school_code = src.school_code",
    "school_name",
)

#: filter of an aggregate domain mart by region and province (5 params: Territory.params()[:4], school)
AGG_TERRITORY_WHERE: Final[str] = """
    (cast(? as varchar) is null or region_code = ?)
    and (cast(? as varchar) is null or province_code = ?)
    and cast(? as varchar) is null
"""


def code_list_group(column: str, seed: str) -> Group:
    """A breakdown by the codes of ``column``, labelled by the crosswalk seed ``reference.<seed>``."""
    return (column, f"left join reference.{seed} as ref on ref.{column} = src.{column}", "label")


def pick(groups: Mapping[str, Group], by: str) -> Group:
    """The group of breakdown ``by``; ``ValueError`` for a breakdown the query does not offer."""
    if by not in groups:
        raise ValueError(f"unknown breakdown {by!r}; expected one of {sorted(groups)}")
    return groups[by]


def school_or_aggregate(
    territory: Territory, school_source: str, aggregate_source: str
) -> tuple[str, tuple[object, ...]]:
    """The school-grain source (filtered by ``TERRITORY_WHERE``) for a school, else the aggregate mart
    (filtered by :data:`AGG_TERRITORY_WHERE`), with their parameters."""
    params = territory.params()
    if territory.school_code is not None:
        return school_source, params
    return aggregate_source, (*params[:4], territory.school_code)


def breakdown_sql(source: str, group: Group, measures: str, where: str) -> str:
    """Measures per code of ``group`` over ``source`` rows matching ``where``: ``code, label_fr,
    label_ar, <measures>``, ordered by code."""
    key, join, label = group
    return f"""
        with src as ({source})
        select src.{key} as code, any_value(ref.{label}_fr) as label_fr,
            any_value(ref.{label}_ar) as label_ar, {measures}
        from src {join}
        where {where}
        group by src.{key}
        order by src.{key}
    """
