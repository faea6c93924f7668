{#-
    Deletions of source records, one row per deleted key, with every entity's key columns (null where
    the entity has no such column). The folder may hold no file at all (no deletion yet): then an
    empty, typed relation. `UNION ALL BY NAME` with a typed empty relation guarantees every key
    column exists even when no deletion file of an entity having it was written.
-#}
{%- set deletions = source('massar', 'deletions') -%}
{#- key columns of domain entities (sources declaring meta.primary_key): macro lake_domain_key_columns -#}
{%- set domain_keys = lake_domain_key_columns(exclude=[
    'school_year', 'region_code', 'student_code', 'school_code', 'class_code', 'teacher_code',
    'subject_code', 'event_type', 'event_date', 'absence_date', 'session_number', 'semester',
    'assessment_type', 'exam_code', 'exam_session', 'weekday'
]) -%}

with

source as (

    {% if lake_source_has_files(deletions) -%}
        select * from {{ deletions }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as filename
        where false
    {%- endif %}

),

all_key_columns as (

    select * from source

    union all by name

    select
        cast(null as varchar) as school_year,
        cast(null as varchar) as region_code,
        cast(null as varchar) as filename,
        cast(null as varchar) as student_code,
        cast(null as varchar) as school_code,
        cast(null as varchar) as class_code,
        cast(null as varchar) as teacher_code,
        cast(null as varchar) as subject_code,
        cast(null as varchar) as event_type,
        cast(null as date) as event_date,
        cast(null as date) as absence_date,
        cast(null as bigint) as session_number,
        cast(null as bigint) as semester,
        cast(null as varchar) as assessment_type,
        cast(null as varchar) as exam_code,
        cast(null as varchar) as exam_session,
        cast(null as bigint) as weekday,
        {%- for name, type in domain_keys %}
            cast(null as {{ type }}) as {{ name }},
        {%- endfor %}
        cast(null as date) as _drop_date,
        cast(null as varchar) as _batch_id,
        cast(null as varchar) as _source_file,
        cast(null as bigint) as _line_number,
        cast(null as timestamp) as _loaded_at
    where false

),

renamed as (

    select
        -- the entity is the first folder under _deletions/ in the file's path
        regexp_extract(
            replace(filename, '\', '/'), '_deletions/([^/]+)/', 1
        ) as entity,
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(student_code as varchar)) as student_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(class_code as varchar)) as class_code,
        trim(cast(teacher_code as varchar)) as teacher_code,
        trim(cast(subject_code as varchar)) as subject_code,
        trim(cast(event_type as varchar)) as event_type,
        cast(event_date as date) as event_date,
        cast(absence_date as date) as absence_date,
        cast(session_number as bigint) as session_number,
        cast(semester as bigint) as semester,
        trim(cast(assessment_type as varchar)) as assessment_type,
        trim(cast(exam_code as varchar)) as exam_code,
        trim(cast(exam_session as varchar)) as exam_session,
        cast(weekday as bigint) as weekday,
        {%- for name, type in domain_keys %}
            cast({{ name }} as {{ type }}) as {{ name }},
        {%- endfor %}
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id,
        cast(_source_file as varchar) as _source_file,
        cast(_line_number as bigint) as _line_number,
        cast(_loaded_at as timestamp) as _loaded_at

    from all_key_columns

)

select * from renamed
