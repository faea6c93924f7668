{#-
    One row per candidate of an exam (regional or national) and year, placed where the certificate
    counts them: the pupil's last school of the year (fct_enrollment), or the exam's own school and
    region when the pupil has no enrollment that year. Carries the pupil's sex, sector and stream (the
    stream picks the subject coefficients) and whether the candidate sat the resit session.
-#}

with

papers as (

    select * from {{ ref('int_exam__papers') }}

),

enrollment as (

    select * from {{ ref('fct_enrollment') }}

),

classes as (

    select * from {{ ref('stg_massar__classes') }}

),

exam_candidates as (

    select
        student_key,
        school_year,
        exam_code,
        max(level_code) as level_code,
        max(scope) as scope,
        max(exam_school_code) as exam_school_code,
        max(exam_region_code) as exam_region_code,
        bool_or(exam_session = 'resit') as took_resit

    from papers

    group by student_key, school_year, exam_code

),

placed as (

    select
        exam_candidates.student_key,
        exam_candidates.school_year,
        exam_candidates.exam_code,
        exam_candidates.level_code,
        exam_candidates.scope,
        coalesce(enrollment.school_code, exam_candidates.exam_school_code) as school_code,
        coalesce(enrollment.region_code, exam_candidates.exam_region_code) as region_code,
        enrollment.province_code,
        enrollment.sex,
        enrollment.sector,
        classes.stream_code,
        exam_candidates.took_resit

    from exam_candidates

    left join enrollment
        on
            exam_candidates.student_key = enrollment.student_key
            and exam_candidates.school_year = enrollment.school_year

    left join classes
        on
            enrollment.school_year = classes.school_year
            and enrollment.class_code = classes.class_code

)

select * from placed
