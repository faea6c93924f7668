{{ config(materialized='table', schema='serving') }}

with

enrollments as (

    select * from {{ ref('fct_enrollment') }}

),

provinces as (

    select * from {{ ref('code_provinces') }}

),

regions as (

    select * from {{ ref('code_regions') }}

),

cycles as (

    select * from {{ ref('code_cycles') }}

),

counted as (

    select
        school_year,
        region_code,
        province_code,
        cycle_code,
        sex,
        count(*) as pupils

    from enrollments

    group by school_year, region_code, province_code, cycle_code, sex

),

final as (

    select
        counted.school_year,
        counted.region_code,
        regions.name_fr as region_name_fr,
        regions.name_ar as region_name_ar,
        counted.province_code,
        provinces.name_fr as province_name_fr,
        provinces.name_ar as province_name_ar,
        counted.cycle_code,
        cycles.cycle_order,
        cycles.label_fr as cycle_fr,
        cycles.label_ar as cycle_ar,
        counted.sex,
        counted.pupils

    from counted

    left join regions
        on counted.region_code = regions.region_code

    left join provinces
        on counted.province_code = provinces.province_code

    left join cycles
        on counted.cycle_code = cycles.cycle_code

)

select * from final
