{#- One row per subject (seed code_subjects), with the levels it has a coefficient in. -#}

with

subjects as (

    select * from {{ ref('code_subjects') }}

),

coefficients as (

    select * from {{ ref('subject_coefficients') }}

),

levels_with_coefficient as (

    select
        subject_code,
        {{ sorted_distinct_join('level_code', "','") }} as coefficient_levels

    from coefficients

    group by subject_code

),

final as (

    select
        subjects.subject_code,
        subjects.label_fr as subject_label_fr,
        subjects.label_ar as subject_label_ar,
        levels_with_coefficient.coefficient_levels

    from subjects

    left join levels_with_coefficient
        on subjects.subject_code = levels_with_coefficient.subject_code

)

select * from final
