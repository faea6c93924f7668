{#-
    Deletions of source records, one row per deleted key, with every entity's key columns (null where
    the entity has no such column). The folder may hold no file at all (no deletion yet): then an
    empty, typed relation. Macro with_columns (macros/portable) adds, as typed nulls, the key columns
    that no deletion file has (no deletion file of an entity having them was written).
-#}
{%- set deletions = source('massar', 'deletions') -%}
{#- key columns of domain entities (sources declaring meta.primary_key): macro lake_domain_key_columns -#}
{%- set domain_keys = lake_domain_key_columns(exclude=[
    'school_year', 'region_code', 'student_code', 'school_code', 'class_code', 'teacher_code',
    'subject_code', 'event_type', 'event_date', 'absence_date', 'session_number', 'semester',
    'assessment_type', 'exam_code', 'exam_session', 'weekday'
]) -%}

{#- every key column, so that each exists even when no deletion file of an entity having it was written -#}
{%- set key_columns = [
    ('school_year', 'varchar'), ('region_code', 'varchar'), ('filename', 'varchar'),
    ('student_code', 'varchar'), ('school_code', 'varchar'), ('class_code', 'varchar'),
    ('teacher_code', 'varchar'), ('subject_code', 'varchar'), ('event_type', 'varchar'),
    ('event_date', 'date'), ('absence_date', 'date'), ('session_number', 'bigint'), ('semester', 'bigint'),
    ('assessment_type', 'varchar'), ('exam_code', 'varchar'), ('exam_session', 'varchar'),
    ('weekday', 'bigint'),
] + domain_keys + [
    ('_drop_date', 'date'), ('_batch_id', 'varchar'), ('_source_file', 'varchar'),
    ('_line_number', 'bigint'), ('_loaded_at', 'timestamp'),
] -%}

with

all_key_columns as (

    {{ with_columns(deletions if lake_source_has_files(deletions) else none, key_columns) }}

),

renamed as (

    select
        -- the entity is the first folder under _deletions/ in the file's path
        {{ path_folder_after('filename', '_deletions') }} as entity,
        trim(cast(school_year as {{ string_type() }})) as school_year,
        trim(cast(region_code as {{ string_type() }})) as region_code,
        trim(cast(student_code as {{ string_type() }})) as student_code,
        trim(cast(school_code as {{ string_type() }})) as school_code,
        trim(cast(class_code as {{ string_type() }})) as class_code,
        trim(cast(teacher_code as {{ string_type() }})) as teacher_code,
        trim(cast(subject_code as {{ string_type() }})) as subject_code,
        trim(cast(event_type as {{ string_type() }})) as event_type,
        cast(event_date as date) as event_date,
        cast(absence_date as date) as absence_date,
        cast(session_number as bigint) as session_number,
        cast(semester as bigint) as semester,
        trim(cast(assessment_type as {{ string_type() }})) as assessment_type,
        trim(cast(exam_code as {{ string_type() }})) as exam_code,
        trim(cast(exam_session as {{ string_type() }})) as exam_session,
        cast(weekday as bigint) as weekday,
        {%- for name, type in domain_keys %}
            cast({{ name }} as {{ portable_type(type) }}) as {{ name }},
        {%- endfor %}
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as {{ string_type() }}) as _batch_id,
        cast(_source_file as {{ string_type() }}) as _source_file,
        cast(_line_number as bigint) as _line_number,
        cast(_loaded_at as timestamp) as _loaded_at

    from all_key_columns

)

select * from renamed
