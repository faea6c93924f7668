{#-
    One row per exam paper: a pupil's mark in one subject of one session of a regional or national
    exam, with the exam's level and scope (seed code_exams) and the pseudonymous student key. school_year is
    the year the exam was sat: exam_year when the export carries an earlier year's exam (the 1BAC
    regional exam in a 2BAC candidate's file), else the file's school year. A missed paper (no grade)
    counts 0, the rule of both certificates.
-#}

with

exam_results as (

    select * from {{ ref('stg_massar__exam_results') }}

),

exams as (

    select * from {{ ref('code_exams') }}

),

papers as (

    select
        {{ student_key('exam_results.student_code') }} as student_key,
        coalesce(exam_results.exam_year, exam_results.school_year) as school_year,
        exam_results.exam_code,
        exams.level_code,
        exams.scope,
        exam_results.exam_session,
        exam_results.subject_code,
        exam_results.school_code as exam_school_code,
        exam_results.region_code as exam_region_code,
        coalesce(exam_results.grade, 0) as grade

    from exam_results

    inner join exams
        on exam_results.exam_code = exams.exam_code

)

select * from papers
