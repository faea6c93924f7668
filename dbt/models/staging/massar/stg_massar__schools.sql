with

source as (

    select * from {{ source('massar', 'schools') }}

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
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
