{#- Current state of the entity: latest version per primary key, deletions applied
    (macro lake_current_state). -#}
with

source as (

    {{ lake_current_state(
        source('massar', 'absences'), 'absences',
        ['school_year', 'student_code', 'absence_date', 'session_number']
    ) }}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(class_code as varchar)) as class_code,
        trim(cast(student_code as varchar)) as student_code,
        cast(absence_date as date) as absence_date,
        cast(session_number as bigint) as session_number,
        cast(justified as boolean) as justified,
        nullif(trim(cast(reason_code as varchar)), '') as reason_code,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
