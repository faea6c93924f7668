{#- One row per class (section) and school year, with its level, cycle, stream, school and pupils. -#}

with

classes as (

    select * from {{ ref('stg_massar__classes') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

levels as (

    select * from {{ ref('code_levels') }}

),

enrollments as (

    select * from {{ ref('fct_enrollment') }}

),

pupils as (

    select
        school_year,
        class_code,
        count(*) as pupils_enrolled

    from enrollments

    group by school_year, class_code

),

final as (

    select
        classes.school_year,
        classes.class_code,
        classes.school_code,
        classes.region_code,
        schools.province_code,
        schools.sector,
        schools.area,
        classes.level_code,
        levels.cycle_code,
        classes.stream_code,
        coalesce(pupils.pupils_enrolled, 0) as pupils_enrolled

    from classes

    left join schools
        on
            classes.school_year = schools.school_year
            and classes.school_code = schools.school_code

    left join levels
        on classes.level_code = levels.level_code

    left join pupils
        on
            classes.school_year = pupils.school_year
            and classes.class_code = pupils.class_code

)

select * from final
