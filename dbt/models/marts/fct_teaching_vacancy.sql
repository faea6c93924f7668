{#-
    The vacant class x subject slots: no assigned teacher in service (int_hr__class_subjects).
-#}

with

slots as (

    select * from {{ ref('int_hr__class_subjects') }}

),

final as (

    select
        school_year,
        class_code,
        subject_code,
        school_code,
        region_code,
        province_code,
        sector,
        level_code,
        cycle_code,
        pupils_enrolled,
        weekly_hours,
        assigned_teachers,
        absent_teacher_status

    from slots

    where is_vacant

)

select * from final
