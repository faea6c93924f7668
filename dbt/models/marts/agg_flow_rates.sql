{#-
    UIS flow rates from the pupils' actual paths (fct_enrollment.next_year_flow), by school year x
    region x province x school x sector x sex x level (the school grain lets a school-level user see
    their own rates; sum the counts for any coarser territory). Rates use as denominator the pupils
    enrolled in year t whose path can be followed (next_year_flow known), minus those transferred out
    of the system and those not traced: transfers (to a private school, another region) are seen next
    year and count as promoted or repeated, and a transfer out with no later record is not a dropout;
    a pupil whose record of t+1 was lost (quarantined or deleted), or who is back after t+1, is not
    traced: the loss of a record is not the loss of a pupil.
      rate_base       = pupils - transferred_out - not_traced
      promotion_rate  = promoted to a higher level in t+1 / rate_base
      repetition_rate = same level in t+1 / rate_base
      dropout_rate    = dropped out (explicit dropout or silent non-return, never traced again) / rate_base
      (promotion + repetition + dropout + completion = 1, completion = completed / rate_base)
    Effective transition rate (last grade of a cycle -> first grade of the next): promoted /
    (rate_base - repeated), for levels whose next level is in another cycle. The last school year has
    no next year: it has no rates.
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
        count(*) filter (where next_year_flow = 'completed') as completed,
        count(*) filter (where next_year_flow = 'not_traced') as not_traced,
        count(*) filter (where is_dropout_revised) as dropout_revised

    from enrollment

    group by school_year, region_code, province_code, school_code, sector, sex, level_code

),

with_base as (

    select
        *,
        pupils - transferred_out - not_traced as rate_base

    from counted

),

final as (

    select
        with_base.*,
        levels.cycle_code,
        levels.grade_in_cycle,
        with_base.promoted / nullif(with_base.rate_base, 0) as promotion_rate,
        with_base.repeated / nullif(with_base.rate_base, 0) as repetition_rate,
        with_base.dropped_out / nullif(with_base.rate_base, 0) as dropout_rate,
        case
            when next_levels.cycle_code != levels.cycle_code
                then with_base.promoted / nullif(with_base.rate_base - with_base.repeated, 0)
        end as transition_rate

    from with_base

    left join levels
        on with_base.level_code = levels.level_code

    left join levels as next_levels
        on levels.next_level_code = next_levels.level_code

)

select * from final
