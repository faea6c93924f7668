with

load_log as (

    select * from {{ ref('stg_massar__load_log') }}

),

final as (

    select
        batch_id,
        entity,
        source_file,
        school_year,
        region_code,
        rows_in,
        rows_accepted,
        rows_quarantined,
        rows_rejected,
        blank_lines,
        status,
        message,
        loaded_at

    from load_log

)

select * from final
