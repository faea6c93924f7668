{#-
    One row per pupil and school year with at least one enrollment record that the warehouse lost:
    a row rejected to the quarantine, or a record deleted by a deletion file. Such a pupil-year shows
    that the pupil was in the system that year even when no accepted record is left. A quarantined
    row traces a pupil only when its student code and school year can be read from the rejected text
    (raw): a row whose code is blank or cut cannot be matched to any pupil.
-#}

with

quarantine as (

    select * from {{ ref('stg_massar__enrollment_quarantine') }}

),

deletions as (

    select * from {{ ref('stg_massar__deletions') }}

    where entity = 'enrollments'

),

quarantined as (

    select
        trim({{ json_text('raw', "'$.student_code'") }}) as student_code,
        trim({{ json_text('raw', "'$.school_year'") }}) as school_year,
        true as is_quarantined,
        false as is_deleted

    from quarantine

),

deleted as (

    select
        student_code,
        school_year,
        false as is_quarantined,
        true as is_deleted

    from deletions

),

lost as (

    select * from quarantined

    union all

    select * from deleted

),

final as (

    select
        student_code,
        school_year,
        bool_or(is_quarantined) as has_quarantined_record,
        bool_or(is_deleted) as has_deleted_record

    from lost

    where
        student_code != ''
        and {{ regex_full_match('school_year', '[0-9]{4}-[0-9]{4}') }}

    group by student_code, school_year

)

select * from final
