{#-
    Current state of the orientation records (macro lake_current_state). The folder may hold no file yet:
    then an empty, typed relation.
-#}
{%- set orientation = source('massar', 'orientation') -%}

with

source as (

    {% if lake_source_has_files(orientation) -%}
        {{ lake_current_state(orientation, 'orientation', ['school_year', 'student_code']) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as class_code,
            cast(null as varchar) as student_code,
            cast(null as varchar) as level_code,
            cast(null as varchar) as wish_1,
            cast(null as varchar) as wish_2,
            cast(null as varchar) as wish_3,
            cast(null as varchar) as stream_granted,
            cast(null as date) as decision_date,
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
        trim(cast(student_code as varchar)) as student_code,
        trim(cast(level_code as varchar)) as level_code,
        nullif(trim(cast(wish_1 as varchar)), '') as wish_1,
        nullif(trim(cast(wish_2 as varchar)), '') as wish_2,
        nullif(trim(cast(wish_3 as varchar)), '') as wish_3,
        nullif(trim(cast(stream_granted as varchar)), '') as stream_granted,
        cast(decision_date as date) as decision_date,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
