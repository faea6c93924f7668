{#-
    Pupils per teacher, per class and per classroom, by school year x region x province x sector x
    cycle of the school: the school-grain counts of agg_school_capacity (same counting rules) summed,
    and the ratios taken on the sums (null when the denominator is 0).
-#}

with

capacity as (

    select * from {{ ref('agg_school_capacity') }}

),

final as (

    select
        school_year,
        region_code,
        province_code,
        sector,
        cycle_code,
        count(*) as schools,
        cast(sum(pupils) as bigint) as pupils,
        cast(sum(teachers) as bigint) as teachers,
        cast(sum(classes) as bigint) as classes,
        cast(sum(classrooms) as bigint) as classrooms,
        sum(pupils) / nullif(sum(teachers), 0) as pupils_per_teacher,
        sum(pupils) / nullif(sum(classes), 0) as pupils_per_class,
        sum(pupils) / nullif(sum(classrooms), 0) as pupils_per_classroom

    from capacity

    group by school_year, region_code, province_code, sector, cycle_code

)

select * from final
