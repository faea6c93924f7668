{#-
    Survival to each grade of a cycle, two methods side by side, by school year x territory x level, the
    territory being the country (territory_level national), a region, or a province (grouping sets:
    each territory's rates come from its own summed counts).
    reconstructed_survival_rate (UIS reconstructed-cohort method, aggregate flow rates of year t, no
    limit on repetition): survival to grade k = product over grades g < k of p_g / (1 - r_g), with
    p, r the promotion and repetition rates of agg_flow_rates (all sectors and sexes of the territory).
    true_cohort_survival_rate (only possible with a unique pupil ID): of the pupils in the first grade
    of the cycle in year t for the first time (no enrollment in that grade in an earlier year, whatever
    their status in t), the share ever seen in grade k in year t or later. cohort_years_observed tells
    whether grade k could be reached without repeating (years observed after t >= k - 1): rates of
    unreachable grades are censored (null).
-#}

with

flows as (

    select * from {{ ref('agg_flow_rates') }}

),

enrollment as (

    select * from {{ ref('fct_enrollment') }}

),

levels as (

    select * from {{ ref('dim_level') }}

),

flows_by_territory as (

    -- every row counts for the country, its region and its province
    select
        'national' as territory_level,
        cast(null as {{ string_type() }}) as territory_region_code,
        cast(null as {{ string_type() }}) as territory_province_code,
        flows.*
    from flows

    union all

    select
        'region' as territory_level,
        flows.region_code as territory_region_code,
        cast(null as {{ string_type() }}) as territory_province_code,
        flows.*
    from flows

    union all

    select
        'province' as territory_level,
        flows.region_code as territory_region_code,
        flows.province_code as territory_province_code,
        flows.*
    from flows

),

territory_rates as (

    select
        territory_level,
        school_year,
        territory_region_code as region_code,
        territory_province_code as province_code,
        cycle_code,
        level_code,
        grade_in_cycle,
        sum(promoted) / nullif(sum(rate_base), 0) as promotion_rate,
        sum(repeated) / nullif(sum(rate_base), 0) as repetition_rate

    from flows_by_territory

    group by
        territory_level,
        school_year,
        territory_region_code,
        territory_province_code,
        cycle_code,
        level_code,
        grade_in_cycle

),

rate_years as (

    select distinct
        territory_level,
        school_year,
        region_code,
        province_code,
        cycle_code

    from territory_rates

),

ratios as (

    -- every grade of the cycle, with its rates when the territory has some
    select
        years.territory_level,
        years.school_year,
        years.region_code,
        years.province_code,
        years.cycle_code,
        levels.grade_in_cycle,
        territory_rates.promotion_rate / nullif(1 - territory_rates.repetition_rate, 0) as survival_ratio

    from rate_years as years

    inner join levels
        on years.cycle_code = levels.cycle_code

    left join territory_rates
        on
            years.territory_level = territory_rates.territory_level
            and years.school_year = territory_rates.school_year
            and years.region_code is not distinct from territory_rates.region_code
            and years.province_code is not distinct from territory_rates.province_code
            and years.cycle_code = territory_rates.cycle_code
            and levels.grade_in_cycle = territory_rates.grade_in_cycle

),

reconstructed as (

    -- product over the lower grades of p / (1 - r): 1 for the first grade, 0 when a lower grade has
    -- ratio 0, null when a lower grade has no rate
    select
        territory_level,
        school_year,
        region_code,
        province_code,
        cycle_code,
        grade_in_cycle,
        case
            when grade_in_cycle = 1 then 1.0
            when min(survival_ratio) over lower_grades = 0 then 0.0
            when count(survival_ratio) over lower_grades = grade_in_cycle - 1
                then round(exp(sum(ln(survival_ratio)) over lower_grades), 6)
        end as reconstructed_survival_rate

    from ratios

    window lower_grades as (
        partition by territory_level, school_year, region_code, province_code, cycle_code
        order by grade_in_cycle
        rows between unbounded preceding and 1 preceding
    )

),

with_levels as (

    select
        enrollment.student_key,
        enrollment.school_year,
        cast(substr(enrollment.school_year, 1, 4) as integer) as start_year,
        enrollment.region_code,
        enrollment.province_code,
        enrollment.level_code,
        levels.cycle_code,
        levels.grade_in_cycle

    from enrollment

    inner join levels
        on enrollment.level_code = levels.level_code

),

first_years_in_grade as (

    -- for each pupil and grade, the first year the pupil was enrolled in it
    select
        student_key,
        level_code,
        min(start_year) as first_start_year

    from with_levels

    group by student_key, level_code

),

first_graders as (

    -- first-time entrants: in the cycle's first grade with no enrollment in that grade in an earlier
    -- year, whatever their status this year (a repeater who drops out is still a repeater)
    select with_levels.*

    from with_levels

    inner join first_years_in_grade
        on
            with_levels.student_key = first_years_in_grade.student_key
            and with_levels.level_code = first_years_in_grade.level_code
            and with_levels.start_year = first_years_in_grade.first_start_year

    where with_levels.grade_in_cycle = 1

),

cohorts as (

    -- a cohort belongs to the country, the region and the province of its first year
    select
        'national' as territory_level,
        student_key,
        school_year,
        start_year,
        cast(null as {{ string_type() }}) as region_code,
        cast(null as {{ string_type() }}) as province_code,
        cycle_code
    from first_graders

    union all

    select
        'region' as territory_level,
        student_key,
        school_year,
        start_year,
        region_code,
        cast(null as {{ string_type() }}) as province_code,
        cycle_code
    from first_graders

    union all

    select
        'province' as territory_level,
        student_key,
        school_year,
        start_year,
        region_code,
        province_code,
        cycle_code
    from first_graders

),

last_year as (

    select max(start_year) as last_start_year from with_levels

),

reached as (

    select distinct
        cohorts.territory_level,
        cohorts.school_year,
        cohorts.region_code,
        cohorts.province_code,
        cohorts.cycle_code,
        cohorts.student_key,
        later.grade_in_cycle

    from cohorts

    inner join with_levels as later
        on
            cohorts.student_key = later.student_key
            and cohorts.cycle_code = later.cycle_code
            and cohorts.start_year <= later.start_year

),

cohort_sizes as (

    select
        territory_level,
        school_year,
        region_code,
        province_code,
        cycle_code,
        count(*) as cohort_size

    from cohorts

    group by territory_level, school_year, region_code, province_code, cycle_code

),

true_cohort as (

    select
        territory_level,
        school_year,
        region_code,
        province_code,
        cycle_code,
        grade_in_cycle,
        count(*) as cohort_reached

    from reached

    group by territory_level, school_year, region_code, province_code, cycle_code, grade_in_cycle

),

grid as (

    select
        cohort_sizes.territory_level,
        cohort_sizes.school_year,
        cohort_sizes.region_code,
        cohort_sizes.province_code,
        cohort_sizes.cycle_code,
        cohort_sizes.cohort_size,
        levels.level_code,
        levels.grade_in_cycle

    from cohort_sizes

    inner join levels
        on cohort_sizes.cycle_code = levels.cycle_code

),

final as (

    select
        grid.territory_level,
        grid.school_year,
        grid.region_code,
        grid.province_code,
        grid.cycle_code,
        grid.level_code,
        grid.grade_in_cycle,
        reconstructed.reconstructed_survival_rate,
        grid.cohort_size,
        coalesce(true_cohort.cohort_reached, 0) as cohort_reached,
        last_year.last_start_year - cast(substr(grid.school_year, 1, 4) as integer) as cohort_years_observed,
        case
            when last_year.last_start_year - cast(substr(grid.school_year, 1, 4) as integer)
                >= grid.grade_in_cycle - 1
                then round(coalesce(true_cohort.cohort_reached, 0) / grid.cohort_size, 6)
        end as true_cohort_survival_rate

    from grid

    cross join last_year

    left join reconstructed
        on
            grid.territory_level = reconstructed.territory_level
            and grid.school_year = reconstructed.school_year
            and grid.region_code is not distinct from reconstructed.region_code
            and grid.province_code is not distinct from reconstructed.province_code
            and grid.cycle_code = reconstructed.cycle_code
            and grid.grade_in_cycle = reconstructed.grade_in_cycle

    left join true_cohort
        on
            grid.territory_level = true_cohort.territory_level
            and grid.school_year = true_cohort.school_year
            and grid.region_code is not distinct from true_cohort.region_code
            and grid.province_code is not distinct from true_cohort.province_code
            and grid.cycle_code = true_cohort.cycle_code
            and grid.grade_in_cycle = true_cohort.grade_in_cycle

)

select * from final
