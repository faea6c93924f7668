{#- One row per school level, with its cycle (seeds code_levels and cycles) and decision threshold. -#}

with

levels as (

    select * from {{ ref('code_levels') }}

),

cycles as (

    select * from {{ ref('code_cycles') }}

),

thresholds as (

    select * from {{ ref('decision_thresholds') }}

),

final as (

    select
        levels.level_code,
        levels.label_fr as level_label_fr,
        levels.label_ar as level_label_ar,
        levels.level_order,
        levels.grade_in_cycle,
        levels.next_level_code,
        levels.sessions_per_day,
        levels.is_exam_level,
        levels.cycle_code,
        cycles.label_fr as cycle_label_fr,
        cycles.label_ar as cycle_label_ar,
        cycles.cycle_order,
        cycles.official_years as cycle_official_years,
        thresholds.promote_min_annual_average

    from levels

    left join cycles
        on levels.cycle_code = cycles.cycle_code

    left join thresholds
        on levels.cycle_code = thresholds.cycle_code

)

select * from final
