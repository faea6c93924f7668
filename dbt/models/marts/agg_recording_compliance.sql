{#-
    Recording compliance ("who did not take attendance"), per school and school day up to the last
    school day loaded in the country, from the class-level recording status of agg_absence_class_daily
    (roll calls and absences, classes with pupils that day), so that the school and class views agree:
    a school is recorded only when every class with pupils recorded (recorded_with_absences when one of
    them has an absence, else recorded_no_absence), partly_recorded when some classes did, not_recorded
    when none did, and no_file_received when its region sent no roll call nor absence that day (a day
    after the region's last loaded day, or a missing daily drop): then the class counts are null, never 0.
    Rebuilt from the daily aggregate (schools x school days) at each build.
-#}

with

calendar as (

    select * from {{ ref('dim_calendar') }}

    where is_school_day

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

class_days as (

    select * from {{ ref('agg_absence_class_daily') }}

    where pupils_enrolled > 0

),

statuses as (

    select * from {{ ref('code_recording_statuses') }}

),

year_extent as (

    -- the country's last school day loaded
    select
        school_year,
        max(calendar_date) as last_loaded_date

    from class_days

    group by school_year

),

school_class_days as (

    select
        class_days.school_year,
        class_days.school_code,
        class_days.calendar_date,
        count(*) as classes,
        count(*) filter (where statuses.is_recorded) as classes_recorded,
        count(*) filter (where class_days.pupils_with_missed_session > 0) as classes_with_absence,
        sum(class_days.sessions_missed) as absence_sessions

    from class_days

    inner join statuses
        on class_days.recording_status = statuses.status_code

    group by class_days.school_year, class_days.school_code, class_days.calendar_date

),

region_received as (

    -- the region-days with a file: a class status other than no_file_received
    select distinct
        school_year,
        region_code,
        calendar_date

    from class_days

    where recording_status != 'no_file_received'

),

school_days as (

    select
        schools.school_year,
        schools.school_code,
        schools.region_code,
        schools.province_code,
        calendar.calendar_date,
        calendar.school_day_number,
        school_class_days.classes,
        school_class_days.classes_recorded,
        school_class_days.classes_with_absence,
        school_class_days.absence_sessions,
        region_received.region_code is null as no_file_received

    from schools

    inner join year_extent
        on schools.school_year = year_extent.school_year

    inner join calendar
        on
            schools.school_year = calendar.school_year
            and year_extent.last_loaded_date >= calendar.calendar_date

    left join region_received
        on
            schools.school_year = region_received.school_year
            and schools.region_code = region_received.region_code
            and calendar.calendar_date = region_received.calendar_date

    left join school_class_days
        on
            schools.school_year = school_class_days.school_year
            and schools.school_code = school_class_days.school_code
            and calendar.calendar_date = school_class_days.calendar_date

),

final as (

    -- a school of a region with a file that day but no class with pupils that day has no status: dropped
    select
        school_year,
        school_code,
        region_code,
        province_code,
        calendar_date,
        school_day_number,
        case when not no_file_received then classes end as classes,
        case when not no_file_received then classes_recorded end as classes_recorded,
        case when not no_file_received then classes - classes_recorded end as classes_not_recorded,
        case when not no_file_received then classes_with_absence end as classes_with_absence,
        case when not no_file_received then absence_sessions end as absence_sessions,
        case
            when not no_file_received then 100.0 * classes_recorded / classes
        end as recorded_class_share,
        case
            when no_file_received then 'no_file_received'
            when classes_recorded = 0 then 'not_recorded'
            when classes_recorded < classes then 'partly_recorded'
            when classes_with_absence > 0 then 'recorded_with_absences'
            else 'recorded_no_absence'
        end as recording_status

    from school_days

    where no_file_received or classes > 0

)

select * from final
