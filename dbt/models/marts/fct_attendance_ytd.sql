{#-
    Year-to-date attendance measures per pupil and school year, derived without a pupil x day table:
    enrolled school days come from interval arithmetic on the pupil's stays (fct_enrollment_history)
    against dim_calendar.school_days_through; absent days from fct_absence_daily.
    As-of date: var('attendance_as_of_date') when set, else the last day of the year (clamped to it).
    Rules (docs/marts.md): absence_rate = absent days / enrolled school days; chronic when enrolled
    >= var('chronic_min_enrolled_days') and absence_rate >= var('chronic_threshold'); band from seed
    absence_bands; streaks are the longest runs of consecutive absent school days (all, justified
    only, unjustified only).
    Incremental by pupil (macros/incremental_partitions.sql): a run recomputes only the pupils whose
    absences changed in the lake batches not taken into account yet; a new enrollment, pupil, school or
    class batch recomputes every pupil.
-#}
{%- set changes = incremental_lake_changes(
    entities=['absences'],
    partition_by=['school_year', student_key('trim(student_code)')],
    whole_year_entities=['enrollments', 'pupils', 'schools', 'classes'],
    settings=var('pseudonym_salt') ~ '|' ~ var('chronic_threshold') ~ '|' ~ var('chronic_min_enrolled_days')
    ~ '|' ~ var('attendance_as_of_date', ''),
) -%}
{{ lake_incremental_config(partition_by=['school_year', 'student_key']) }}

with

history as (

    select * from {{ ref('fct_enrollment_history') }}

    where {{ lake_changes_in(changes, ['school_year', 'student_key']) }}

),

calendar as (

    select * from {{ ref('dim_calendar') }}

),

school_calendar as (

    select * from {{ ref('school_calendar') }}

),

absent_days as (

    select * from {{ ref('fct_absence_daily') }}

    where is_absent_day and {{ lake_changes_in(changes, ['school_year', 'student_key']) }}

),

bands as (

    select * from {{ ref('absence_bands') }}

),

enrollment as (

    select * from {{ ref('fct_enrollment') }}

    where {{ lake_changes_in(changes, ['school_year', 'student_key']) }}

),

periods as (

    -- each stay clamped to [first day, as-of date]
    select
        history.student_key,
        history.school_year,
        greatest(history.valid_from, school_calendar.first_day) as period_start,
        least(
            history.valid_to,
            {% if var('attendance_as_of_date', none) -%}
                least(school_calendar.last_day, cast('{{ var("attendance_as_of_date") }}' as date))
            {%- else -%}
                school_calendar.last_day
            {%- endif %}
        ) as period_end

    from history

    inner join school_calendar
        on history.school_year = school_calendar.school_year

),

enrolled as (

    select
        periods.student_key,
        periods.school_year,
        sum(
            case
                when periods.period_end < periods.period_start then 0
                else
                    end_day.school_days_through - start_day.school_days_through
                    + case when start_day.is_school_day then 1 else 0 end
            end
        ) as enrolled_school_days

    from periods

    inner join calendar as start_day
        on
            periods.school_year = start_day.school_year
            and periods.period_start = start_day.calendar_date

    inner join calendar as end_day
        on
            periods.school_year = end_day.school_year
            and periods.period_end = end_day.calendar_date

    group by periods.student_key, periods.school_year

),

absent_in_stay as (

    -- absent days inside the pupil's enrolled periods only (one row per pupil and date)
    select distinct
        absent_days.student_key,
        absent_days.school_year,
        absent_days.absence_date,
        absent_days.school_day_number,
        absent_days.is_justified_day

    from absent_days

    inner join periods
        on
            absent_days.student_key = periods.student_key
            and absent_days.school_year = periods.school_year
            and absent_days.absence_date between periods.period_start and periods.period_end

),

islands as (

    select
        *,
        school_day_number - row_number() over (
            partition by student_key, school_year order by school_day_number
        ) as any_island,
        school_day_number - row_number() over (
            partition by student_key, school_year, is_justified_day order by school_day_number
        ) as kind_island

    from absent_in_stay

),

streaks as (

    select
        student_key,
        school_year,
        max(any_length) as longest_absence_streak,
        max(case when is_justified_day then kind_length else 0 end) as longest_justified_streak,
        max(case when not is_justified_day then kind_length else 0 end) as longest_unjustified_streak,
        count(*) as absent_days,
        count(*) filter (where is_justified_day) as justified_absent_days

    from (
        select
            student_key,
            school_year,
            is_justified_day,
            count(*) over (partition by student_key, school_year, any_island) as any_length,
            count(*) over (
                partition by student_key, school_year, is_justified_day, kind_island
            ) as kind_length
        from islands
    ) as lengths

    group by student_key, school_year

),

measures as (

    select
        enrollment.student_key,
        enrollment.school_year,
        enrollment.region_code,
        enrollment.province_code,
        enrollment.school_code,
        enrollment.class_code,
        enrollment.level_code,
        enrollment.cycle_code,
        enrollment.sex,
        enrollment.sector,
        enrollment.area,
        cast(coalesce(enrolled.enrolled_school_days, 0) as integer) as enrolled_school_days,
        cast(coalesce(streaks.absent_days, 0) as integer) as absent_days,
        cast(coalesce(streaks.justified_absent_days, 0) as integer) as justified_absent_days,
        cast(coalesce(streaks.longest_absence_streak, 0) as integer) as longest_absence_streak,
        cast(coalesce(streaks.longest_justified_streak, 0) as integer) as longest_justified_streak,
        cast(coalesce(streaks.longest_unjustified_streak, 0) as integer) as longest_unjustified_streak

    from enrollment

    left join enrolled
        on
            enrollment.student_key = enrolled.student_key
            and enrollment.school_year = enrolled.school_year

    left join streaks
        on
            enrollment.student_key = streaks.student_key
            and enrollment.school_year = streaks.school_year

),

rated as (

    select
        *,
        case
            when enrolled_school_days > 0 then cast(absent_days as double) / enrolled_school_days
        end as absence_rate

    from measures

),

final as (

    select
        rated.*,
        1 - rated.absence_rate as attendance_rate,
        coalesce(
            rated.enrolled_school_days >= {{ var('chronic_min_enrolled_days') }}
            and rated.absence_rate >= {{ var('chronic_threshold') }},
            false
        ) as is_chronically_absent,
        case
            when rated.enrolled_school_days >= {{ var('chronic_min_enrolled_days') }} then bands.band_code
        end as attendance_band

    from rated

    left join bands
        on
            rated.absence_rate >= bands.min_absence_rate
            and rated.absence_rate < bands.max_absence_rate

)

select * from final
