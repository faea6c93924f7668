"""Infrastructure: rooms, seats and weekly occupancy (``marts.agg_classroom_occupancy``, ``dim_classroom``).

Region and province views read the aggregate mart; a school's view reads its rooms in ``dim_classroom``
(room grain, narrowed to one school). Occupancy is the weighted rate 100 × Σ occupied slots / Σ available
slots over usable teaching rooms (see the mart's doc block). ``classrooms`` counts every room (all types,
all statuses); ``counted_classrooms`` the usable classrooms of the resource indicators
(``dim_classroom.is_classroom``), the same count as ``marts.agg_school_capacity.classrooms``.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from dashboards.data_access._breakdowns import (
    AGG_TERRITORY_WHERE,
    GEO_GROUPS,
    Group,
    breakdown_sql,
    code_list_group,
    pick,
    school_or_aggregate,
)
from dashboards.data_access._core import run as _run
from dashboards.scope import TERRITORY_WHERE, Scope

Breakdown = Literal["region", "province", "room_type"]

# Constant SQL: the territory filter of the aggregate mart (no school column there) and the same columns
# from the room-grain mart for a school.
_AGG_SOURCE = f"""
    select school_year, region_code, province_code, room_type, classrooms, usable_classrooms,
        counted_classrooms, out_of_service_classrooms, needs_repair_classrooms, prefabricated_classrooms,
        usable_seats, occupied_slots, available_slots
    from marts.agg_classroom_occupancy
    where {AGG_TERRITORY_WHERE}
"""
_SCHOOL_SOURCE = f"""
    select school_year, region_code, province_code, room_type,
        1 as classrooms,
        case when is_usable then 1 else 0 end as usable_classrooms,
        case when is_classroom then 1 else 0 end as counted_classrooms,
        case when is_usable then 0 else 1 end as out_of_service_classrooms,
        case when is_usable and needs_repair then 1 else 0 end as needs_repair_classrooms,
        case when is_prefabricated then 1 else 0 end as prefabricated_classrooms,
        case when is_usable then capacity else 0 end as usable_seats,
        case when is_usable and is_teaching_room then occupied_slots else 0 end as occupied_slots,
        case when is_usable and is_teaching_room then week_slots else 0 end as available_slots
    from marts.dim_classroom
    where {TERRITORY_WHERE}
        and school_code is not null
"""
_MEASURES = """
    sum(classrooms)::bigint as classrooms,
    sum(usable_classrooms)::bigint as usable_classrooms,
    sum(counted_classrooms)::bigint as counted_classrooms,
    sum(out_of_service_classrooms)::bigint as out_of_service_classrooms,
    sum(needs_repair_classrooms)::bigint as needs_repair_classrooms,
    sum(prefabricated_classrooms)::bigint as prefabricated_classrooms,
    sum(usable_seats)::bigint as usable_seats,
    sum(occupied_slots)::bigint as occupied_slots,
    sum(available_slots)::bigint as available_slots,
    100.0 * sum(occupied_slots) / nullif(sum(available_slots), 0) as occupancy_rate
"""
_GROUPS: dict[str, Group] = {
    "room_type": code_list_group("room_type", "code_classroom_types"),
    **GEO_GROUPS,
}


def summary(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> dict[str, float | int | None]:
    """Totals of the territory: rooms by status, usable classrooms (``counted_classrooms``), prefabricated
    rooms, usable seats, occupancy (%)."""
    territory = scope.territory(region, province, school)
    source, params = school_or_aggregate(territory, _SCHOOL_SOURCE, _AGG_SOURCE)
    df = _run(
        f"with src as ({source}) select {_MEASURES} from src where school_year = ?", *params, school_year
    )
    return df.row(0, named=True)


def breakdown(
    school_year: str,
    by: Breakdown = "region",
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The measures of :func:`summary` per region, province or room type: ``code, label_fr, label_ar,
    classrooms, usable_classrooms, counted_classrooms, out_of_service_classrooms, needs_repair_classrooms,
    prefabricated_classrooms, usable_seats, occupied_slots, available_slots, occupancy_rate``."""
    group = pick(_GROUPS, by)
    territory = scope.territory(region, province, school)
    source, params = school_or_aggregate(territory, _SCHOOL_SOURCE, _AGG_SOURCE)
    return _run(
        breakdown_sql(source, group, _MEASURES, "src.school_year = ?"),
        *params,
        school_year,
    )


def rooms(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The rooms of one school (empty without a school): ``classroom_code, room_type, type_fr, type_ar,
    operating_status, status_fr, status_ar, capacity, building_code, construction_type, built_year,
    occupied_slots, week_slots, occupancy_rate``."""
    territory = scope.territory(region, None, school)
    return _run(
        """
        select c.classroom_code, c.room_type, t.label_fr as type_fr, t.label_ar as type_ar,
            c.operating_status, s.label_fr as status_fr, s.label_ar as status_ar, c.capacity,
            c.building_code, c.construction_type, c.built_year, c.occupied_slots, c.week_slots,
            c.occupancy_rate
        from marts.dim_classroom as c
        left join reference.code_classroom_types as t on t.room_type = c.room_type
        left join reference.code_classroom_statuses as s on s.operating_status = c.operating_status
        where c.school_year = ?
            and cast(? as varchar) is not null
            and c.school_code = ?
            and (cast(? as varchar) is null or c.region_code = ?)
        order by c.classroom_code
        """,
        school_year,
        territory.school_code,
        territory.school_code,
        territory.region_code,
        territory.region_code,
    )
