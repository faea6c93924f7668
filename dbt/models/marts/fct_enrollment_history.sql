{#-
    Type-2 history of a pupil's school and class within each school year: one row per stay
    (int_enrollment__stays), valid from its entry date (or the first day of the year when the opening
    was not exported) to its exit date, cut the day before the pupil's next stay starts; a stay still
    open runs to the last day of the year. "Where was pupil P enrolled on date D" is the row with
    valid_from <= D <= valid_to (is_current marks each pupil-year's last stay).
-#}

with

stays as (

    select * from {{ ref('int_enrollment__stays') }}

),

calendar as (

    select * from {{ ref('school_calendar') }}

),

bounded as (

    select
        stays.*,
        coalesce(stays.entry_date, calendar.first_day) as valid_from_raw,
        coalesce(stays.exit_date, calendar.last_day) as valid_to_raw

    from stays

    left join calendar
        on stays.school_year = calendar.school_year

),

ordered as (

    select
        *,
        lead(valid_from_raw) over (
            partition by school_year, student_code
            -- a total order (class and level last): every build cuts and marks the same stays
            order by valid_from_raw, valid_to_raw, school_code, class_code, level_code
        ) as next_valid_from,
        row_number() over (
            partition by school_year, student_code
            order by
                valid_from_raw desc, valid_to_raw desc, school_code desc, class_code desc, level_code desc
        ) = 1 as is_current

    from bounded

),

final as (

    select
        {{ student_key('student_code') }} as student_key,
        school_year,
        school_code,
        class_code,
        level_code,
        region_code,
        entry_type,
        exit_type,
        valid_from_raw as valid_from,
        case
            when next_valid_from is not null and next_valid_from <= valid_to_raw
                then {{ add_days('next_valid_from', -1) }}
            else valid_to_raw
        end as valid_to,
        is_current

    from ordered

)

select * from final
