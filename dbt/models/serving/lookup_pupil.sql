{{ config(materialized='table', database='restricted', schema='serving') }}

with

identity as (

    select * from {{ ref('student_identity') }}

),

ranked_enrollment as (

    select
        *,
        row_number() over (partition by student_key order by school_year desc) as recency_rank

    from {{ ref('fct_enrollment') }}

),

enrollment as (

    select * from ranked_enrollment

    where recency_rank = 1

),

schools as (

    select * from {{ ref('dim_school') }}

),

levels as (

    select * from {{ ref('dim_level') }}

),

annual as (

    select * from {{ ref('fct_annual_result') }}

),

decisions as (

    select * from {{ ref('code_decisions') }}

),

final as (

    select
        identity.student_code,
        identity.parent_secret_hash as secret_hash,
        enrollment.school_year,
        identity.first_name_fr,
        identity.last_name_fr,
        identity.first_name_ar,
        identity.last_name_ar,
        enrollment.school_code,
        schools.school_name_fr,
        schools.school_name_ar,
        schools.region_name_fr,
        schools.region_name_ar,
        schools.province_code,
        schools.province_name_fr,
        schools.province_name_ar,
        schools.direction_name_fr,
        schools.direction_name_ar,
        enrollment.level_code,
        levels.level_label_fr as level_fr,
        levels.level_label_ar as level_ar,
        enrollment.class_code,
        annual.annual_average,
        annual.decision,
        decisions.label_fr as decision_fr,
        decisions.label_ar as decision_ar

    from identity

    inner join enrollment
        on identity.student_key = enrollment.student_key

    left join schools
        on enrollment.school_code = schools.school_code

    left join levels
        on enrollment.level_code = levels.level_code

    left join annual
        on
            enrollment.student_key = annual.student_key
            and enrollment.school_year = annual.school_year

    left join decisions
        on annual.decision = decisions.decision

    where identity.parent_secret_hash is not null

)

select * from final
