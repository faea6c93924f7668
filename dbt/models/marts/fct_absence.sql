{#-
    Incremental by changed date (macros/incremental_partitions.sql): a run rewrites only the
    (school_year, absence_date) partitions touched by the lake batches it has not taken into account yet
    (the day's drops, late corrections, deletions), so its cost follows the drop, not the history.
-#}
{%- set partition_by = ['school_year', 'absence_date'] -%}
{%- set changes = incremental_lake_changes(
    entities=['absences'],
    partition_by=partition_by,
    settings=var('pseudonym_salt'),
) -%}
{{ lake_incremental_config(partition_by=partition_by) }}

with

absences as (

    select * from {{ ref('stg_massar__absences') }}

    where {{ lake_changes_filter(changes, partition_by, {'absence_date': 'date'}) }}

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

)

select * from final
