{#-
    Daily absence per class, for the directorates' absence monitoring (docs: agg_absence_class_daily).
    One row per class and school day, from the first school day of the year up to the last school day
    loaded for the class's region (last absence date of the region in fct_absence_daily).
    pupils_enrolled counts the pupils whose stay (fct_enrollment_history) in the class covers the day,
    computed from entry/exit events and a running sum (no pupil x day table); pupils_absent counts
    the pupils absent that day under the day-absent rule (fct_absence_daily.is_absent_day), in the
    class of the day's first missed session.
    Incremental like fct_absence_daily: only lake partitions (school_year, region_code) whose rows
    changed are rewritten, so corrections apply and an incremental run equals a full refresh.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['school_year', 'region_code'],
        on_schema_change='fail',
        pre_hook="{{ delete_vanished_partitions(ref('stg_massar__absences'), ['school_year', 'region_code']) }}",
    )
}}

with

history as (

    select * from {{ ref('fct_enrollment_history') }}

),

classes as (

    select * from {{ ref('dim_class') }}

),

calendar as (

    select * from {{ ref('dim_calendar') }}

),

absence_days as (

    select * from {{ ref('fct_absence_daily') }}

),

loaded as (

    -- the last school day loaded per partition: its last day with an absence recorded
    select
        school_year,
        region_code,
        max(absence_date) as last_loaded_date

    from absence_days

    group by school_year, region_code

),

stay_events as (

    -- +1 on the first day of a stay, -1 on the day after its last day
    select
        school_year,
        class_code,
        valid_from as event_date,
        1 as delta

    from history

    where class_code is not null

    union all

    select
        school_year,
        class_code,
        cast(valid_to + interval 1 day as date) as event_date,
        -1 as delta

    from history

    where class_code is not null and valid_to is not null

),

class_days as (

    select
        classes.school_year,
        classes.region_code,
        classes.province_code,
        classes.school_code,
        classes.class_code,
        classes.level_code,
        calendar.calendar_date,
        calendar.school_day_number,
        calendar.is_school_day,
        loaded.last_loaded_date

    from classes

    inner join loaded
        on
            classes.school_year = loaded.school_year
            and classes.region_code = loaded.region_code

    inner join calendar
        on
            classes.school_year = calendar.school_year
            and loaded.last_loaded_date >= calendar.calendar_date

),

first_days as (

    select
        school_year,
        min(calendar_date) as first_date

    from calendar

    group by school_year

),

events_by_day as (

    -- events dated before the calendar's first day count on its first day
    select
        stay_events.school_year,
        stay_events.class_code,
        greatest(stay_events.event_date, first_days.first_date) as event_date,
        sum(stay_events.delta) as delta

    from stay_events

    inner join first_days
        on stay_events.school_year = first_days.school_year

    group by
        stay_events.school_year,
        stay_events.class_code,
        greatest(stay_events.event_date, first_days.first_date)

),

enrolled as (

    select
        class_days.*,
        sum(coalesce(events_by_day.delta, 0)) over (
            partition by class_days.school_year, class_days.class_code
            order by class_days.calendar_date
            rows between unbounded preceding and current row
        ) as pupils_enrolled

    from class_days

    left join events_by_day
        on
            class_days.school_year = events_by_day.school_year
            and class_days.class_code = events_by_day.class_code
            and class_days.calendar_date = events_by_day.event_date

),

absent as (

    select
        school_year,
        class_code,
        absence_date,
        count(*) filter (where is_absent_day) as pupils_absent,
        count(*) filter (where is_absent_day and is_justified_day) as pupils_absent_justified,
        count(*) as pupils_with_missed_session,
        sum(sessions_missed) as sessions_missed

    from absence_days

    group by school_year, class_code, absence_date

),

final as (

    select
        enrolled.school_year,
        enrolled.calendar_date,
        enrolled.region_code,
        enrolled.province_code,
        enrolled.school_code,
        enrolled.class_code,
        enrolled.level_code,
        enrolled.school_day_number,
        cast(enrolled.pupils_enrolled as bigint) as pupils_enrolled,
        cast(coalesce(absent.pupils_absent, 0) as bigint) as pupils_absent,
        cast(coalesce(absent.pupils_absent_justified, 0) as bigint) as pupils_absent_justified,
        cast(coalesce(absent.pupils_with_missed_session, 0) as bigint) as pupils_with_missed_session,
        cast(coalesce(absent.sessions_missed, 0) as bigint) as sessions_missed,
        case
            when enrolled.pupils_enrolled > 0
                then cast(coalesce(absent.pupils_absent, 0) as double) / enrolled.pupils_enrolled
        end as absence_rate

    from enrolled

    left join absent
        on
            enrolled.school_year = absent.school_year
            and enrolled.class_code = absent.class_code
            and enrolled.calendar_date = absent.absence_date

    where enrolled.is_school_day

),

changed_partitions as (

    -- all partitions on a full build; on an incremental run, those whose rows changed
    {{ changed_partitions('final', ['school_year', 'region_code']) }}

),

selected as (

    select final.*

    from final

    inner join changed_partitions
        on
            final.school_year = changed_partitions.school_year
            and final.region_code = changed_partitions.region_code

)

-- stored in date order within each partition: DuckDB's zone maps then skip the row groups of other days
-- when a page asks for one day or one week
select * from selected
order by school_year, region_code, calendar_date, province_code, school_code, class_code
