{#-
    Pupils per teacher, per class and per classroom, by school year x region x province x sector x
    cycle of the school. Pupils: fct_enrollment rows (last school of the year) of the school's cycle;
    teachers: dim_teacher rows whose main school is there; classes: dim_class with at least one pupil;
    classrooms: distinct classroom codes of the schools' timetables (null ratio when no timetable).
-#}

with

enrollment as (

    select * from {{ ref('fct_enrollment') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

teachers as (

    select * from {{ ref('dim_teacher') }}

),

classes as (

    select * from {{ ref('dim_class') }}

    where pupils_enrolled > 0

),

timetables as (

    select * from {{ ref('stg_massar__timetables') }}

),

pupils as (

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
        count(*) as teachers

    from teachers

    group by school_year, school_code

),

class_counts as (

    select
        school_year,
        school_code,
        count(*) as classes

    from classes

    group by school_year, school_code

),

classroom_counts as (

    select
        school_year,
        school_code,
        count(distinct classroom_code) as classrooms

    from timetables

    group by school_year, school_code

),

per_school as (

    select
        schools.school_year,
        schools.school_code,
        schools.region_code,
        schools.province_code,
        schools.sector,
        schools.cycle_code,
        coalesce(pupils.pupils, 0) as pupils,
        coalesce(teacher_counts.teachers, 0) as teachers,
        coalesce(class_counts.classes, 0) as classes,
        coalesce(classroom_counts.classrooms, 0) as classrooms

    from schools

    left join pupils
        on schools.school_year = pupils.school_year and schools.school_code = pupils.school_code

    left join teacher_counts
        on schools.school_year = teacher_counts.school_year
            and schools.school_code = teacher_counts.school_code

    left join class_counts
        on schools.school_year = class_counts.school_year and schools.school_code = class_counts.school_code

    left join classroom_counts
        on
            schools.school_year = classroom_counts.school_year
            and schools.school_code = classroom_counts.school_code

),

final as (

    select
        school_year,
        region_code,
        province_code,
        sector,
        cycle_code,
        count(*) as schools,
        cast(sum(pupils) as bigint) as pupils,
        cast(sum(teachers) as bigint) as teachers,
        cast(sum(classes) as bigint) as classes,
        cast(sum(classrooms) as bigint) as classrooms,
        sum(pupils) / nullif(sum(teachers), 0) as pupils_per_teacher,
        sum(pupils) / nullif(sum(classes), 0) as pupils_per_class,
        sum(pupils) / nullif(sum(classrooms), 0) as pupils_per_classroom

    from per_school

    group by school_year, region_code, province_code, sector, cycle_code

)

select * from final
