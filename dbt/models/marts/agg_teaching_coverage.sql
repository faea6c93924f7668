{#-
    Vacancies and pupils per teacher of the subject, per school year x school x subject. See the doc block
    agg_teaching_coverage (_docs_hr.md).
-#}

with

slots as (

    select * from {{ ref('int_hr__class_subjects') }}

),

assignments as (

    select * from {{ ref('stg_massar__teaching_assignments') }}

),

situations as (

    select * from {{ ref('stg_massar__staff_situations') }}

),

statuses as (

    select * from {{ ref('code_staff_statuses') }}

),

teaching as (

    select distinct
        assignments.school_year,
        assignments.school_code,
        assignments.subject_code,
        assignments.teacher_code

    from assignments

    left join situations
        on
            assignments.school_year = situations.school_year
            and assignments.teacher_code = situations.teacher_code

    left join statuses
        on situations.status_code = statuses.status_code

    where coalesce(statuses.in_service, true)

),

teachers as (

    select
        school_year,
        school_code,
        subject_code,
        count(*) as teachers

    from teaching

    group by school_year, school_code, subject_code

),

per_subject as (

    select
        school_year,
        school_code,
        subject_code,
        max(region_code) as region_code,
        max(province_code) as province_code,
        max(sector) as sector,
        max(cycle_code) as cycle_code,
        count(*) as classes,
        {{ exact_sum('weekly_hours') }} as curriculum_hours,
        count(*) filter (where is_vacant) as vacant_classes,
        coalesce({{ exact_sum('weekly_hours', 'is_vacant') }}, 0) as vacant_hours,
        cast(sum(pupils_enrolled) as bigint) as pupils,
        cast(coalesce(sum(pupils_enrolled) filter (where not is_vacant), 0) as bigint) as pupils_taught

    from slots

    group by school_year, school_code, subject_code

),

final as (

    select
        per_subject.school_year,
        per_subject.school_code,
        per_subject.subject_code,
        per_subject.region_code,
        per_subject.province_code,
        per_subject.sector,
        per_subject.cycle_code,
        per_subject.classes,
        per_subject.curriculum_hours,
        per_subject.vacant_classes,
        per_subject.vacant_hours,
        per_subject.pupils,
        per_subject.pupils_taught,
        coalesce(teachers.teachers, 0) as teachers,
        100.0 * per_subject.vacant_classes / per_subject.classes as vacancy_rate,
        per_subject.pupils_taught / nullif(teachers.teachers, 0) as pupils_per_subject_teacher

    from per_subject

    left join teachers
        on
            per_subject.school_year = teachers.school_year
            and per_subject.school_code = teachers.school_code
            and per_subject.subject_code = teachers.subject_code

)

select * from final
