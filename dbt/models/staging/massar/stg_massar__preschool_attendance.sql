{#-
    Current state of the preschool-attendance records (macro lake_current_state). The folder may hold no
    file yet: then an empty, typed relation.
-#}
{%- set preschool_attendance = source('massar', 'preschool_attendance') -%}

with

source as (

    {% if lake_source_has_files(preschool_attendance) -%}
        {{ lake_current_state(
            preschool_attendance, 'preschool_attendance', ['school_year', 'student_code']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as class_code,
            cast(null as varchar) as student_code,
            cast(null as varchar) as preschool_type,
            cast(null as bigint) as preschool_years,
            cast(null as date) as _drop_date,
            cast(null as varchar) as _batch_id
        where false
    {%- endif %}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(class_code as varchar)) as class_code,
        trim(cast(student_code as varchar)) as student_code,
        trim(cast(preschool_type as varchar)) as preschool_type,
        cast(preschool_years as bigint) as preschool_years,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
