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
    "from reference.regions",
    "province": "select province_code as unit_code, name_fr as unit_name_fr, name_ar as unit_name_ar "
    "from reference.provinces",
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
