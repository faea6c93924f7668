with

pupil_years as (

    select * from {{ ref('int_enrollment__pupil_year') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

pupils as (

    select * from {{ ref('stg_massar__pupils') }}

),

latest_pupils as (

    select * from {{ ref('int_pupil__latest') }}

),

levels as (

    select * from {{ ref('levels') }}

),

final as (

    select
        {{ student_key('pupil_years.student_code') }} as student_key,
        pupil_years.school_year,
        pupil_years.school_code,
        pupil_years.class_code,
        pupil_years.level_code,
        levels.cycle_code,
        pupil_years.region_code,
        schools.province_code,
        coalesce(pupils.sex, latest_pupils.sex) as sex,
        schools.sector,
        schools.area,
        pupil_years.entry_date,
        pupil_years.exit_date,
        pupil_years.exit_type

    from pupil_years

    left join schools
        on
            pupil_years.school_year = schools.school_year
            and pupil_years.school_code = schools.school_code

    left join pupils
        on
            pupil_years.school_year = pupils.school_year
            and pupil_years.student_code = pupils.student_code

    left join latest_pupils
        on pupil_years.student_code = latest_pupils.student_code

    left join levels
        on pupil_years.level_code = levels.level_code

)

select * from final
