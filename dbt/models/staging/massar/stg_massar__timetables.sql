{#-
    Current state of the weekly timetables (macro lake_current_state). The folder may hold no file
    yet: then an empty, typed relation.
-#}
{%- set timetables = source('massar', 'timetables') -%}

with

source as (

    {% if lake_source_has_files(timetables) -%}
        {{ lake_current_state(
            timetables, 'timetables', ['school_year', 'class_code', 'weekday', 'session_number']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as class_code,
            cast(null as bigint) as weekday,
            cast(null as bigint) as session_number,
            cast(null as varchar) as subject_code,
            cast(null as varchar) as teacher_code,
            cast(null as varchar) as classroom_code,
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
        trim(cast(class_code as varchar)) as class_code,
        cast(weekday as bigint) as weekday,
        cast(session_number as bigint) as session_number,
        trim(cast(subject_code as varchar)) as subject_code,
        nullif(trim(cast(teacher_code as varchar)), '') as teacher_code,
        nullif(trim(cast(classroom_code as varchar)), '') as classroom_code,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
