{#-
    Current state of the certificate exam results (macro lake_current_state). The folder may hold no
    file yet: then an empty, typed relation. exam_year (optional) is null in a lake written before it
    existed.
-#}
{%- set exam_results = source('massar', 'exam_results') -%}

with

source as (

    {% if lake_source_has_files(exam_results) -%}
        {{ lake_current_state(
            exam_results, 'exam_results',
            ['school_year', 'student_code', 'exam_code', 'exam_session', 'subject_code'],
            optional_columns={'exam_year': 'varchar'}
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as student_code,
            cast(null as varchar) as exam_code,
            cast(null as varchar) as exam_session,
            cast(null as varchar) as subject_code,
            cast(null as date) as exam_date,
            cast(null as double) as grade,
            cast(null as varchar) as missed_code,
            cast(null as varchar) as exam_year,
            cast(null as date) as _drop_date,
            cast(null as varchar) as _batch_id
        where false
    {%- endif %}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(student_code as varchar)) as student_code,
        trim(cast(exam_code as varchar)) as exam_code,
        trim(cast(exam_session as varchar)) as exam_session,
        trim(cast(subject_code as varchar)) as subject_code,
        cast(exam_date as date) as exam_date,
        cast(grade as double) as grade,
        nullif(trim(cast(missed_code as varchar)), '') as missed_code,
        nullif(trim(cast(exam_year as varchar)), '') as exam_year,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
