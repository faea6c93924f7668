{{ config(materialized='table', database='restricted', schema='serving') }}

with

pupils as (

    select * from {{ ref('lookup_pupil') }}

),

timetables as (

    select * from {{ ref('stg_massar__timetables') }}

),

subjects as (

    select * from {{ ref('dim_subject') }}

),

final as (

    select
        pupils.student_code,
        timetables.weekday,
        timetables.session_number,
        timetables.subject_code,
        subjects.subject_label_fr as subject_fr,
        subjects.subject_label_ar as subject_ar

    from pupils

    inner join timetables
        on
            pupils.class_code = timetables.class_code
            and pupils.school_year = timetables.school_year

    left join subjects
        on timetables.subject_code = subjects.subject_code

)

select * from final
