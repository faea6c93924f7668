{#- One row per 1AP entrant (pseudonymous key) and school year: the preschool attended before (doc block). -#}

with

attendance as (

    select * from {{ ref('stg_massar__preschool_attendance') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

pupils as (

    select * from {{ ref('dim_student') }}

),

types as (

    select * from {{ ref('code_preschool_types') }}

),

keyed as (

    select
        {{ student_key('student_code') }} as student_key,
        *

    from attendance

),

final as (

    select
        keyed.student_key,
        keyed.school_year,
        keyed.school_code,
        keyed.class_code,
        keyed.region_code,
        schools.province_code,
        schools.sector,
        schools.area,
        pupils.sex,
        keyed.preschool_type,
        types.attended,
        keyed.preschool_years

    from keyed

    left join schools
        on keyed.school_year = schools.school_year and keyed.school_code = schools.school_code

    left join pupils on keyed.student_key = pupils.student_key

    left join types on keyed.preschool_type = types.preschool_type

)

select * from final
