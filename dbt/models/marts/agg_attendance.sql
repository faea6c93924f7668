{#-
    Attendance indicators for dashboards, by school year x region x province x sector x sex x cycle:
    pupils, pupils classified (enrolled at least var('chronic_min_enrolled_days')), chronically absent
    pupils and the chronic absenteeism rate (chronic / classified), mean attendance rate, and pupils
    per band (seed absence_bands).
-#}

with

ytd as (

    select * from {{ ref('fct_attendance_ytd') }}

),

final as (

    select
        school_year,
        region_code,
        province_code,
        sector,
        sex,
        cycle_code,
        count(*) as pupils,
        count(attendance_band) as pupils_classified,
        count(*) filter (where is_chronically_absent) as chronically_absent,
        count(*) filter (where is_chronically_absent) / nullif(count(attendance_band), 0)
            as chronic_absenteeism_rate,
        -- exact decimal sum (18 decimals) and one division: the same double whatever the summation order
        sum(cast(attendance_rate as decimal(38, 18))) / count(attendance_rate) as mean_attendance_rate,
        cast(sum(absent_days) as bigint) as absent_days,
        cast(sum(enrolled_school_days) as bigint) as enrolled_school_days,
        count(*) filter (where attendance_band = 'satisfactory') as band_satisfactory,
        count(*) filter (where attendance_band = 'at_risk') as band_at_risk,
        count(*) filter (where attendance_band = 'moderate') as band_moderate,
        count(*) filter (where attendance_band = 'severe') as band_severe

    from ytd

    group by school_year, region_code, province_code, sector, sex, cycle_code

)

select * from final
