{#-
    Current state of the roll calls (macro lake_current_state). The folder may hold no file yet (a lake
    loaded before the entity existed): then an empty, typed relation.
-#}
{%- set roll_calls = source('massar', 'roll_calls') -%}

with

source as (

    {% if lake_source_has_files(roll_calls) -%}
        {{ lake_current_state(
            roll_calls, 'roll_calls', ['school_year', 'class_code', 'roll_call_date', 'half_day']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as class_code,
            cast(null as date) as roll_call_date,
            cast(null as bigint) as half_day,
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
        cast(roll_call_date as date) as roll_call_date,
        cast(half_day as bigint) as half_day,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
