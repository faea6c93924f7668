{#-
    Every class x subject slot of the curriculum (seed curriculum_hours, by level and stream) for the
    classes with pupils, with the teachers assigned to it and how many of them are in service (seed
    staff_statuses.in_service; a teacher without a staff_situations row counts as in service).
-#}

with

classes as (

    select * from {{ ref('dim_class') }}

    where pupils_enrolled > 0

),

curriculum as (

    select * from {{ ref('curriculum_hours') }}

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

assigned as (

    select
        assignments.school_year,
        assignments.class_code,
        assignments.subject_code,
        assignments.teacher_code,
        situations.status_code,
        coalesce(statuses.in_service, true) as in_service

    from assignments

    left join situations
        on
            assignments.school_year = situations.school_year
            and assignments.teacher_code = situations.teacher_code

    left join statuses
        on situations.status_code = statuses.status_code

),

coverage as (

    select
        school_year,
        class_code,
        subject_code,
        count(*) as assigned_teachers,
        count(*) filter (where in_service) as teachers_in_service,
        min(status_code) filter (where not in_service) as absent_teacher_status

    from assigned

    group by school_year, class_code, subject_code

),

final as (

    select
        classes.school_year,
        classes.class_code,
        curriculum.subject_code,
        classes.school_code,
        classes.region_code,
        classes.province_code,
        classes.sector,
        classes.level_code,
        classes.cycle_code,
        classes.pupils_enrolled,
        curriculum.weekly_hours,
        coalesce(coverage.assigned_teachers, 0) as assigned_teachers,
        coalesce(coverage.teachers_in_service, 0) as teachers_in_service,
        coverage.absent_teacher_status,
        coalesce(coverage.teachers_in_service, 0) = 0 as is_vacant

    from classes

    inner join curriculum
        on
            classes.level_code = curriculum.level_code
            and coalesce(classes.stream_code, '') = coalesce(curriculum.stream_code, '')

    left join coverage
        on
            classes.school_year = coverage.school_year
            and classes.class_code = coverage.class_code
            and curriculum.subject_code = coverage.subject_code

)

select * from final
