{#- Current state of the entity: latest version per primary key, deletions applied
    (macro lake_current_state). -#}
with

source as (

    {{ lake_current_state(
        source('massar', 'schools'), 'schools',
        ['school_year', 'school_code']
    ) }}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(province_code as varchar)) as province_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(school_name_fr as varchar)) as school_name_fr,
        trim(cast(school_name_ar as varchar)) as school_name_ar,
        trim(cast(sector as varchar)) as sector,
        trim(cast(area as varchar)) as area,
        trim(cast(cycle_code as varchar)) as cycle_code,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
