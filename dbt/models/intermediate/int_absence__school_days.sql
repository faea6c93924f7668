{#-
    Absence sessions recorded per school and day (only days with at least one absence row): the
    "did the school record" signal of agg_recording_compliance, kept small (schools x days instead of
    the absence sessions) and incremental like fct_absence (macros/incremental_partitions.sql): a run
    rewrites only the (school_year, absence_date) partitions touched by new lake batches, so a daily
    build aggregates one day instead of the year.
-#}
{%- set partition_by = ['school_year', 'absence_date'] -%}
{%- set changes = incremental_lake_changes(
    entities=['absences'],
    partition_by=partition_by,
) -%}
{{ lake_incremental_config(partition_by=partition_by) }}

with

absences as (

    select * from {{ ref('fct_absence') }}

    where {{ lake_changes_filter(changes, partition_by, {'absence_date': 'date'}) }}

),

final as (

    select
        school_year,
        school_code,
        absence_date,
        count(*) as absence_sessions,
        count(distinct class_code) as classes_with_absence

    from absences

    group by school_year, school_code, absence_date

)

select * from final
