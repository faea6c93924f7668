{#-
    One row per school and school year: pupils, teachers, classes with pupils and classrooms, with the
    school's territory, sector, area and cycle: the one definition of the numerators and denominators of
    pupils per teacher, per class and per classroom (doc block agg_school_capacity). Pupils:
    fct_enrollment rows (last school of the year); teachers: teachers in service whose main school it is
    (agg_teacher_load.teachers_in_service, headcount); classes: dim_class with at least one pupil;
    classrooms: dim_classroom rows with is_classroom (usable rooms of a classroom type).
-#}

with

enrollment as (

    select * from {{ ref('fct_enrollment') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

teacher_load as (

    select * from {{ ref('agg_teacher_load') }}

),

classes as (

    select * from {{ ref('dim_class') }}

    where pupils_enrolled > 0

),

rooms as (

    select * from {{ ref('dim_classroom') }}

    where is_classroom

),

pupil_counts as (

    select
        school_year,
        school_code,
        count(*) as pupils

    from enrollment

    group by school_year, school_code

),

teacher_counts as (

    select
        school_year,
        school_code,
        sum(teachers_in_service) as teachers

    from teacher_load

    group by school_year, school_code

),

class_counts as (

    select
        school_year,
        school_code,
        count(*) as classes,
        max(pupils_enrolled) as largest_class

    from classes

    group by school_year, school_code

),

classroom_counts as (

    select
        school_year,
        school_code,
        count(*) as classrooms

    from rooms

    group by school_year, school_code

),

final as (

    select
        schools.school_year,
        schools.region_code,
        schools.province_code,
        schools.school_code,
        schools.sector,
        schools.area,
        schools.cycle_code,
        coalesce(pupil_counts.pupils, 0) as pupils,
        cast(coalesce(teacher_counts.teachers, 0) as bigint) as teachers,
        coalesce(class_counts.classes, 0) as classes,
        coalesce(classroom_counts.classrooms, 0) as classrooms,
        class_counts.largest_class

    from schools

    left join pupil_counts
        on
            schools.school_year = pupil_counts.school_year
            and schools.school_code = pupil_counts.school_code

    left join teacher_counts
        on
            schools.school_year = teacher_counts.school_year
            and schools.school_code = teacher_counts.school_code

    left join class_counts
        on
            schools.school_year = class_counts.school_year
            and schools.school_code = class_counts.school_code

    left join classroom_counts
        on
            schools.school_year = classroom_counts.school_year
            and schools.school_code = classroom_counts.school_code

)

select * from final
