{#-
    One row per room of a school and school year: type, status, capacity, building, and its weekly
    occupancy from the timetables (doc block dim_classroom).
-#}

with

classrooms as (

    select * from {{ ref('stg_massar__classrooms') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

timetables as (

    select * from {{ ref('stg_massar__timetables') }}

    where classroom_code is not null

),

room_types as (

    select * from {{ ref('code_classroom_types') }}

),

statuses as (

    select * from {{ ref('code_classroom_statuses') }}

),

constructions as (

    select * from {{ ref('code_construction_types') }}

),

school_slots as (

    -- the school's teaching week: the distinct weekday x session slots its timetable uses
    select distinct
        school_year,
        school_code,
        weekday,
        session_number

    from {{ ref('stg_massar__timetables') }}

),

school_week as (

    select
        school_year,
        school_code,
        count(*) as week_slots

    from school_slots

    group by school_year, school_code

),

room_slots as (

    select
        school_year,
        school_code,
        classroom_code,
        weekday,
        session_number,
        count(*) as sessions

    from timetables

    group by school_year, school_code, classroom_code, weekday, session_number

),

room_use as (

    select
        school_year,
        school_code,
        classroom_code,
        sum(sessions) as weekly_sessions,
        count(*) as occupied_slots

    from room_slots

    group by school_year, school_code, classroom_code

),

final as (

    select
        classrooms.school_year,
        classrooms.school_code,
        classrooms.classroom_code,
        classrooms.region_code,
        schools.province_code,
        schools.sector,
        schools.area,
        schools.cycle_code,
        classrooms.room_type,
        room_types.is_teaching_room,
        classrooms.operating_status,
        statuses.is_usable,
        statuses.needs_repair,
        coalesce(room_types.is_classroom and statuses.is_usable, false) as is_classroom,
        classrooms.capacity,
        classrooms.area_m2,
        classrooms.building_code,
        classrooms.construction_type,
        constructions.is_temporary as is_prefabricated,
        classrooms.built_year,
        room_use.classroom_code is not null as in_timetable,
        cast(coalesce(room_use.weekly_sessions, 0) as bigint) as weekly_sessions,
        coalesce(room_use.occupied_slots, 0) as occupied_slots,
        coalesce(school_week.week_slots, 0) as week_slots,
        100.0 * coalesce(room_use.occupied_slots, 0) / nullif(school_week.week_slots, 0) as occupancy_rate

    from classrooms

    left join schools
        on classrooms.school_year = schools.school_year and classrooms.school_code = schools.school_code

    left join room_types on classrooms.room_type = room_types.room_type

    left join statuses on classrooms.operating_status = statuses.operating_status

    left join constructions on classrooms.construction_type = constructions.construction_type

    left join room_use
        on
            classrooms.school_year = room_use.school_year
            and classrooms.school_code = room_use.school_code
            and classrooms.classroom_code = room_use.classroom_code

    left join school_week
        on
            classrooms.school_year = school_week.school_year
            and classrooms.school_code = school_week.school_code

)

select * from final
