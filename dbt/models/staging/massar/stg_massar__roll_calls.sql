{#- Current state of the entity: latest version per primary key, deletions applied
    (macro lake_current_state). -#}
with

source as (

    {{ lake_current_state(
        source('massar', 'roll_calls'), 'roll_calls',
        ['school_year', 'class_code', 'roll_call_date', 'half_day']
    ) }}

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
