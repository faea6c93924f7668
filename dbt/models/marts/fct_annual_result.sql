{#-
    One row per pupil and school year with grades: the annual average (semester general averages
    weighted by var('semester1_weight') / var('semester2_weight'), renormalized over the semesters
    present; exact decimals, rounded half up to 2 decimals), the rank in the class on that rounded
    average, and the end-of-year decision by the cycle's threshold (seed decision_thresholds): promote
    when the rounded annual average reaches it, else repeat; a cycle without threshold (preschool) always
    promotes; no decision without an average.
-#}

with

semesters as (

    select * from {{ ref('fct_semester_result') }}

),

levels as (

    select * from {{ ref('dim_level') }}

),

pivoted as (

    select
        student_key,
        school_year,
        {{ value_at_max('class_code', 'semester') }} as class_code,
        {{ value_at_max('school_code', 'semester') }} as school_code,
        {{ value_at_max('region_code', 'semester') }} as region_code,
        {{ value_at_max('level_code', 'semester') }} as level_code,
        max(general_average) filter (where semester = 1) as semester1_average,
        max(general_average) filter (where semester = 2) as semester2_average

    from semesters

    group by student_key, school_year

),

averaged as (

    select
        *,
        {{ rounded_weighted_mean_of_present([
            ('semester1_average', var('semester1_weight')),
            ('semester2_average', var('semester2_weight')),
        ]) }} as annual_average

    from pivoted

),

final as (

    select
        averaged.*,
        case
            when averaged.annual_average is not null
                then rank() over (
                        partition by
                            averaged.school_year, averaged.class_code, averaged.annual_average is null
                        -- the average is rounded to 2 decimals: equal averages tie exactly
                        order by averaged.annual_average desc
                    )
        end as rank_in_class,
        levels.cycle_code,
        levels.promote_min_annual_average,
        case
            when levels.level_code is not null and levels.promote_min_annual_average is null then 'promote'
            when averaged.annual_average is null then null
            when
                {{ reaches_mark('averaged.annual_average', 'levels.promote_min_annual_average') }}
                then 'promote'
            else 'repeat'
        end as decision

    from averaged

    left join levels
        on averaged.level_code = levels.level_code

)

select * from final
