{#-
    Recording compliance ("who did not take attendance"), per school and school day up to the last
    day with any absence recorded in the year. The contracts carry no "attendance taken" signal, and
    a school with no absent pupil looks like one that did not record; the rule used: a school day with
    no absence row at all is flagged likely_not_recorded when the school usually records, that is it
    recorded absences on at least var('recording_min_usual_share') of its school days of the year
    (up to that last day). Also per class: classes_without_absence counts the school's classes with
    no absence row that day. The sessions per school and day come from the incremental
    int_absence__school_days (a daily build aggregates the day, not the year); this table, whose
    recording shares change with every day, is rebuilt from it (schools x school days).
-#}

with

calendar as (

    select * from {{ ref('dim_calendar') }}

    where is_school_day

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

classes as (

    select * from {{ ref('dim_class') }}

    where pupils_enrolled > 0

),

recorded_days as (

    select * from {{ ref('int_absence__school_days') }}

),

year_extent as (

    select
        school_year,
        max(absence_date) as last_recorded_date

    from recorded_days

    group by school_year

),

class_counts as (

    select
        school_year,
        school_code,
        count(*) as classes

    from classes

    group by school_year, school_code

),

school_days as (

    select
        schools.school_year,
        schools.school_code,
        schools.region_code,
        schools.province_code,
        calendar.calendar_date,
        coalesce(recorded_days.absence_sessions, 0) as absence_sessions,
        coalesce(class_counts.classes, 0) as classes,
        coalesce(recorded_days.classes_with_absence, 0) as classes_with_absence

    from schools

    inner join year_extent
        on schools.school_year = year_extent.school_year

    inner join calendar
        on
            schools.school_year = calendar.school_year
            and year_extent.last_recorded_date >= calendar.calendar_date

    left join recorded_days
        on
            schools.school_year = recorded_days.school_year
            and schools.school_code = recorded_days.school_code
            and calendar.calendar_date = recorded_days.absence_date

    left join class_counts
        on
            schools.school_year = class_counts.school_year
            and schools.school_code = class_counts.school_code

),

usual as (

    select
        *,
        avg(case when absence_sessions > 0 then 1.0 else 0.0 end) over (
            partition by school_year, school_code
        ) as recording_day_share

    from school_days

),

final as (

    select
        school_year,
        school_code,
        region_code,
        province_code,
        calendar_date,
        absence_sessions,
        classes,
        classes_with_absence,
        greatest(classes - classes_with_absence, 0) as classes_without_absence,
        recording_day_share,
        absence_sessions = 0 as no_absence_recorded,
        absence_sessions = 0
        and recording_day_share >= {{ var('recording_min_usual_share') }} as likely_not_recorded

    from usual

)

select * from final
