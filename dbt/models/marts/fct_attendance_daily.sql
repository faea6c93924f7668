{#-
    Pupil x school day attendance, as a VIEW (never materialized: about 1.5 billion rows a year at
    national scale). Every school day of the year for each pupil-year: 'not_enrolled' outside the
    pupil's stays (before entry, after exit), 'absent' on an absent day (fct_absence_daily), else
    'present' ("positive fill"). Query it for one pupil, class or short period; rates come from
    fct_attendance_ytd, which is computed by interval arithmetic instead.
-#}
{{ config(materialized='view') }}

with

calendar as (

    select * from {{ ref('dim_calendar') }}

    where is_school_day

),

history as (

    select * from {{ ref('fct_enrollment_history') }}

),

pupil_years as (

    select distinct
        student_key,
        school_year

    from history

),

absent_days as (

    select * from {{ ref('fct_absence_daily') }}

    where is_absent_day

),

days as (

    select
        pupil_years.student_key,
        pupil_years.school_year,
        calendar.calendar_date,
        calendar.school_day_number

    from pupil_years

    inner join calendar
        on pupil_years.school_year = calendar.school_year

),

final as (

    select
        days.student_key,
        days.school_year,
        days.calendar_date,
        days.school_day_number,
        history.school_code,
        history.class_code,
        case
            when history.student_key is null then 'not_enrolled'
            when absent_days.student_key is not null then 'absent'
            else 'present'
        end as attendance_status,
        coalesce(absent_days.is_justified_day, false) as is_justified_absence

    from days

    left join history
        on
            days.student_key = history.student_key
            and days.school_year = history.school_year
            and days.calendar_date between history.valid_from and history.valid_to

    left join absent_days
        on
            days.student_key = absent_days.student_key
            and days.school_year = absent_days.school_year
            and days.calendar_date = absent_days.absence_date

)

select * from final
