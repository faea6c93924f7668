{{ config(materialized='table', database='restricted', schema='serving') }}

with

pupils as (

    select * from {{ ref('lookup_pupil') }}

),

results as (

    select * from {{ ref('stg_massar__exam_results') }}

),

exams as (

    select * from {{ ref('code_exams') }}

),

subjects as (

    select * from {{ ref('dim_subject') }}

),

final as (

    select
        pupils.student_code,
        results.exam_code,
        exams.label_fr as exam_fr,
        exams.label_ar as exam_ar,
        results.exam_session,
        results.subject_code,
        subjects.subject_label_fr as subject_fr,
        subjects.subject_label_ar as subject_ar,
        results.grade

    from pupils

    inner join results
        on
            pupils.student_code = results.student_code
            and pupils.school_year = results.school_year

    left join exams
        on results.exam_code = exams.exam_code

    left join subjects
        on results.subject_code = subjects.subject_code

)

select * from final
