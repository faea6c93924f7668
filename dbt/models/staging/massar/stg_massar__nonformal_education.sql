{#-
    Current state of the non-formal education register (macro lake_current_state). The folder may hold no
    file yet: then an empty, typed relation.
-#}
{%- set nonformal_education = source('massar', 'nonformal_education') -%}

with

source as (

    {% if lake_source_has_files(nonformal_education) -%}
        {{ lake_current_state(
            nonformal_education, 'nonformal_education', ['school_year', 'beneficiary_code']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as beneficiary_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as former_student_code,
            cast(null as varchar) as sex,
            cast(null as bigint) as birth_year,
            cast(null as varchar) as programme_code,
            cast(null as date) as start_date,
            cast(null as date) as end_date,
            cast(null as varchar) as outcome_code,
            cast(null as varchar) as return_student_code,
            cast(null as varchar) as return_level_code,
            cast(null as date) as _drop_date,
            cast(null as varchar) as _batch_id
        where false
    {%- endif %}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(beneficiary_code as varchar)) as beneficiary_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(former_student_code as varchar)) as former_student_code,
        trim(cast(sex as varchar)) as sex,
        cast(birth_year as bigint) as birth_year,
        trim(cast(programme_code as varchar)) as programme_code,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        trim(cast(outcome_code as varchar)) as outcome_code,
        trim(cast(return_student_code as varchar)) as return_student_code,
        trim(cast(return_level_code as varchar)) as return_level_code,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
