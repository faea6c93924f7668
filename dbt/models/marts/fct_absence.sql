{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['school_year', 'region_code'],
        on_schema_change='fail',
        pre_hook="{{ delete_vanished_partitions(ref('stg_massar__absences'), ['school_year', 'region_code']) }}",
    )
}}

with

absences as (

    select * from {{ ref('stg_massar__absences') }}

),

final as (

    select
        {{ student_key('student_code') }} as student_key,
        school_year,
        absence_date,
        session_number,
        school_code,
        class_code,
        region_code,
        justified,
        reason_code

    from absences

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
