{#-
    One row per stay of a pupil in a school during a school year (all stays, not only the last).

    A stay is a period in one school. The movement's direction comes from the code_enrollment_events seed:
    an `in` movement (entry, re_enrollment, transfer_in) opens a stay; the first `out` movement
    (transfer_out, dropout) in the same school, on or after the opening date and before the next
    opening in that school, closes it and gives its exit_type. An `out` movement that closes no
    opening (the opening was not exported) still makes a stay, with no entry date.
-#}

with

enrollments as (

    select * from {{ ref('stg_massar__enrollments') }}

),

enrollment_events as (

    select * from {{ ref('code_enrollment_events') }}

),

movements as (

    select
        enrollments.school_year,
        enrollments.student_code,
        enrollments.region_code,
        enrollments.school_code,
        enrollments.class_code,
        enrollments.level_code,
        enrollments.event_type,
        enrollments.event_date,
        enrollment_events.direction

    from enrollments

    inner join enrollment_events
        on enrollments.event_type = enrollment_events.event_type

),

openings as (

    select
        *,
        lead(event_date) over (
            partition by school_year, student_code, school_code
            order by event_date, event_type
        ) as next_opening_date

    from movements

    where direction = 'in'

),

closings as (

    select * from movements

    where direction = 'out'

),

opened_candidates as (

    -- each opening with every closing after it (before the next opening), the earliest first
    select
        openings.school_year,
        openings.student_code,
        openings.region_code,
        openings.school_code,
        openings.class_code,
        openings.level_code,
        openings.event_type as entry_type,
        openings.event_date as entry_date,
        closings.event_type as exit_type,
        closings.event_date as exit_date,
        row_number() over (
            partition by
                openings.school_year,
                openings.student_code,
                openings.school_code,
                openings.event_date,
                openings.event_type
            order by closings.event_date, closings.event_type
        ) as closing_rank

    from openings

    left join closings
        on
            openings.school_year = closings.school_year
            and openings.student_code = closings.student_code
            and openings.school_code = closings.school_code
            and openings.event_date <= closings.event_date
            and (
                openings.next_opening_date is null
                or openings.next_opening_date > closings.event_date
            )

),

opened_stays as (

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

    from opened_candidates

    where closing_rank = 1

),

unmatched_closings as (

    select
        closings.school_year,
        closings.student_code,
        closings.region_code,
        closings.school_code,
        closings.class_code,
        closings.level_code,
        cast(null as {{ string_type() }}) as entry_type,
        cast(null as date) as entry_date,
        closings.event_type as exit_type,
        closings.event_date as exit_date

    from closings

    left join opened_stays
        on
            closings.school_year = opened_stays.school_year
            and closings.student_code = opened_stays.student_code
            and closings.school_code = opened_stays.school_code
            and closings.event_type = opened_stays.exit_type
            and closings.event_date = opened_stays.exit_date

    where opened_stays.student_code is null

),

stays as (

    select * from opened_stays

    union all

    select * from unmatched_closings

)

select * from stays
