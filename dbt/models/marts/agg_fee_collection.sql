{#-
    Contributions expected, collected and transferred per school year x school x contribution. See the
    doc block agg_fee_collection (_docs_fees.md).
-#}

with

schools as (

    select * from {{ ref('stg_massar__schools') }}

),

schedules as (

    select * from {{ ref('stg_massar__fee_schedules') }}

),

payments as (

    select * from {{ ref('stg_massar__fee_payments') }}

),

transfers as (

    select * from {{ ref('stg_massar__fee_transfers') }}

),

enrollments as (

    select * from {{ ref('stg_massar__enrollments') }}

),

events as (

    select * from {{ ref('code_enrollment_events') }}

),

-- pupils who owe the school's contributions: arrived there in the year, or paid there
owing as (

    select
        enrollments.school_year,
        enrollments.school_code,
        enrollments.student_code

    from enrollments

    inner join events
        on enrollments.event_type = events.event_type

    where events.direction = 'in'

    union

    select
        school_year,
        school_code,
        student_code

    from payments

),

pupils_owing as (

    select
        school_year,
        school_code,
        count(*) as pupils_owing

    from owing

    group by school_year, school_code

),

paid as (

    select
        school_year,
        school_code,
        fee_code,
        count(distinct student_code) as payers,
        count(*) as receipts,
        {{ exact_sum('amount_paid_mad') }} as collected_mad

    from payments

    group by school_year, school_code, fee_code

),

transferred as (

    select
        school_year,
        school_code,
        fee_code,
        count(*) as transfers,
        {{ exact_sum('amount_mad') }} as transferred_mad

    from transfers

    group by school_year, school_code, fee_code

),

cells as (

    select
        school_year,
        school_code,
        fee_code
    from schedules
    union
    select
        school_year,
        school_code,
        fee_code
    from paid
    union
    select
        school_year,
        school_code,
        fee_code
    from transferred

),

final as (

    select
        cells.school_year,
        cells.school_code,
        cells.fee_code,
        schools.region_code,
        schools.province_code,
        schools.sector,
        schools.area,
        schools.cycle_code,
        schedules.amount_mad as configured_amount_mad,
        coalesce(pupils_owing.pupils_owing, 0) as pupils_owing,
        schedules.amount_mad * coalesce(pupils_owing.pupils_owing, 0) as expected_mad,
        coalesce(paid.payers, 0) as payers,
        coalesce(paid.receipts, 0) as receipts,
        coalesce(paid.collected_mad, 0) as collected_mad,
        coalesce(transferred.transfers, 0) as transfers,
        coalesce(transferred.transferred_mad, 0) as transferred_mad,
        100.0 * coalesce(paid.collected_mad, 0)
        / nullif(schedules.amount_mad * coalesce(pupils_owing.pupils_owing, 0), 0) as collection_rate

    from cells

    left join schools
        on cells.school_year = schools.school_year and cells.school_code = schools.school_code

    left join schedules
        on
            cells.school_year = schedules.school_year
            and cells.school_code = schedules.school_code
            and cells.fee_code = schedules.fee_code

    left join pupils_owing
        on cells.school_year = pupils_owing.school_year and cells.school_code = pupils_owing.school_code

    left join paid
        on
            cells.school_year = paid.school_year
            and cells.school_code = paid.school_code
            and cells.fee_code = paid.fee_code

    left join transferred
        on
            cells.school_year = transferred.school_year
            and cells.school_code = transferred.school_code
            and cells.fee_code = transferred.fee_code

)

select * from final
