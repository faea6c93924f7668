{#-
    Current state of the special-needs records (macro lake_current_state). The folder may hold no file
    yet: then an empty, typed relation.
-#}
{%- set special_needs = source('massar', 'special_needs') -%}

with

source as (

    {% if lake_source_has_files(special_needs) -%}
        {{ lake_current_state(special_needs, 'special_needs', ['school_year', 'student_code']) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as class_code,
            cast(null as varchar) as student_code,
            cast(null as varchar) as disability_type,
            cast(null as varchar) as class_setting,
            cast(null as boolean) as individual_plan,
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
        trim(cast(disability_type as varchar)) as disability_type,
        trim(cast(class_setting as varchar)) as class_setting,
        cast(individual_plan as boolean) as individual_plan,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
