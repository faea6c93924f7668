"""Drill-down units shared by the indicators, grades and resources queries (constant SQL fragments).

A territory (``dashboards.scope.Territory``) is broken down one level further: the country by region, a
region by province, a province by school; a school stays itself. The unit column is chosen from a fixed
map, never from a value.
"""

from __future__ import annotations

from typing import Final, Literal

from dashboards.scope import Territory

UnitLevel = Literal["region", "province", "school"]

UNIT_COLUMN: Final[dict[UnitLevel, str]] = {
    "region": "region_code",
    "province": "province_code",
    "school": "school_code",
}

#: ``unit_code, unit_name_fr, unit_name_ar`` of every unit of a level
UNIT_NAMES: Final[dict[UnitLevel, str]] = {
    "region": "select region_code as unit_code, name_fr as unit_name_fr, name_ar as unit_name_ar "
    "from reference.code_regions",
    "province": "select province_code as unit_code, name_fr as unit_name_fr, name_ar as unit_name_ar "
    "from reference.code_provinces",
    "school": "select school_code as unit_code, school_name_fr as unit_name_fr, "
    "school_name_ar as unit_name_ar from marts.dim_school",
}


def unit_level(territory: Territory) -> UnitLevel:
    """The level one step below the territory (a school stays a school)."""
    if territory.province_code is not None:
        return "school"
    if territory.region_code is not None:
        return "province"
    return "region"


def by_unit_sql(source: str, level: UnitLevel, measures: str) -> str:
    """Constant SQL: ``measures`` per unit of ``level`` over the rows of ``source`` (a query whose ``?``
    come first), with the units' names: ``level, unit_code, unit_name_fr, unit_name_ar, <measures>``,
    by unit code. One more parameter follows the source's: the level itself."""
    column = UNIT_COLUMN[level]
    return f"""
        with src as ({source}),
        names as ({UNIT_NAMES[level]}),
        units as (select src.{column} as unit_code, {measures} from src group by src.{column})
        select ? as level, u.unit_code,
            coalesce(n.unit_name_fr, u.unit_code) as unit_name_fr,
            coalesce(n.unit_name_ar, u.unit_code) as unit_name_ar,
            u.* exclude (unit_code)
        from units as u
        left join names as n on u.unit_code = n.unit_code
        order by u.unit_code
    """
