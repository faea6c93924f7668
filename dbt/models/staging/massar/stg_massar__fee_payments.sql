{#-
    Current state of the fee payments (receipts) (macro lake_current_state). The folder may hold no file yet: then an
    empty, typed relation.
-#}
{%- set fee_payments = source('massar', 'fee_payments') -%}

with

source as (

    {% if lake_source_has_files(fee_payments) -%}
        {{ lake_current_state(
            fee_payments, 'fee_payments', ['school_year', 'receipt_number']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as receipt_number,
            cast(null as varchar) as student_code,
            cast(null as varchar) as fee_code,
            cast(null as date) as payment_date,
            cast(null as double) as amount_due_mad,
            cast(null as double) as amount_paid_mad,
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
        trim(cast(receipt_number as varchar)) as receipt_number,
        trim(cast(student_code as varchar)) as student_code,
        trim(cast(fee_code as varchar)) as fee_code,
        cast(payment_date as date) as payment_date,
        cast(amount_due_mad as double) as amount_due_mad,
        cast(amount_paid_mad as double) as amount_paid_mad,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
