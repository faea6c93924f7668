{#-
    Incremental by changed assessment (macros/incremental_partitions.sql): a run rewrites only the
    (school_year, semester, assessment_type, subject_code) partitions touched by the lake batches it has
    not taken into account yet (the day's grades, late corrections, deletions).
-#}
{%- set partition_by = ['school_year', 'semester', 'assessment_type', 'subject_code'] -%}
{%- set changes = incremental_lake_changes(
    entities=['grades'],
    partition_by=partition_by,
    settings=var('pseudonym_salt'),
) -%}
{{ lake_incremental_config(partition_by=partition_by) }}

with

grades as (

    select * from {{ ref('stg_massar__grades') }}

    where {{ lake_changes_filter(changes, partition_by, {'semester': 'bigint'}) }}

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

)

select * from final
