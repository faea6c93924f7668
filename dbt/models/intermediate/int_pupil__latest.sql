{#-
    One row per pupil (student_code): the pupil's record of the latest school year, plus the first
    school year the pupil appears in. A pupil recorded by two regions in the same year (should not
    happen: the contract key is (school_year, student_code)) keeps the higher region code's record.
-#}

with

pupils as (

    select * from {{ ref('stg_massar__pupils') }}

),

ranked as (

    select
        student_code,
        school_year as last_school_year,
        min(school_year) over (partition by student_code) as first_school_year,
        region_code,
        last_name_ar,
        first_name_ar,
        last_name_fr,
        first_name_fr,
        sex,
        birth_date,
        guardian_name,
        parent_secret_hash,
        row_number() over (
            partition by student_code
            order by school_year desc, region_code desc, _batch_id desc
        ) as recency_rank

    from pupils

),

latest as (

    select
        student_code,
        last_school_year,
        first_school_year,
        region_code,
        last_name_ar,
        first_name_ar,
        last_name_fr,
        first_name_fr,
        sex,
        birth_date,
        guardian_name,
        parent_secret_hash

    from ranked

    where recency_rank = 1

)

select * from latest
