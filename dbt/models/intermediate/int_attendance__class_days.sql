{#-
    What each class recorded per school day, kept small (classes x days with a roll call or an absence,
    not the absence sessions): the half-days whose roll call was taken (stg_massar__roll_calls) and the
    absence sessions recorded (fct_absence). A class and day with no row here recorded nothing. Feeds
    agg_recording_compliance and the recording status of agg_absence_class_daily. Incremental by
    (school_year, day) over both entities (macros/incremental_partitions.sql): a run rewrites only the
    days touched by new absence or roll-call batches, so a daily build aggregates one day, not the year.
-#}
{%- set partition_by = ['school_year', 'calendar_date'] -%}
{%- set changes = incremental_lake_changes(
    entities={
        'absences': ['school_year', 'absence_date'],
        'roll_calls': ['school_year', 'roll_call_date'],
    },
    partition_by=partition_by,
) -%}
{{ lake_incremental_config(partition_by=partition_by) }}

with

roll_calls as (

    select * from {{ ref('stg_massar__roll_calls') }}

    where {{ lake_changes_filter(changes, ['school_year', 'roll_call_date'], {'roll_call_date': 'date'}) }}

),

absences as (

    select * from {{ ref('fct_absence') }}

    where {{ lake_changes_filter(changes, ['school_year', 'absence_date'], {'absence_date': 'date'}) }}

),

recorded as (

    select
        school_year,
        region_code,
        school_code,
        class_code,
        roll_call_date as calendar_date,
        count(distinct half_day) as half_days_recorded

    from roll_calls

    group by school_year, region_code, school_code, class_code, roll_call_date

),

absent as (

    select
        school_year,
        region_code,
        school_code,
        class_code,
        absence_date as calendar_date,
        count(*) as absence_sessions,
        count(distinct student_key) as pupils_with_missed_session

    from absences

    group by school_year, region_code, school_code, class_code, absence_date

),

final as (

    select
        coalesce(recorded.school_year, absent.school_year) as school_year,
        coalesce(recorded.region_code, absent.region_code) as region_code,
        coalesce(recorded.school_code, absent.school_code) as school_code,
        coalesce(recorded.class_code, absent.class_code) as class_code,
        coalesce(recorded.calendar_date, absent.calendar_date) as calendar_date,
        cast(coalesce(recorded.half_days_recorded, 0) as bigint) as half_days_recorded,
        cast(coalesce(absent.absence_sessions, 0) as bigint) as absence_sessions,
        cast(coalesce(absent.pupils_with_missed_session, 0) as bigint) as pupils_with_missed_session

    from recorded

    full outer join absent
        on
            recorded.school_year = absent.school_year
            and recorded.class_code = absent.class_code
            and recorded.calendar_date = absent.calendar_date

)

select * from final
