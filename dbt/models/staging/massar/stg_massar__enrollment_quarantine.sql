{#-
    The enrollment rows rejected by the ingestion; an empty, typed relation when none was rejected yet.
-#}
{%- set quarantine = source('massar', 'enrollment_quarantine') -%}

with

source as (

    {% if lake_source_has_files(quarantine) -%}
        select * from {{ quarantine }}
    {%- else -%}
        select
            cast(null as {{ string_type() }}) as _batch_id,
            cast(null as {{ string_type() }}) as _source_file,
            cast(null as bigint) as _line_number,
            cast(null as {{ string_type() }}) as reason_code,
            cast(null as {{ string_type() }}) as raw,
            cast(null as {{ string_type() }}) as school_year,
            cast(null as {{ string_type() }}) as region_code
        where false
    {%- endif %}

),

renamed as (

    select
        trim(cast(school_year as {{ string_type() }})) as school_year,
        trim(cast(region_code as {{ string_type() }})) as region_code,
        cast(_batch_id as {{ string_type() }}) as _batch_id,
        cast(_source_file as {{ string_type() }}) as _source_file,
        cast(_line_number as bigint) as _line_number,
        trim(cast(reason_code as {{ string_type() }})) as reason_code,
        cast(raw as {{ string_type() }}) as raw

    from source

)

select * from renamed
