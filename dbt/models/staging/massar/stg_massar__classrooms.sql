{#-
    Current state of the classrooms (macro lake_current_state). The folder may hold no file yet: then an
    empty, typed relation.
-#}
{%- set classrooms = source('massar', 'classrooms') -%}

with

source as (

    {% if lake_source_has_files(classrooms) -%}
        {{ lake_current_state(
            classrooms, 'classrooms', ['school_year', 'school_code', 'classroom_code']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as classroom_code,
            cast(null as varchar) as room_type,
            cast(null as varchar) as operating_status,
            cast(null as bigint) as capacity,
            cast(null as double) as area_m2,
            cast(null as varchar) as building_code,
            cast(null as varchar) as construction_type,
            cast(null as bigint) as built_year,
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
        trim(cast(classroom_code as varchar)) as classroom_code,
        trim(cast(room_type as varchar)) as room_type,
        trim(cast(operating_status as varchar)) as operating_status,
        cast(capacity as bigint) as capacity,
        cast(area_m2 as double) as area_m2,
        trim(cast(building_code as varchar)) as building_code,
        trim(cast(construction_type as varchar)) as construction_type,
        cast(built_year as bigint) as built_year,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
