{#-
    Transition into 1AP: 1AP entrants by the preschool they attended, by school year x school x sex x
    preschool type (doc block agg_preschool_transition).
-#}

with

attendance as (

    select * from {{ ref('fct_preschool_attendance') }}

),

final as (

    select
        school_year,
        region_code,
        province_code,
        school_code,
        sector,
        area,
        sex,
        preschool_type,
        attended,
        count(*) as entrants,
        cast(sum(preschool_years) as bigint) as preschool_years_total

    from attendance

    group by school_year, region_code, province_code, school_code, sector, area, sex, preschool_type, attended

)

select * from final
