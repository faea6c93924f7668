{#-
    One row per pupil, school year, semester and subject: the subject average of the semester.
    Rule: subject_average = mean of the continuous tests (assessment kind 'continuous') x
    var('grade_weight_continuous') + unified test x var('grade_weight_unified'), renormalized over the
    parts present (a subject with no unified test is its continuous mean). Missed tests (missed_code)
    are left out. The coefficient comes from seed subject_coefficients for the class's level and stream.
-#}

with

grades as (

    select * from {{ ref('fct_grade') }}

),

assessment_types as (

    select * from {{ ref('assessment_types') }}

),

classes as (

    select * from {{ ref('stg_massar__classes') }}

),

parts as (

    select
        grades.student_key,
        grades.school_year,
        grades.semester,
        grades.subject_code,
        max(grades.class_code) as class_code,
        max(grades.school_code) as school_code,
        max(grades.region_code) as region_code,
        avg(grades.grade) filter (where assessment_types.kind = 'continuous') as continuous_average,
        count(grades.grade) filter (where assessment_types.kind = 'continuous') as continuous_tests,
        avg(grades.grade) filter (where assessment_types.kind = 'unified') as unified_grade

    from grades

    inner join assessment_types
        on grades.assessment_type = assessment_types.assessment_type

    group by grades.student_key, grades.school_year, grades.semester, grades.subject_code

),

final as (

    select
        parts.student_key,
        parts.school_year,
        parts.semester,
        parts.subject_code,
        parts.class_code,
        parts.school_code,
        parts.region_code,
        classes.level_code,
        classes.stream_code,
        parts.continuous_average,
        parts.continuous_tests,
        parts.unified_grade,
        {{ weighted_mean_of_present([
            ('parts.continuous_average', var('grade_weight_continuous')),
            ('parts.unified_grade', var('grade_weight_unified')),
        ]) }} as subject_average,
        cast(
            {{ subject_coefficient('classes.level_code', 'classes.stream_code', 'parts.subject_code') }}
            as double
        ) as coefficient

    from parts

    left join classes
        on
            parts.school_year = classes.school_year
            and parts.class_code = classes.class_code

)

select * from final
