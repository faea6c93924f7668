{#-
    The exam calendar of each lookup pupil for the pupil's school year: the certificate exam papers of
    the pupil's level (regional exams as sat in the pupil's region, national exams nationwide; both
    sessions) and the unified tests (contrôles unifiés) of the pupil's class. Dates come from Massar's
    own exports: exam_results.exam_date and grades.assessment_date (the most frequent date of a paper,
    so a mistyped row does not add a date; the earliest of equally frequent dates).
-#}
{{ config(materialized='table', database='restricted', schema='serving') }}

with

pupils as (

    select * from {{ ref('lookup_pupil') }}

),

schools as (

    select * from {{ ref('dim_school') }}

),

results as (

    select * from {{ ref('stg_massar__exam_results') }}

),

exams as (

    select * from {{ ref('code_exams') }}

),

grades as (

    select * from {{ ref('fct_grade') }}

),

assessment_types as (

    select * from {{ ref('code_assessment_types') }}

),

subjects as (

    select * from {{ ref('dim_subject') }}

),

paper_dates as (

    select
        results.school_year,
        results.exam_code,
        exams.level_code,
        exams.scope,
        exams.label_fr,
        exams.label_ar,
        results.exam_session,
        results.subject_code,
        case when exams.scope = 'regional' then results.region_code end as region_code,
        results.exam_date,
        count(*) as date_rows

    from results

    inner join exams
        on results.exam_code = exams.exam_code

    -- an exam of an earlier year carried in the file (exam_year) is not on this year's calendar
    where results.exam_date is not null and results.exam_year is null

    group by
        results.school_year,
        results.exam_code,
        exams.level_code,
        exams.scope,
        exams.label_fr,
        exams.label_ar,
        results.exam_session,
        results.subject_code,
        case when exams.scope = 'regional' then results.region_code end,
        results.exam_date

),

ranked_paper_dates as (

    -- the date most rows give; the earliest of equally frequent dates (a total order: every build agrees)
    select
        *,
        row_number() over (
            partition by
                school_year, exam_code, level_code, scope, label_fr, label_ar, exam_session, subject_code,
                region_code
            order by date_rows desc, exam_date asc
        ) as date_rank

    from paper_dates

),

papers as (

    select
        school_year,
        exam_code,
        level_code,
        scope,
        label_fr,
        label_ar,
        exam_session,
        subject_code,
        region_code,
        exam_date

    from ranked_paper_dates

    where date_rank = 1

),

unified_test_dates as (

    select
        grades.school_year,
        grades.class_code,
        grades.semester,
        grades.subject_code,
        grades.assessment_type,
        assessment_types.label_fr,
        assessment_types.label_ar,
        grades.assessment_date,
        count(*) as date_rows

    from grades

    inner join assessment_types
        on grades.assessment_type = assessment_types.assessment_type

    where assessment_types.kind = 'unified' and grades.assessment_date is not null

    group by
        grades.school_year,
        grades.class_code,
        grades.semester,
        grades.subject_code,
        grades.assessment_type,
        assessment_types.label_fr,
        assessment_types.label_ar,
        grades.assessment_date

),

ranked_unified_test_dates as (

    -- the date most grades give; the earliest of equally frequent dates
    select
        *,
        row_number() over (
            partition by school_year, class_code, semester, subject_code, assessment_type, label_fr, label_ar
            order by date_rows desc, assessment_date asc
        ) as date_rank

    from unified_test_dates

),

unified_tests as (

    select
        school_year,
        class_code,
        semester,
        subject_code,
        assessment_type,
        label_fr,
        label_ar,
        assessment_date

    from ranked_unified_test_dates

    where date_rank = 1

),

certificate_rows as (

    select
        pupils.student_code,
        papers.exam_date,
        'certificate' as kind,
        papers.exam_code,
        papers.label_fr as exam_fr,
        papers.label_ar as exam_ar,
        papers.exam_session,
        cast(null as integer) as semester,
        papers.subject_code

    from pupils

    left join schools
        on pupils.school_code = schools.school_code

    inner join papers
        on
            pupils.school_year = papers.school_year
            and pupils.level_code = papers.level_code
            and (papers.scope <> 'regional' or schools.region_code = papers.region_code)

),

unified_rows as (

    select
        pupils.student_code,
        unified_tests.assessment_date as exam_date,
        'unified' as kind,
        unified_tests.assessment_type as exam_code,
        unified_tests.label_fr as exam_fr,
        unified_tests.label_ar as exam_ar,
        cast(null as {{ string_type() }}) as exam_session,
        cast(unified_tests.semester as integer) as semester,
        unified_tests.subject_code

    from pupils

    inner join unified_tests
        on
            pupils.school_year = unified_tests.school_year
            and pupils.class_code = unified_tests.class_code

),

unioned as (

    select * from certificate_rows

    union all

    select * from unified_rows

),

final as (

    select
        unioned.student_code,
        unioned.exam_date,
        unioned.kind,
        unioned.exam_code,
        unioned.exam_fr,
        unioned.exam_ar,
        unioned.exam_session,
        unioned.semester,
        unioned.subject_code,
        subjects.subject_label_fr as subject_fr,
        subjects.subject_label_ar as subject_ar

    from unioned

    left join subjects
        on unioned.subject_code = subjects.subject_code

)

select * from final
