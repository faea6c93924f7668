{#-
    Current state of the fee transfers (macro lake_current_state). The folder may hold no file yet: then an
    empty, typed relation.
-#}
{%- set fee_transfers = source('massar', 'fee_transfers') -%}

with

source as (

    {% if lake_source_has_files(fee_transfers) -%}
        {{ lake_current_state(
            fee_transfers, 'fee_transfers', ['school_year', 'school_code', 'fee_code', 'transfer_number']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as fee_code,
            cast(null as bigint) as transfer_number,
            cast(null as date) as transfer_date,
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
        cast(transfer_number as bigint) as transfer_number,
        cast(transfer_date as date) as transfer_date,
        cast(amount_mad as double) as amount_mad,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
