{#-
    Weekly teaching hours against the statutory load, per school year x school x teachers' main subject.
    See the doc block agg_teacher_load (_docs_hr.md).
-#}

with

teachers as (

    select * from {{ ref('stg_massar__teachers') }}

),

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

assignments as (

    select * from {{ ref('stg_massar__teaching_assignments') }}

),

situations as (

    select * from {{ ref('stg_massar__staff_situations') }}

),

statuses as (

    select * from {{ ref('code_staff_statuses') }}

),

loads as (

    select * from {{ ref('statutory_loads') }}

),

hours as (

    select
        school_year,
        teacher_code,
        {{ exact_sum('weekly_hours') }} as assigned_hours

    from assignments

    group by school_year, teacher_code

),

per_teacher as (

    select
        teachers.school_year,
        teachers.school_code,
        teachers.subject_code,
        schools.region_code,
        schools.province_code,
        schools.sector,
        schools.cycle_code,
        coalesce(statuses.in_service, true) as in_service,
        loads.statutory_weekly_hours as statutory_hours,
        coalesce(hours.assigned_hours, 0) as assigned_hours

    from teachers

    left join schools
        on teachers.school_year = schools.school_year and teachers.school_code = schools.school_code

    left join loads
        on schools.cycle_code = loads.cycle_code

    left join situations
        on teachers.school_year = situations.school_year and teachers.teacher_code = situations.teacher_code

    left join statuses
        on situations.status_code = statuses.status_code

    left join hours
        on teachers.school_year = hours.school_year and teachers.teacher_code = hours.teacher_code

),

final as (

    select
        school_year,
        school_code,
        subject_code,
        max(region_code) as region_code,
        max(province_code) as province_code,
        max(sector) as sector,
        max(cycle_code) as cycle_code,
        count(*) as teachers,
        count(*) filter (where in_service) as teachers_in_service,
        count(*) filter (where not in_service) as teachers_not_in_service,
        coalesce(sum(statutory_hours) filter (where in_service), 0) as statutory_hours,
        coalesce({{ exact_sum('assigned_hours', 'in_service') }}, 0) as assigned_hours,
        count(*) filter (where in_service and assigned_hours > statutory_hours) as teachers_above_load,
        count(*) filter (where in_service and assigned_hours < statutory_hours) as teachers_below_load,
        100.0 * {{ exact_sum('assigned_hours', 'in_service') }}
        / nullif(sum(statutory_hours) filter (where in_service), 0) as load_pct

    from per_teacher

    group by school_year, school_code, subject_code

)

select * from final
