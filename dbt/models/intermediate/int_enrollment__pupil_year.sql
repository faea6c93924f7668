{#-
    One row per pupil and school year: the pupil's last stay of the year (int_enrollment__stays).
    The last stay is the one that starts last (entry date, else exit date); on a tie, a stay still
    open wins, then the later exit, then the higher school code (then class, level, region, entry and
    exit types: a total order).
-#}

with

stays as (

    select * from {{ ref('int_enrollment__stays') }}

),

ranked_stays as (

    select
        school_year,
        student_code,
        region_code,
        school_code,
        class_code,
        level_code,
        entry_type,
        entry_date,
        exit_type,
        exit_date,
        row_number() over (
            partition by school_year, student_code
            order by
                coalesce(entry_date, exit_date) desc,
                exit_date desc nulls first,
                school_code desc,
                -- the rest of the row: a total order, so every build keeps the same stay
                class_code desc,
                level_code desc,
                region_code desc,
                entry_type desc,
                exit_type desc
        ) as stay_rank

    from stays

),

last_stays as (

    select
        school_year,
        student_code,
        region_code,
        school_code,
        class_code,
        level_code,
        entry_type,
        entry_date,
        exit_type,
        exit_date

    from ranked_stays

    where stay_rank = 1

)

select * from last_stays
