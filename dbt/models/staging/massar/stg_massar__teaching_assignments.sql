with

source as (

    select * from {{ source('massar', 'teaching_assignments') }}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(teacher_code as varchar)) as teacher_code,
        trim(cast(class_code as varchar)) as class_code,
        trim(cast(subject_code as varchar)) as subject_code,
        cast(weekly_hours as double) as weekly_hours,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
