{#- Current state of the entity: latest version per primary key, deletions applied
    (macro lake_current_state). -#}
with

source as (

    {{ lake_current_state(
        source('massar', 'teachers'), 'teachers',
        ['school_year', 'teacher_code']
    ) }}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(teacher_code as varchar)) as teacher_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(sex as varchar)) as sex,
        trim(cast(subject_code as varchar)) as subject_code,
        cast(statutory_hours as bigint) as statutory_hours,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
