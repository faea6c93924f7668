{{ config(materialized='table', database='restricted', schema='serving') }}

with

pupils as (

    select * from {{ ref('lookup_pupil') }}

),

identity as (

    select * from {{ ref('student_identity') }}

),

days as (

    select * from {{ ref('fct_absence_daily') }}

),

calendar as (

    select * from {{ ref('dim_calendar') }}

),

final as (

    select
        pupils.student_code,
        days.absence_date,
        calendar.semester,
        days.sessions_missed as sessions,
        days.sessions_justified,
        days.sessions_justified = days.sessions_missed as justified

    from pupils

    inner join identity
        on pupils.student_code = identity.student_code

    inner join days
        on
            identity.student_key = days.student_key
            and pupils.school_year = days.school_year

    left join calendar
        on
            days.school_year = calendar.school_year
            and days.absence_date = calendar.calendar_date

)

select * from final
