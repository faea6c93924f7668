{#-
    One row per calendar date from the first to the last day of classes of each school year (seed
    school_calendar). A school day is a Monday-Saturday that is not a holiday (seed school_holidays);
    Saturdays hold the morning sessions only (day_session_share 0.5). school_day_number numbers the
    school days of the year (1, 2, ...) and school_days_through counts those up to the date: the
    school days of an interval [a, b] are school_days_through(b) - school_days_through(a - 1), the
    interval arithmetic used instead of a pupil x day table.
-#}

with

calendar as (

    select * from {{ ref('school_calendar') }}

),

holidays as (

    select * from {{ ref('school_holidays') }}

),

dates as (

    select
        school_year,
        semester2_start,
        {{ date_series('first_day', 'last_day') }} as calendar_date

    from calendar

),

flagged as (

    select
        dates.school_year,
        dates.calendar_date,
        cast({{ iso_weekday('dates.calendar_date') }} as integer) as iso_weekday,
        case when dates.calendar_date < dates.semester2_start then 1 else 2 end as semester,
        holidays.holiday_date is not null as is_holiday,
        holidays.label_fr as holiday_label_fr,
        holidays.label_ar as holiday_label_ar,
        {{ iso_weekday('dates.calendar_date') }} != 7 and holidays.holiday_date is null as is_school_day

    from dates

    left join holidays
        on
            dates.school_year = holidays.school_year
            and dates.calendar_date = holidays.holiday_date

),

final as (

    select
        school_year,
        calendar_date,
        iso_weekday,
        semester,
        is_holiday,
        holiday_label_fr,
        holiday_label_ar,
        is_school_day,
        case
            when not is_school_day then cast(0 as double)
            when iso_weekday = 6 then cast(0.5 as double)
            else cast(1 as double)
        end as day_session_share,
        cast(
            sum(case when is_school_day then 1 else 0 end) over (
                partition by school_year
                order by calendar_date
                rows between unbounded preceding and current row
            ) as integer
        ) as school_days_through,
        case
            when is_school_day
                then cast(
                        sum(case when is_school_day then 1 else 0 end) over (
                            partition by school_year
                            order by calendar_date
                            rows between unbounded preceding and current row
                        ) as integer
                    )
        end as school_day_number

    from flagged

)

select * from final
