{#-
    The session-level absence fact under its dimensional name: one row per pupil x date x missed
    session, with the class's level. Built on the incremental fct_absence (same rows).
-#}
{{ config(materialized='view') }}

with

absences as (

    select * from {{ ref('fct_absence') }}

),

classes as (

    select * from {{ ref('stg_massar__classes') }}

),

final as (

    select
        absences.student_key,
        absences.school_year,
        absences.absence_date,
        absences.session_number,
        absences.school_code,
        absences.class_code,
        classes.level_code,
        absences.region_code,
        absences.justified,
        absences.reason_code

    from absences

    left join classes
        on
            absences.school_year = classes.school_year
            and absences.class_code = classes.class_code

)

select * from final
