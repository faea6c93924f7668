{#-
    One row per school and school year: pupils, teachers, classes with pupils and classrooms, with the
    school's territory, sector, area and cycle. Pupils: fct_enrollment rows (last school of the year);
    teachers: dim_teacher rows whose main school is there; classes: dim_class with at least one pupil;
    classrooms: distinct classroom codes of the school's timetables. Any territory (down to one school)
    gets its pupils per teacher, per class and per classroom from summed counts; agg_school_resources
    is this table summed by province, sector and cycle.
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
        count(*) as teachers

    from teachers

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
        count(distinct classroom_code) as classrooms

    from timetables

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
        coalesce(teacher_counts.teachers, 0) as teachers,
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
