with

pupils as (

    select * from {{ ref('int_pupil__latest') }}

),

final as (

    select
        {{ student_key('student_code') }} as student_key,
        sex,
        cast(year(birth_date) as integer) as birth_year,
        first_school_year

    from pupils

)

select * from final
