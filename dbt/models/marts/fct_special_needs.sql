{#- One row per pupil with a disability and school year, pseudonymous (doc block fct_special_needs). -#}

with

special_needs as (

    select * from {{ ref('stg_massar__special_needs') }}

),

classes as (

    select * from {{ ref('dim_class') }}

),

pupils as (

    select * from {{ ref('stg_massar__pupils') }}

),

final as (

    select
        {{ student_key('special_needs.student_code') }} as student_key,
        special_needs.school_year,
        special_needs.school_code,
        special_needs.class_code,
        special_needs.region_code,
        classes.province_code,
        classes.sector,
        classes.area,
        classes.level_code,
        classes.cycle_code,
        pupils.sex,
        special_needs.disability_type,
        special_needs.class_setting,
        special_needs.individual_plan

    from special_needs

    left join classes
        on special_needs.school_year = classes.school_year and special_needs.class_code = classes.class_code

    left join pupils
        on special_needs.school_year = pupils.school_year and special_needs.student_code = pupils.student_code

)

select * from final
