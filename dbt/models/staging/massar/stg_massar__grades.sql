with

source as (

    select * from {{ source('massar', 'grades') }}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(class_code as varchar)) as class_code,
        trim(cast(student_code as varchar)) as student_code,
        trim(cast(subject_code as varchar)) as subject_code,
        cast(semester as bigint) as semester,
        trim(cast(assessment_type as varchar)) as assessment_type,
        cast(assessment_date as date) as assessment_date,
        cast(grade as double) as grade,
        nullif(trim(cast(missed_code as varchar)), '') as missed_code,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
