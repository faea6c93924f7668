with

enrollments as (

    select * from {{ ref('fct_enrollment') }}

),

provinces as (

    select * from {{ ref('code_provinces') }}

),

counted as (

    select
        school_year,
        region_code,
        province_code,
        cycle_code,
        level_code,
        sex,
        sector,
        area,
        count(*) as pupils

    from enrollments

    group by school_year, region_code, province_code, cycle_code, level_code, sex, sector, area

),

final as (

    select
        counted.school_year,
        counted.region_code,
        counted.province_code,
        provinces.name_fr as province_name_fr,
        provinces.name_ar as province_name_ar,
        counted.cycle_code,
        counted.level_code,
        counted.sex,
        counted.sector,
        counted.area,
        counted.pupils

    from counted

    left join provinces
        on counted.province_code = provinces.province_code

)

select * from final
