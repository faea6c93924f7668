{#-
    Second-chance programmes: beneficiaries by school year x school x programme x sex x outcome, with the
    outcome's flags (doc block agg_nonformal_education).
-#}

with

beneficiaries as (

    select * from {{ ref('fct_nonformal_education') }}

),

final as (

    select
        school_year,
        region_code,
        province_code,
        school_code,
        programme_code,
        sex,
        outcome_code,
        is_exit,
        is_return_formal,
        count(*) as beneficiaries,
        count(*) filter (where is_former_pupil) as former_pupils,
        count(*) filter (where return_confirmed) as returns_confirmed

    from beneficiaries

    group by
        school_year, region_code, province_code, school_code, programme_code, sex, outcome_code, is_exit,
        is_return_formal

)

select * from final
