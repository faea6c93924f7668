{{ config(materialized='table', schema='serving') }}

with

results as (

    select * from {{ ref('agg_exam_results') }}

),

regions as (

    select * from {{ ref('code_regions') }}

),

summed as (

    select
        school_year,
        certificate_code,
        region_code,
        sex,
        -- the pass-rate denominator: candidates with every certificate component (agg_exam_results)
        sum(candidates_complete) as candidates,
        sum(passed) as passed

    from results

    group by school_year, certificate_code, region_code, sex

),

final as (

    select
        summed.school_year,
        summed.certificate_code,
        summed.region_code,
        regions.name_fr as region_name_fr,
        regions.name_ar as region_name_ar,
        summed.sex,
        cast(summed.candidates as bigint) as candidates,
        cast(summed.passed as bigint) as passed

    from summed

    left join regions
        on summed.region_code = regions.region_code

)

select * from final
