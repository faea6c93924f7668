with

quarantine as (

    select * from {{ ref('stg_massar__quarantine') }}

),

final as (

    select
        _batch_id as batch_id,
        _line_number as line_number,
        entity,
        raw

    from quarantine

)

select * from final
