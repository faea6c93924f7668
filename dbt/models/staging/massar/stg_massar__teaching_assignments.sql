{#- Current state of the entity: latest version per primary key, deletions applied
    (macro lake_current_state). -#}
with

source as (

    {{ lake_current_state(
        source('massar', 'teaching_assignments'), 'teaching_assignments',
        ['school_year', 'teacher_code', 'class_code', 'subject_code']
    ) }}

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
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
