{#-
    Current state of the fee schedules (contributions configured per school) (macro lake_current_state). The folder may hold no file yet: then an
    empty, typed relation.
-#}
{%- set fee_schedules = source('massar', 'fee_schedules') -%}

with

source as (

    {% if lake_source_has_files(fee_schedules) -%}
        {{ lake_current_state(
            fee_schedules, 'fee_schedules', ['school_year', 'school_code', 'fee_code']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as fee_code,
            cast(null as double) as amount_mad,
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
        trim(cast(fee_code as varchar)) as fee_code,
        cast(amount_mad as double) as amount_mad,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
