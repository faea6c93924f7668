{#-
    One row per teacher and school year, pseudonymous: teacher_key = same salted hash as student_key,
    of the teacher code; names are not carried.
-#}

with

teachers as (

    select * from {{ ref('stg_massar__teachers') }}

),

assignments as (

    select * from {{ ref('stg_massar__teaching_assignments') }}

),

loads as (

    select
        school_year,
        teacher_code,
        count(distinct class_code) as classes_taught,
        {{ exact_sum('weekly_hours') }} as assigned_weekly_hours

    from assignments

    group by school_year, teacher_code

),

final as (

    select
        {{ student_key('teachers.teacher_code') }} as teacher_key,
        teachers.school_year,
        teachers.school_code,
        teachers.region_code,
        teachers.sex,
        teachers.subject_code,
        teachers.statutory_hours,
        coalesce(loads.classes_taught, 0) as classes_taught,
        coalesce(loads.assigned_weekly_hours, 0) as assigned_weekly_hours

    from teachers

    left join loads
        on
            teachers.school_year = loads.school_year
            and teachers.teacher_code = loads.teacher_code

)

select * from final
