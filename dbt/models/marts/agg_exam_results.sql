{#-
    Certificate results for dashboards, by school year x region x province x sector x sex x
    certificate (3AC, BAC): candidates, complete and incomplete candidates (a certificate component
    missing from the data, counted per missing component), passed, pass rate on the complete
    candidates (null when there is none), passed at the normal session and pupils per mention (bac).
-#}

with

bac as (

    select * from {{ ref('fct_baccalaureate') }}

),

certificate_3ac as (

    select * from {{ ref('fct_certificate_3ac') }}

),

results as (

    select
        school_year,
        region_code,
        province_code,
        sector,
        sex,
        'BAC' as certificate_code,
        is_complete,
        missing_component,
        passed,
        session_passed,
        mention

    from bac

    union all

    select
        school_year,
        region_code,
        province_code,
        sector,
        sex,
        '3AC' as certificate_code,
        is_complete,
        missing_component,
        passed,
        case when passed then 'normal' end as session_passed,
        cast(null as {{ string_type() }}) as mention

    from certificate_3ac

),

final as (

    select
        school_year,
        region_code,
        province_code,
        sector,
        sex,
        certificate_code,
        count(*) as candidates,
        count(*) filter (where is_complete) as candidates_complete,
        count(*) filter (where not is_complete) as candidates_incomplete,
        count(*) filter (where contains(missing_component, 'national_exam')) as missing_national_exam,
        count(*) filter (where contains(missing_component, 'regional_exam')) as missing_regional_exam,
        count(*) filter (where contains(missing_component, 'school_exam')) as missing_school_exam,
        count(*) filter (where contains(missing_component, 'continuous')) as missing_continuous,
        count(*) filter (where passed) as passed,
        count(*) filter (where passed) / nullif(count(*) filter (where is_complete), 0) as pass_rate,
        count(*) filter (where session_passed = 'normal') as passed_normal_session,
        count(*) filter (where mention = 'passable') as mention_passable,
        count(*) filter (where mention = 'assez_bien') as mention_assez_bien,
        count(*) filter (where mention = 'bien') as mention_bien,
        count(*) filter (where mention = 'tres_bien') as mention_tres_bien

    from results

    group by school_year, region_code, province_code, sector, sex, certificate_code

)

select * from final
