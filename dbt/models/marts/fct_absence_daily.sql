{#-
    One row per pupil and day with at least one missed session (days without any absence are not
    stored: "positive fill", every other enrolled school day is a present day).
    The day is absent when the missed sessions reach var('day_absent_min_session_share') of the
    day's sessions: levels.sessions_per_day, times dim_calendar.day_session_share (0.5 on Saturdays,
    morning sessions only). A day is justified when every missed session of the day is.
    Incremental like fct_absence: only the (school_year, absence_date) partitions touched by new lake
    batches are rewritten (a new classes batch rewrites everything: the day's level comes from the
    class), so corrections and deletions apply and an incremental run equals a full refresh.
-#}
{%- set partition_by = ['school_year', 'absence_date'] -%}
{%- set changes = incremental_lake_changes(
    entities=['absences'],
    partition_by=partition_by,
    settings=var('pseudonym_salt') ~ '|' ~ var('day_absent_min_session_share'),
    whole_year_entities=['classes'],
) -%}
{{ lake_incremental_config(partition_by=partition_by) }}

with

sessions as (

    select * from {{ ref('fct_absence_session') }}

    where {{ lake_changes_filter(changes, partition_by, {'absence_date': 'date'}) }}

),

levels as (

    select * from {{ ref('code_levels') }}

),

calendar as (

    select * from {{ ref('dim_calendar') }}

),

per_day as (

    select
        student_key,
        school_year,
        region_code,
        absence_date,
        -- the class of the day's first missed session
        {{ value_at_min('school_code', 'session_number') }} as school_code,
        {{ value_at_min('class_code', 'session_number') }} as class_code,
        {{ value_at_min('level_code', 'session_number') }} as level_code,
        count(*) as sessions_missed,
        count(*) filter (where justified) as sessions_justified

    from sessions

    group by student_key, school_year, region_code, absence_date

),

final as (

    select
        per_day.student_key,
        per_day.school_year,
        per_day.region_code,
        per_day.absence_date,
        per_day.school_code,
        per_day.class_code,
        per_day.level_code,
        calendar.school_day_number,
        per_day.sessions_missed,
        per_day.sessions_justified,
        cast(levels.sessions_per_day * calendar.day_session_share as double) as sessions_of_day,
        coalesce(
            per_day.sessions_missed
            >= {{ var('day_absent_min_session_share') }}
            * levels.sessions_per_day
            * calendar.day_session_share,
            false
        ) and coalesce(calendar.is_school_day, false) as is_absent_day,
        per_day.sessions_justified = per_day.sessions_missed as is_justified_day

    from per_day

    left join levels
        on per_day.level_code = levels.level_code

    left join calendar
        on
            per_day.school_year = calendar.school_year
            and per_day.absence_date = calendar.calendar_date

)

select * from final
