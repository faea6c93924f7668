{#-
    Rooms, seats and weekly occupancy by school year x region x province x sector x area x cycle x room
    type (doc block agg_classroom_occupancy). Occupancy counts usable teaching rooms only.
-#}

with

classrooms as (

    select * from {{ ref('dim_classroom') }}

),

final as (

    select
        school_year,
        region_code,
        province_code,
        sector,
        area,
        cycle_code,
        room_type,
        count(*) as classrooms,
        count(*) filter (where is_usable) as usable_classrooms,
        count(*) filter (where is_classroom) as counted_classrooms,
        count(*) filter (where not is_usable) as out_of_service_classrooms,
        count(*) filter (where is_usable and needs_repair) as needs_repair_classrooms,
        count(*) filter (where is_prefabricated) as prefabricated_classrooms,
        count(*) filter (where in_timetable) as timetabled_classrooms,
        cast(coalesce(sum(capacity) filter (where is_usable), 0) as bigint) as usable_seats,
        cast(coalesce(sum(occupied_slots) filter (where is_usable and is_teaching_room), 0) as bigint)
            as occupied_slots,
        cast(coalesce(sum(week_slots) filter (where is_usable and is_teaching_room), 0) as bigint)
            as available_slots,
        100.0
        * sum(occupied_slots) filter (where is_usable and is_teaching_room)
        / nullif(sum(week_slots) filter (where is_usable and is_teaching_room), 0) as occupancy_rate

    from classrooms

    group by school_year, region_code, province_code, sector, area, cycle_code, room_type

)

select * from final
