{#-
    Class-size distribution: classes with pupils (dim_class.pupils_enrolled > 0) counted per band of
    seed class_size_bands (min_pupils <= size <= max_pupils, empty max = no bound), by school year x
    school x level.
-#}

with

classes as (

    select * from {{ ref('dim_class') }}

    where pupils_enrolled > 0

),

bands as (

    select * from {{ ref('class_size_bands') }}

),

final as (

    select
        classes.school_year,
        classes.region_code,
        classes.province_code,
        classes.school_code,
        classes.cycle_code,
        classes.level_code,
        bands.band_code,
        bands.band_order,
        count(*) as classes,
        cast(sum(classes.pupils_enrolled) as bigint) as pupils

    from classes

    inner join bands
        on
            classes.pupils_enrolled >= bands.min_pupils
            and (bands.max_pupils is null or classes.pupils_enrolled <= bands.max_pupils)

    group by
        classes.school_year,
        classes.region_code,
        classes.province_code,
        classes.school_code,
        classes.cycle_code,
        classes.level_code,
        bands.band_code,
        bands.band_order

)

select * from final
