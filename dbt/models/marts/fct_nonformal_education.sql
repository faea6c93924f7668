{#-
    One row per beneficiary of a second-chance programme and school year, pseudonymous, with the outcome
    and, for a return to formal schooling, whether Massar enrolls the returning pupil code the next year
    (doc block fct_nonformal_education).
-#}

with

register as (

    select * from {{ ref('stg_massar__nonformal_education') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

outcomes as (

    select * from {{ ref('code_nonformal_outcomes') }}

),

enrollment as (

    select * from {{ ref('fct_enrollment') }}

),

loaded_years as (

    select distinct school_year from enrollment

),

keyed as (

    select
        {{ student_key("register.region_code || '|' || register.beneficiary_code") }} as beneficiary_key,
        case
            when register.former_student_code is not null
                then {{ student_key('register.former_student_code') }}
        end as former_student_key,
        case
            when register.return_student_code is not null
                then {{ student_key('register.return_student_code') }}
        end as return_student_key,
        cast(cast(substr(register.school_year, 1, 4) as integer) + 1 as {{ string_type() }})
        || '-'
        || cast(cast(substr(register.school_year, 1, 4) as integer) + 2 as {{ string_type() }})
            as next_school_year,
        register.*

    from register

),

final as (

    select
        keyed.beneficiary_key,
        keyed.school_year,
        keyed.school_code,
        keyed.region_code,
        schools.province_code,
        schools.area,
        keyed.sex,
        year(keyed.start_date) - keyed.birth_year as age_at_start,
        keyed.programme_code,
        keyed.start_date,
        keyed.end_date,
        keyed.outcome_code,
        outcomes.is_exit,
        outcomes.is_return_formal,
        keyed.former_student_key is not null as is_former_pupil,
        keyed.former_student_key,
        keyed.return_student_key,
        keyed.return_level_code,
        case
            when not outcomes.is_return_formal then null
            when next_year.school_year is null then null
            else next_enrollment.student_key is not null
        end as return_confirmed

    from keyed

    left join schools
        on keyed.school_year = schools.school_year and keyed.school_code = schools.school_code

    left join outcomes on keyed.outcome_code = outcomes.outcome_code

    left join loaded_years as next_year on keyed.next_school_year = next_year.school_year

    left join enrollment as next_enrollment
        on
            keyed.return_student_key = next_enrollment.student_key
            and keyed.next_school_year = next_enrollment.school_year

)

select * from final
