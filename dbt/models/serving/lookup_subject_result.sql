{{ config(materialized='table', database='restricted', schema='serving') }}

with

pupils as (

    select * from {{ ref('lookup_pupil') }}

),

identity as (

    select * from {{ ref('student_identity') }}

),

averages as (

    select * from {{ ref('fct_subject_average') }}

),

semesters as (

    select * from {{ ref('fct_semester_result') }}

),

subjects as (

    select * from {{ ref('dim_subject') }}

),

final as (

    select
        pupils.student_code,
        averages.semester,
        averages.subject_code,
        subjects.subject_label_fr as subject_fr,
        subjects.subject_label_ar as subject_ar,
        averages.subject_average as average,
        averages.coefficient,
        semesters.general_average,
        semesters.rank_in_class,
        semesters.class_pupils_ranked as class_size

    from pupils

    inner join identity
        on pupils.student_code = identity.student_code

    inner join averages
        on
            identity.student_key = averages.student_key
            and pupils.school_year = averages.school_year

    left join semesters
        on
            averages.student_key = semesters.student_key
            and averages.school_year = semesters.school_year
            and averages.semester = semesters.semester

    left join subjects
        on averages.subject_code = subjects.subject_code

)

select * from final
