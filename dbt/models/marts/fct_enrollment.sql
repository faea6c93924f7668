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

    select * from {{ ref('code_levels') }}

),

lost_records as (

    -- pupil-years known from quarantined or deleted enrollment records only (data lost, not pupils)
    select * from {{ ref('int_enrollment__lost_records') }}

),

traces as (

    -- every year in which the pupil is known to be in the system: accepted or lost records
    select distinct
        all_traces.student_code,
        cast(substr(all_traces.school_year, 1, 4) as integer) as start_year

    from (
        select
            pupil_years.student_code,
            pupil_years.school_year
        from pupil_years
        union all
        -- only years with accepted records: a lost row's stray year traces nobody
        select
            lost_records.student_code,
            lost_records.school_year
        from lost_records
        where lost_records.school_year in (select pupil_years.school_year from pupil_years)
    ) as all_traces

),

next_traces as (

    -- for each traced year, the next year in which the pupil is traced again
    select
        student_code,
        start_year,
        lead(start_year) over (partition by student_code order by start_year) as next_traced_start_year

    from traces

),

years as (

    -- school years present in the data: the last one has no observed next year (flows censored)
    select max(school_year) as last_school_year from pupil_years

),

with_neighbours as (

    select
        pupil_years.*,
        cast(substr(pupil_years.school_year, 1, 4) as integer) as start_year,
        levels.level_order,
        levels.next_level_code is null as is_final_level,
        min(pupil_years.school_year) over (partition by pupil_years.student_code) as first_school_year,
        next_traces.next_traced_start_year

    from pupil_years

    left join levels
        on pupil_years.level_code = levels.level_code

    left join next_traces
        on
            pupil_years.student_code = next_traces.student_code
            and cast(substr(pupil_years.school_year, 1, 4) as integer) = next_traces.start_year

),

flows as (

    select
        current_year.*,
        previous_year.level_code as previous_level_code,
        next_year.level_code as next_level_code_observed,
        -- status of the year (see docs/marts.md): exits first, then completion, then how the pupil came in
        case
            when current_year.exit_type = 'dropout' then 'dropped_out'
            when current_year.exit_type = 'transfer_out' and next_year.student_code is null
                then 'transferred_out'
            when previous_year.student_code is not null
                and current_year.level_order > previous_year.level_order
                then 'promoted'
            when previous_year.student_code is not null then 'repeater'
            when current_year.entry_type = 'transfer_in' then 'transferred_in'
            when current_year.school_year > current_year.first_school_year then 're_entrant'
            else 'new_entrant'
        end as status,
        -- UIS flow from this year to the next (promotion / repetition / dropout rates); a pupil whose
        -- record of t+1 was lost, or who is back after t+1, is not traced: never a dropout
        case
            when next_year.student_code is not null and next_year.level_order > current_year.level_order
                then 'promoted'
            when next_year.student_code is not null then 'repeated'
            when current_year.school_year = years.last_school_year then null
            when current_year.next_traced_start_year is not null then 'not_traced'
            when current_year.exit_type = 'transfer_out' then 'transferred_out'
            when current_year.is_final_level and current_year.exit_type is null then 'completed'
            else 'dropped_out'
        end as next_year_flow,
        -- seen again after a year without any record: the dropout that t+1 alone showed is revised
        coalesce(
            next_year.student_code is null
            and current_year.next_traced_start_year > current_year.start_year + 1,
            false
        ) as is_dropout_revised

    from with_neighbours as current_year

    cross join years

    left join with_neighbours as previous_year
        on
            current_year.student_code = previous_year.student_code
            and current_year.start_year = previous_year.start_year + 1

    left join with_neighbours as next_year
        on
            current_year.student_code = next_year.student_code
            and current_year.start_year + 1 = next_year.start_year

),

final as (

    select
        {{ student_key('pupil_years.student_code') }} as student_key,
        pupil_years.school_year,
        -- the annual key: one per pupil and school year
        substr(
            {{ sha256_hex(student_key('pupil_years.student_code') ~ " || '|' || pupil_years.school_year") }},
            1,
            16
        ) as student_year_key,
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
        pupil_years.exit_type,
        pupil_years.entry_type,
        pupil_years.status,
        pupil_years.previous_level_code,
        pupil_years.next_year_flow,
        pupil_years.is_dropout_revised,
        pupil_years.next_level_code_observed

    from flows as pupil_years

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
