with

enrollments as (

    select * from {{ ref('fct_enrollment') }}

),

regions as (

    select * from {{ ref('code_regions') }}

),

counted as (

    select
        school_year,
        region_code,
        cycle_code,
        sex,
        sector,
        area,
        count(*) as pupils

    from enrollments

    group by school_year, region_code, cycle_code, sex, sector, area

),

final as (

    select
        counted.school_year,
        counted.region_code,
        regions.name_fr as region_name_fr,
        regions.name_ar as region_name_ar,
        counted.cycle_code,
        counted.sex,
        counted.sector,
        counted.area,
        counted.pupils

    from counted

    left join regions
        on counted.region_code = regions.region_code

)

select * from final
