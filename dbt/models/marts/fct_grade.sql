{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['school_year', 'region_code'],
        on_schema_change='fail',
        pre_hook="{{ delete_vanished_partitions(ref('stg_massar__grades'), ['school_year', 'region_code']) }}",
    )
}}

with

grades as (

    select * from {{ ref('stg_massar__grades') }}

),

final as (

    select
        {{ student_key('student_code') }} as student_key,
        school_year,
        school_code,
        class_code,
        region_code,
        subject_code,
        semester,
        assessment_type,
        assessment_date,
        grade,
        missed_code

    from grades

),

changed_partitions as (

    -- all partitions on a full build; on an incremental run, those whose rows changed
    {{ changed_partitions('final', ['school_year', 'region_code']) }}

),

selected as (

    select final.*

    from final

    inner join changed_partitions
        on
            final.school_year = changed_partitions.school_year
            and final.region_code = changed_partitions.region_code

)

select * from selected
