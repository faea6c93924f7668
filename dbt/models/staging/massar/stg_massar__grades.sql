{#- Current state of the entity: latest version per primary key, deletions applied
    (macro lake_current_state). -#}
with

source as (

    {{ lake_current_state(
        source('massar', 'grades'), 'grades',
        ['school_year', 'student_code', 'subject_code', 'semester', 'assessment_type']
    ) }}

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
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
