{#- One row per pupil (pseudonymous key), school year and social-support programme (doc block). -#}

with

support as (

    select * from {{ ref('stg_massar__social_support') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

programmes as (

    select * from {{ ref('code_social_programmes') }}

),

final as (

    select
        {{ student_key('support.student_code') }} as student_key,
        support.school_year,
        support.programme_code,
        support.school_code,
        support.region_code,
        schools.province_code,
        schools.sector,
        schools.area,
        schools.cycle_code,
        programmes.kind as programme_kind,
        programmes.conditioned_on_attendance,
        support.start_date,
        support.amount_mad

    from support

    left join schools
        on support.school_year = schools.school_year and support.school_code = schools.school_code

    left join programmes on support.programme_code = programmes.programme_code

)

select * from final
