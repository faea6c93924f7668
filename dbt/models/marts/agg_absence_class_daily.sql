{#-
    Daily absence per class, for the directorates' absence monitoring (docs: agg_absence_class_daily).
    One row per class and school day, from the first school day of the year up to the last school day
    loaded for the class's region (its last day with a roll call or an absence, int_attendance__class_days).
    pupils_enrolled counts the pupils whose stay (fct_enrollment_history) in the class covers the day,
    computed from entry/exit events and a running sum (no pupil x day table); pupils_absent counts
    the pupils absent that day under the day-absent rule (fct_absence_daily.is_absent_day), in the
    class of the day's first missed session.
    recording_status (codes of the code_recording_statuses seed) tells a day with no absence from a day not
    recorded, from the class's roll calls and absences of the day (int_attendance__class_days):
    no_file_received when the region sent no roll call nor absence at all that day, not_recorded when the
    class has neither, recorded_with_absences when it has an absence (an absence is a recorded roll call),
    else recorded_no_absence.
    Incremental, batch-driven like fct_absence_daily (macros/incremental_partitions.sql): a run rewrites
    the days of each school year from the earliest day that may have changed (macro
    delete_lake_changes_since): the earliest (school_year, absence_date) partition touched by new absence
    or roll-call batches, and, for a region whose last loaded day moved, the earlier of its old and new last day (the
    days in between appear or disappear). New batches of classes, schools or enrollments (class
    attributes, stays) rewrite everything. The running sum of a rewritten day starts from the events
    before the first rewritten day, so an incremental run gives exactly the rows of a full refresh.
-#}
{%- set changes = incremental_lake_changes(
    entities={
        'absences': ['school_year', 'absence_date'],
        'roll_calls': ['school_year', 'roll_call_date'],
    },
    partition_by=['school_year', 'absence_date'],
    settings=var('pseudonym_salt') ~ '|' ~ var('day_absent_min_session_share'),
    whole_year_entities=['classes', 'schools', 'enrollments'],
) -%}
{{ lake_incremental_config(
    delete_hook="{{ delete_lake_changes_since('calendar_date', ref('int_attendance__class_days'), 'calendar_date') }}"
) }}

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

rewritten as (

    -- per school year, the first day to (re)write: every day on a full build; on an incremental run the
    -- days from the bound the pre-hook computed (no row when nothing changed)
    {% if is_incremental() and lake_changes_tracked() -%}
        select
            school_year,
            from_date

        from {{ lake_changes_table('since') }}
    {%- else -%}
        select distinct
            school_year,
            cast('1900-01-01' as date) as from_date

        from calendar
    {%- endif %}

),

absence_days as (

    select * from {{ ref('fct_absence_daily') }}

),

loaded as (

    -- the last school day loaded per partition: its last day with a roll call or an absence (a day
    -- when nobody in the region was absent is loaded too)
    select
        school_year,
        region_code,
        max(calendar_date) as last_loaded_date

    from {{ ref('int_attendance__class_days') }}

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
        {{ add_days('valid_to', 1) }} as event_date,
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

    inner join rewritten
        on
            classes.school_year = rewritten.school_year
            and calendar.calendar_date >= rewritten.from_date

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

opening as (

    -- pupils in each class before the first rewritten day (0 on a full build): the events of the
    -- calendar's days before it
    select
        events_by_day.school_year,
        events_by_day.class_code,
        sum(events_by_day.delta) as pupils_before

    from events_by_day

    inner join calendar
        on
            events_by_day.school_year = calendar.school_year
            and events_by_day.event_date = calendar.calendar_date

    inner join rewritten
        on
            events_by_day.school_year = rewritten.school_year
            and events_by_day.event_date < rewritten.from_date

    group by events_by_day.school_year, events_by_day.class_code

),

enrolled as (

    select
        class_days.*,
        coalesce(opening.pupils_before, 0) + sum(coalesce(events_by_day.delta, 0)) over (
            partition by class_days.school_year, class_days.class_code
            order by class_days.calendar_date
            rows between unbounded preceding and current row
        ) as pupils_enrolled

    from class_days

    left join opening
        on
            class_days.school_year = opening.school_year
            and class_days.class_code = opening.class_code

    left join events_by_day
        on
            class_days.school_year = events_by_day.school_year
            and class_days.class_code = events_by_day.class_code
            and class_days.calendar_date = events_by_day.event_date

),

attendance as (

    select int_attendance.*

    from {{ ref('int_attendance__class_days') }} as int_attendance

    inner join rewritten
        on
            int_attendance.school_year = rewritten.school_year
            and int_attendance.calendar_date >= rewritten.from_date

),

received as (

    -- the region-days with at least one roll call or absence: a file of that day arrived
    select distinct
        school_year,
        region_code,
        calendar_date

    from attendance

),

absent as (

    select
        absence_days.school_year,
        absence_days.class_code,
        absence_days.absence_date,
        count(*) filter (where absence_days.is_absent_day) as pupils_absent,
        count(*) filter (
            where absence_days.is_absent_day and absence_days.is_justified_day
        ) as pupils_absent_justified,
        count(*) as pupils_with_missed_session,
        sum(absence_days.sessions_missed) as sessions_missed

    from absence_days

    inner join rewritten
        on
            absence_days.school_year = rewritten.school_year
            and absence_days.absence_date >= rewritten.from_date

    group by absence_days.school_year, absence_days.class_code, absence_days.absence_date

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
        end as absence_rate,
        cast(coalesce(attendance.half_days_recorded, 0) as bigint) as half_days_recorded,
        case
            when received.region_code is null then 'no_file_received'
            when coalesce(absent.pupils_with_missed_session, 0) > 0 then 'recorded_with_absences'
            when coalesce(attendance.half_days_recorded, 0) > 0 then 'recorded_no_absence'
            else 'not_recorded'
        end as recording_status

    from enrolled

    left join absent
        on
            enrolled.school_year = absent.school_year
            and enrolled.class_code = absent.class_code
            and enrolled.calendar_date = absent.absence_date

    left join attendance
        on
            enrolled.school_year = attendance.school_year
            and enrolled.class_code = attendance.class_code
            and enrolled.calendar_date = attendance.calendar_date

    left join received
        on
            enrolled.school_year = received.school_year
            and enrolled.region_code = received.region_code
            and enrolled.calendar_date = received.calendar_date

    where enrolled.is_school_day

)

-- stored in date order within each partition: DuckDB's zone maps then skip the row groups of other days
-- when a page asks for one day or one week
select * from final
order by school_year, region_code, calendar_date, province_code, school_code, class_code
