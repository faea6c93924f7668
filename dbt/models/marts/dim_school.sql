with

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

regions as (

    select * from {{ ref('code_regions') }}

),

provinces as (

    select * from {{ ref('code_provinces') }}

),

directions as (

    -- one directorate per province; a province split into several (Casablanca) gets a collective name
    select
        substr(territory_hcp_code, 1, 6) as province_code,
        case when count(*) = 1 then min(dp_key) else substr(min(dp_key), 1, 5) end as direction_code,
        case
            when count(*) = 1 then min(direction_provinciale_fr)
        end as direction_name_fr,
        case
            when count(*) = 1 then min(direction_provinciale_ar)
        end as direction_name_ar,
        count(*) as n_directions

    from {{ ref('xwalk_directions_provinciales') }}

    group by substr(territory_hcp_code, 1, 6)

),

ranked_schools as (

    select
        *,
        row_number() over (
            partition by school_code
            order by school_year desc, region_code desc
        ) as recency_rank

    from schools

),

latest_schools as (

    select * from ranked_schools

    where recency_rank = 1

),

final as (

    select
        latest_schools.school_code,
        latest_schools.school_name_fr,
        latest_schools.school_name_ar,
        latest_schools.region_code,
        regions.name_fr as region_name_fr,
        regions.name_ar as region_name_ar,
        regions.aref_name_fr,
        regions.aref_name_ar,
        latest_schools.province_code,
        provinces.name_fr as province_name_fr,
        provinces.name_ar as province_name_ar,
        directions.direction_code,
        coalesce(
            directions.direction_name_fr,
            provinces.name_fr || ' (' || directions.n_directions || ' directions provinciales)'
        ) as direction_name_fr,
        coalesce(
            directions.direction_name_ar,
            provinces.name_ar || ' (' || directions.n_directions || ' مديريات إقليمية)'
        ) as direction_name_ar,
        latest_schools.sector,
        latest_schools.area,
        latest_schools.cycle_code

    from latest_schools

    left join regions
        on latest_schools.region_code = regions.region_code

    left join provinces
        on latest_schools.province_code = provinces.province_code

    left join directions
        on latest_schools.province_code = directions.province_code

)

select * from final
