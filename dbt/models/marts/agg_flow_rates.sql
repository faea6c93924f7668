{#-
    UIS flow rates from the pupils' actual paths (fct_enrollment.next_year_flow), by school year x
    region x province x school x sector x sex x level (the school grain lets a school-level user see
    their own rates; sum the counts for any coarser territory). Rates use as denominator the pupils enrolled in year t
    whose path can be followed (next_year_flow known) minus those transferred out of the system:
    transfers (to a private school, another region) are seen next year and count as promoted or
    repeated, and a transfer out with no later record is not a dropout.
      promotion_rate  = promoted to a higher level in t+1 / base
      repetition_rate = same level in t+1 / base
      dropout_rate    = dropped out (explicit dropout or silent non-return) / base
      (promotion + repetition + dropout + completion = 1)
    Effective transition rate (last grade of a cycle -> first grade of the next): promoted /
    (base - repeated), for levels whose next level is in another cycle. The last school year has no
    next year: it has no rates.
-#}

with

enrollment as (

    select * from {{ ref('fct_enrollment') }}

    where next_year_flow is not null

),

levels as (

    select * from {{ ref('dim_level') }}

),

counted as (

    select
        school_year,
        region_code,
        province_code,
        school_code,
        sector,
        sex,
        level_code,
        count(*) as pupils,
        count(*) filter (where next_year_flow = 'promoted') as promoted,
        count(*) filter (where next_year_flow = 'repeated') as repeated,
        count(*) filter (where next_year_flow = 'dropped_out') as dropped_out,
        count(*) filter (where next_year_flow = 'transferred_out') as transferred_out,
        count(*) filter (where next_year_flow = 'completed') as completed

    from enrollment

    group by school_year, region_code, province_code, school_code, sector, sex, level_code

),

final as (

    select
        counted.*,
        levels.cycle_code,
        levels.grade_in_cycle,
        counted.pupils - counted.transferred_out as rate_base,
        counted.promoted / nullif(counted.pupils - counted.transferred_out, 0) as promotion_rate,
        counted.repeated / nullif(counted.pupils - counted.transferred_out, 0) as repetition_rate,
        counted.dropped_out / nullif(counted.pupils - counted.transferred_out, 0) as dropout_rate,
        case
            when next_levels.cycle_code != levels.cycle_code
                then counted.promoted / nullif(counted.pupils - counted.transferred_out - counted.repeated, 0)
        end as transition_rate

    from counted

    left join levels
        on counted.level_code = levels.level_code

    left join levels as next_levels
        on levels.next_level_code = next_levels.level_code

)

select * from final
