{#-
    Stream demand (first wishes) against streams granted, by school year x region x province x level x sex
    x stream offered after the level (doc block agg_orientation).
-#}

with

orientation as (

    select * from {{ ref('fct_orientation') }}

),

offers as (

    select * from {{ ref('xwalk_orientation_offers') }}

),

cells as (

    select distinct
        school_year,
        region_code,
        province_code,
        level_code,
        sex

    from orientation

),

final as (

    select
        cells.school_year,
        cells.region_code,
        cells.province_code,
        cells.level_code,
        cells.sex,
        offers.stream_code,
        count(orientation.student_key) filter (where orientation.wish_1 = offers.stream_code) as first_wishes,
        count(orientation.student_key) filter (
            where orientation.stream_granted = offers.stream_code
        ) as streams_granted,
        count(orientation.student_key) filter (
            where orientation.wish_1 = offers.stream_code and orientation.granted_wish_rank = 1
        ) as first_wishes_granted,
        count(orientation.student_key) filter (
            where orientation.wish_1 = offers.stream_code and not orientation.is_oriented
        ) as first_wishes_not_oriented,
        100.0
        * count(orientation.student_key) filter (
            where orientation.wish_1 = offers.stream_code and orientation.granted_wish_rank = 1
        )
        / nullif(count(orientation.student_key) filter (where orientation.wish_1 = offers.stream_code), 0)
            as first_wish_satisfaction_rate

    from cells

    inner join offers on cells.level_code = offers.after_level

    left join orientation
        on
            cells.school_year = orientation.school_year
            and cells.region_code = orientation.region_code
            and cells.province_code is not distinct from orientation.province_code
            and cells.level_code = orientation.level_code
            and cells.sex is not distinct from orientation.sex

    group by
        cells.school_year,
        cells.region_code,
        cells.province_code,
        cells.level_code,
        cells.sex,
        offers.stream_code

)

select * from final
