{#-
    Preschool pupils by age, sector and level: school year x school x level x sex x age (doc block
    agg_preschool_enrollment). Pupils: fct_enrollment (one row per pupil and year, last school).
-#}

with

enrollment as (

    select * from {{ ref('fct_enrollment') }}

),

pupils as (

    select * from {{ ref('dim_student') }}

),

levels as (

    select * from {{ ref('code_levels') }}

),

preschool as (

    select
        enrollment.school_year,
        enrollment.region_code,
        enrollment.province_code,
        enrollment.school_code,
        enrollment.sector,
        enrollment.area,
        enrollment.level_code,
        enrollment.sex,
        cast(substr(enrollment.school_year, 1, 4) as integer) - pupils.birth_year as age

    from enrollment

    inner join levels on enrollment.level_code = levels.level_code

    left join pupils on enrollment.student_key = pupils.student_key

    where levels.cycle_code = 'preschool'

),

final as (

    select
        school_year,
        region_code,
        province_code,
        school_code,
        sector,
        area,
        level_code,
        sex,
        age,
        count(*) as pupils

    from preschool

    group by school_year, region_code, province_code, school_code, sector, area, level_code, sex, age

)

select * from final
