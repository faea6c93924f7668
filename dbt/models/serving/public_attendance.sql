{{ config(materialized='table', schema='serving') }}

with

attendance as (

    select * from {{ ref('agg_attendance') }}

),

regions as (

    select * from {{ ref('code_regions') }}

),

summed as (

    select
        school_year,
        region_code,
        sum(pupils_classified) as pupils_classified,
        sum(chronically_absent) as chronically_absent,
        sum(absent_days) as absent_days,
        sum(enrolled_school_days) as enrolled_school_days

    from attendance

    group by school_year, region_code

),

final as (

    select
        summed.school_year,
        summed.region_code,
        regions.name_fr as region_name_fr,
        regions.name_ar as region_name_ar,
        cast(summed.pupils_classified as bigint) as pupils_classified,
        cast(summed.chronically_absent as bigint) as chronically_absent,
        cast(summed.absent_days as bigint) as absent_days,
        cast(summed.enrolled_school_days as bigint) as enrolled_school_days

    from summed

    left join regions
        on summed.region_code = regions.region_code

)

select * from final
