{#-
    One row per pupil and day with at least one missed session (days without any absence are not
    stored: "positive fill", every other enrolled school day is a present day).
    The day is absent when the missed sessions reach var('day_absent_min_session_share') of the
    day's sessions: levels.sessions_per_day, times dim_calendar.day_session_share (0.5 on Saturdays,
    morning sessions only). A day is justified when every missed session of the day is.
    Incremental like fct_absence: only lake partitions (school_year, region_code) whose rows changed
    are rewritten, so corrections and deletions apply and an incremental run equals a full refresh.
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

sessions as (

    select * from {{ ref('fct_absence_session') }}

),

levels as (

    select * from {{ ref('levels') }}

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
        arg_min(school_code, session_number) as school_code,
        arg_min(class_code, session_number) as class_code,
        arg_min(level_code, session_number) as level_code,
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

select * from selected
