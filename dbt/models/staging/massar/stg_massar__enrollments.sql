{#- Current state of the entity: latest version per primary key, deletions applied
    (macro lake_current_state). -#}
with

source as (

    {{ lake_current_state(
        source('massar', 'enrollments'), 'enrollments',
        ['school_year', 'student_code', 'school_code', 'event_type', 'event_date']
    ) }}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(class_code as varchar)) as class_code,
        trim(cast(student_code as varchar)) as student_code,
        trim(cast(level_code as varchar)) as level_code,
        trim(cast(event_type as varchar)) as event_type,
        cast(event_date as date) as event_date,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
