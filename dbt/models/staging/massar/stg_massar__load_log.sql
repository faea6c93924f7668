{#- The load-log folder may be empty (no ingestion yet): then an empty, typed relation. -#}
{%- set load_log = source('massar', 'load_log') -%}

with

source as (

    {% if lake_source_has_files(load_log) -%}
        -- a load log written before the rejected-lines and blank-lines counts existed lacks them
        {{ with_columns(load_log, [('rows_rejected', 'bigint'), ('blank_lines', 'bigint')]) }}
    {%- else -%}
        select
            cast(null as {{ string_type() }}) as batch_id,
            cast(null as {{ string_type() }}) as entity,
            cast(null as {{ string_type() }}) as source_file,
            cast(null as {{ string_type() }}) as school_year,
            cast(null as {{ string_type() }}) as region_code,
            cast(null as bigint) as rows_in,
            cast(null as bigint) as rows_accepted,
            cast(null as bigint) as rows_quarantined,
            cast(null as bigint) as rows_rejected,
            cast(null as bigint) as blank_lines,
            cast(null as {{ string_type() }}) as status,
            cast(null as {{ string_type() }}) as message,
            cast(null as timestamp) as loaded_at
        where false
    {%- endif %}

),

renamed as (

    select
        trim(cast(batch_id as {{ string_type() }})) as batch_id,
        trim(cast(entity as {{ string_type() }})) as entity,
        cast(source_file as {{ string_type() }}) as source_file,
        trim(cast(school_year as {{ string_type() }})) as school_year,
        trim(cast(region_code as {{ string_type() }})) as region_code,
        cast(rows_in as bigint) as rows_in,
        cast(rows_accepted as bigint) as rows_accepted,
        cast(rows_quarantined as bigint) as rows_quarantined,
        -- records written before these counts existed have none of either
        coalesce(cast(rows_rejected as bigint), 0) as rows_rejected,
        coalesce(cast(blank_lines as bigint), 0) as blank_lines,
        trim(cast(status as {{ string_type() }})) as status,
        cast(message as {{ string_type() }}) as message,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
