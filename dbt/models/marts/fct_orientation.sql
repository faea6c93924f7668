{#- One row per pupil oriented at the end of 3AC or TC and school year, pseudonymous (doc block). -#}

with

orientation as (

    select * from {{ ref('stg_massar__orientation') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

pupils as (

    select * from {{ ref('stg_massar__pupils') }}

),

final as (

    select
        {{ student_key('orientation.student_code') }} as student_key,
        orientation.school_year,
        orientation.level_code,
        orientation.school_code,
        orientation.class_code,
        orientation.region_code,
        schools.province_code,
        schools.sector,
        schools.area,
        pupils.sex,
        orientation.wish_1,
        orientation.wish_2,
        orientation.wish_3,
        orientation.stream_granted,
        orientation.decision_date,
        orientation.stream_granted is not null as is_oriented,
        case
            when orientation.stream_granted is null then null
            when orientation.stream_granted = orientation.wish_1 then 1
            when orientation.stream_granted = orientation.wish_2 then 2
            when orientation.stream_granted = orientation.wish_3 then 3
            else 0
        end as granted_wish_rank

    from orientation

    left join schools
        on orientation.school_year = schools.school_year and orientation.school_code = schools.school_code

    left join pupils
        on orientation.school_year = pupils.school_year and orientation.student_code = pupils.student_code

)

select * from final
