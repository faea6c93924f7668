{#-
    Gender parity index (GPI = rate for girls / rate for boys, UIS) of each rate, by school year x
    region (and 'all levels'): promotion, repetition, dropout and transition (agg_flow_rates),
    bac and 3AC pass rates (agg_exam_results), chronic absenteeism (agg_attendance). Rates are
    recomputed from the summed counts of each sex.
-#}

with

flows as (

    select * from {{ ref('agg_flow_rates') }}

),

exams as (

    select * from {{ ref('agg_exam_results') }}

),

attendance as (

    select * from {{ ref('agg_attendance') }}

),

{#- flow rates on the UIS base of agg_flow_rates: (indicator, numerator column) -#}
{%- set flow_rates = [
    ('promotion_rate', 'promoted'),
    ('repetition_rate', 'repeated'),
    ('dropout_rate', 'dropped_out'),
] %}

counts as (

    {% for indicator, numerator in flow_rates %}
        select
            school_year,
            region_code,
            sex,
            '{{ indicator }}' as indicator,
            sum({{ numerator }}) as numerator,
            sum(rate_base) as denominator
        from flows
        group by school_year, region_code, sex

        union all

    {% endfor %}
    select
        school_year,
        region_code,
        sex,
        'transition_rate' as indicator,
        sum(promoted) as numerator,
        sum(rate_base - repeated) as denominator
    from flows
    where transition_rate is not null
    group by school_year, region_code, sex

    union all

    select
        school_year,
        region_code,
        sex,
        lower(certificate_code) || '_pass_rate' as indicator,
        sum(passed) as numerator,
        sum(candidates_complete) as denominator
    from exams
    group by school_year, region_code, sex, certificate_code

    union all

    select
        school_year,
        region_code,
        sex,
        'chronic_absenteeism_rate' as indicator,
        sum(chronically_absent) as numerator,
        sum(pupils_classified) as denominator
    from attendance
    group by school_year, region_code, sex

),

by_sex as (

    select
        school_year,
        region_code,
        indicator,
        sum(numerator) filter (where sex = 'F') / nullif(sum(denominator) filter (where sex = 'F'), 0)
            as rate_female,
        sum(numerator) filter (where sex = 'M') / nullif(sum(denominator) filter (where sex = 'M'), 0)
            as rate_male

    from counts

    group by school_year, region_code, indicator

),

final as (

    select
        *,
        rate_female / nullif(rate_male, 0) as gender_parity_index

    from by_sex

)

select * from final
