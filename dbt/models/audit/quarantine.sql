with

quarantine as (

    select * from {{ ref('stg_massar__quarantine') }}

),

final as (

    select
        _batch_id as batch_id,
        entity,
        school_year,
        region_code,
        _source_file as source_file,
        _line_number as line_number,
        reason_code,
        message

    from quarantine

)

select * from final
