-- Engine floor: the core marts computed by one hand-written DuckDB script, straight from the raw exports.
--
-- What a skilled analyst with DuckDB alone would write: read the export CSV files (bulk files and daily
-- drops) and the reference CSV files (the dbt seeds: calendar, levels, enrollment events, assessment kinds,
-- coefficients, decision thresholds), and compute with the same business rules as the dbt marts
-- (docs/marts.md):
--   fct_enrollment       one row per pupil x school year (last stay of the year, next-year flow)
--   fct_absence_daily    one row per pupil x day with a missed session (absent day, justified day)
--   fct_attendance_ytd   one row per pupil x school year: enrolled school days, absent days, chronic flag
--   fct_subject_average  one row per pupil x year x semester x subject
--   fct_semester_result  one row per pupil x year x semester: general average
--   fct_annual_result    one row per pupil x year: annual average and decision
--   agg_flow_rates       promotion / repetition / dropout / not traced counts by year x region x level
--
-- No validation, no quarantine, no lineage, no pseudonymous keys, no history: the exports are assumed
-- clean, and rows are never corrected or deleted (the benchmark generates them with faults off). Daily
-- deletion files (`*__deleted.csv`) are therefore ignored.
--
-- Placeholders replaced by benchmarks/run.py before running: ${EXPORTS} (the exports folder),
-- ${SEEDS} (dbt/seeds). Constants are the dbt project's vars (dbt_project.yml): day absent at 0.5 of the
-- sessions, chronic at 10 % of >= 10 enrolled days, subject average 0.75 continuous + 0.25 unified,
-- annual average 0.5 / 0.5, default coefficient 1; every average rounded half up to 2 decimals (exact
-- integer arithmetic), the general and annual averages from the rounded averages below them.

-- ---------------------------------------------------------------- reference data
create or replace table ref_calendar as
select * from read_csv('${SEEDS}/calendar/school_calendar.csv', header = true);

create or replace table ref_holidays as
select * from read_csv('${SEEDS}/calendar/school_holidays.csv', header = true);

create or replace table ref_levels as
select * from read_csv(
    '${SEEDS}/codes/code_levels.csv', header = true,
    types = {'level_code': 'VARCHAR', 'next_level_code': 'VARCHAR', 'cycle_code': 'VARCHAR'}
);

create or replace table ref_events as
select * from read_csv('${SEEDS}/codes/code_enrollment_events.csv', header = true);

create or replace table ref_assessments as
select * from read_csv('${SEEDS}/codes/code_assessment_types.csv', header = true);

create or replace table ref_coefficients as
select * from read_csv(
    '${SEEDS}/rules/subject_coefficients.csv', header = true,
    types = {'level_code': 'VARCHAR', 'stream_code': 'VARCHAR', 'subject_code': 'VARCHAR', 'coefficient': 'DOUBLE'}
);

create or replace table ref_thresholds as
select * from read_csv(
    '${SEEDS}/rules/decision_thresholds.csv', header = true,
    types = {'cycle_code': 'VARCHAR', 'promote_min_annual_average': 'DOUBLE'}
);

-- every date of each school year: school day, session share, school days through the date
create or replace table calendar as
with dates as (
    select school_year, cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as d
    from ref_calendar
),
flagged as (
    select
        dates.school_year,
        dates.d,
        isodow(dates.d) != 7 and ref_holidays.holiday_date is null as is_school_day,
        isodow(dates.d) = 6 as is_saturday
    from dates
    left join ref_holidays on dates.school_year = ref_holidays.school_year and dates.d = ref_holidays.holiday_date
)
select
    school_year,
    d,
    is_school_day,
    case when not is_school_day then 0.0 when is_saturday then 0.5 else 1.0 end as day_share,
    sum(is_school_day::int) over (partition by school_year order by d) as through
from flagged;

-- ---------------------------------------------------------------- raw exports
create or replace table enrollments as
select school_year, region_code, school_code, class_code, student_code, level_code, event_type, event_date
from read_csv(
    '${EXPORTS}/*/*/enrollments*.csv', delim = ';', header = true, dateformat = '%d/%m/%Y',
    union_by_name = true, filename = true,
    types = {'school_year': 'VARCHAR', 'region_code': 'VARCHAR', 'school_code': 'VARCHAR',
             'class_code': 'VARCHAR', 'student_code': 'VARCHAR', 'level_code': 'VARCHAR',
             'event_type': 'VARCHAR', 'event_date': 'DATE'}
)
where not ends_with(filename, '__deleted.csv');

create or replace table pupils as
select school_year, region_code, student_code, sex
from read_csv(
    '${EXPORTS}/*/*/pupils.csv', delim = ';', header = true, union_by_name = true,
    types = {'school_year': 'VARCHAR', 'region_code': 'VARCHAR', 'student_code': 'VARCHAR', 'sex': 'VARCHAR'}
);

create or replace table classes as
select school_year, class_code, level_code, stream_code
from read_csv(
    '${EXPORTS}/*/*/classes.csv', delim = ';', header = true, union_by_name = true,
    types = {'school_year': 'VARCHAR', 'region_code': 'VARCHAR', 'school_code': 'VARCHAR',
             'class_code': 'VARCHAR', 'level_code': 'VARCHAR', 'stream_code': 'VARCHAR'}
);

-- ---------------------------------------------------------------- enrollment
-- stays: an opening (direction 'in') closed by the first 'out' movement in the same school on or after
-- it and before the next opening there; an 'out' that closes no opening is a stay without entry date
create or replace table stays as
with movements as (
    select e.*, ev.direction
    from enrollments as e inner join ref_events as ev on e.event_type = ev.event_type
),
openings as (
    select
        *,
        lead(event_date) over (
            partition by school_year, student_code, school_code order by event_date, event_type
        ) as next_opening
    from movements where direction = 'in'
),
closings as (select * from movements where direction = 'out'),
opened as (
    select
        o.school_year, o.student_code, o.region_code, o.school_code, o.class_code, o.level_code,
        o.event_type as entry_type, o.event_date as entry_date,
        c.event_type as exit_type, c.event_date as exit_date
    from openings as o
    left join closings as c
        on o.school_year = c.school_year and o.student_code = c.student_code and o.school_code = c.school_code
        and o.event_date <= c.event_date and (o.next_opening is null or o.next_opening > c.event_date)
    qualify row_number() over (
        partition by o.school_year, o.student_code, o.school_code, o.event_date, o.event_type
        order by c.event_date, c.event_type
    ) = 1
)
select * from opened
union all
select
    c.school_year, c.student_code, c.region_code, c.school_code, c.class_code, c.level_code,
    null, null, c.event_type, c.event_date
from closings as c
anti join opened as o
    on c.school_year = o.school_year and c.student_code = o.student_code and c.school_code = o.school_code
    and c.event_type = o.exit_type and c.event_date = o.exit_date;

-- validity of each stay, cut the day before the pupil's next stay starts
create or replace table history as
with bounded as (
    select
        s.*,
        coalesce(s.entry_date, cal.first_day) as valid_from,
        coalesce(s.exit_date, cal.last_day) as valid_to_raw,
        cal.first_day,
        cal.last_day
    from stays as s left join ref_calendar as cal on s.school_year = cal.school_year
),
ordered as (
    select
        *,
        lead(valid_from) over (
            partition by school_year, student_code order by valid_from, valid_to_raw, school_code
        ) as next_from
    from bounded
)
select
    student_code, school_year, valid_from, first_day, last_day,
    case when next_from is not null and next_from <= valid_to_raw
        then cast(next_from - interval 1 day as date) else valid_to_raw end as valid_to
from ordered;

create or replace table fct_enrollment as
with last_stays as (
    select * from stays
    qualify row_number() over (
        partition by school_year, student_code
        order by coalesce(entry_date, exit_date) desc, exit_date desc nulls first, school_code desc
    ) = 1
),
years as (
    select
        ls.*,
        cast(substr(ls.school_year, 1, 4) as integer) as start_year,
        lv.cycle_code,
        lv.level_order,
        lv.next_level_code is null as is_final_level,
        -- the next school year in which the pupil has a record (faults off: no lost record traces a pupil)
        lead(cast(substr(ls.school_year, 1, 4) as integer)) over (
            partition by ls.student_code order by ls.school_year
        ) as next_seen_start_year
    from last_stays as ls left join ref_levels as lv on ls.level_code = lv.level_code
),
latest_sex as (
    select student_code, arg_max(sex, school_year || region_code) as sex from pupils group by student_code
),
schools as (
    select distinct school_year, school_code, province_code, sector
    from read_csv(
        '${EXPORTS}/*/*/schools.csv', delim = ';', header = true, union_by_name = true,
        types = {'school_year': 'VARCHAR', 'region_code': 'VARCHAR', 'province_code': 'VARCHAR',
                 'school_code': 'VARCHAR', 'sector': 'VARCHAR'}
    )
)
select
    cur.student_code,
    cur.school_year,
    cur.region_code,
    sch.province_code,
    sch.sector,
    cur.school_code,
    cur.class_code,
    cur.level_code,
    cur.cycle_code,
    coalesce(p.sex, ls.sex) as sex,
    cur.exit_type,
    case
        when nxt.student_code is not null and nxt.level_order > cur.level_order then 'promoted'
        when nxt.student_code is not null then 'repeated'
        when cur.school_year = (select max(school_year) from last_stays) then null
        -- back after a year without any record: not traced at t+1, never a dropout
        when cur.next_seen_start_year is not null then 'not_traced'
        when cur.exit_type = 'transfer_out' then 'transferred_out'
        when cur.is_final_level and cur.exit_type is null then 'completed'
        else 'dropped_out'
    end as next_year_flow,
    nxt.student_code is null and cur.next_seen_start_year is not null as is_dropout_revised
from years as cur
left join years as nxt on cur.student_code = nxt.student_code and cur.start_year + 1 = nxt.start_year
left join pupils as p on cur.school_year = p.school_year and cur.student_code = p.student_code
left join latest_sex as ls on cur.student_code = ls.student_code
left join schools as sch on cur.school_year = sch.school_year and cur.school_code = sch.school_code;

create or replace table agg_flow_rates as
select
    school_year,
    region_code,
    level_code,
    count(*) as pupils,
    count(*) filter (where next_year_flow = 'promoted') as promoted,
    count(*) filter (where next_year_flow = 'repeated') as repeated,
    count(*) filter (where next_year_flow = 'dropped_out') as dropped_out,
    count(*) filter (where next_year_flow = 'transferred_out') as transferred_out,
    count(*) filter (where next_year_flow = 'completed') as completed,
    count(*) filter (where next_year_flow = 'not_traced') as not_traced,
    count(*) filter (where is_dropout_revised) as dropout_revised
from fct_enrollment
where next_year_flow is not null
group by all;

-- ---------------------------------------------------------------- attendance
create or replace table fct_absence_daily as
with absences as (
    select school_year, region_code, class_code, student_code, absence_date, session_number, justified
    from read_csv(
        '${EXPORTS}/*/*/absences*.csv', delim = ';', header = true, dateformat = '%d/%m/%Y',
        union_by_name = true, filename = true,
        types = {'school_year': 'VARCHAR', 'region_code': 'VARCHAR', 'school_code': 'VARCHAR',
                 'class_code': 'VARCHAR', 'student_code': 'VARCHAR', 'absence_date': 'DATE',
                 'session_number': 'BIGINT', 'justified': 'BOOLEAN', 'reason_code': 'VARCHAR'}
    )
    where not ends_with(filename, '__deleted.csv')
),
per_day as (
    select
        student_code, school_year, region_code, absence_date,
        arg_min(class_code, session_number) as class_code,
        count(*) as missed,
        count(*) filter (where justified) as justified
    from absences
    group by all
)
select
    pd.student_code,
    pd.school_year,
    pd.region_code,
    pd.absence_date,
    coalesce(pd.missed >= 0.5 * lv.sessions_per_day * cal.day_share, false)
        and coalesce(cal.is_school_day, false) as is_absent_day,
    pd.justified = pd.missed as is_justified_day
from per_day as pd
left join classes as c on pd.school_year = c.school_year and pd.class_code = c.class_code
left join ref_levels as lv on c.level_code = lv.level_code
left join calendar as cal on pd.school_year = cal.school_year and pd.absence_date = cal.d;

create or replace table fct_attendance_ytd as
with periods as (
    select student_code, school_year,
        greatest(valid_from, first_day) as p_start, least(valid_to, last_day) as p_end
    from history
),
enrolled as (
    select
        p.student_code, p.school_year,
        sum(case when p.p_end < p.p_start then 0
            else e.through - s.through + s.is_school_day::int end) as enrolled_days
    from periods as p
    inner join calendar as s on p.school_year = s.school_year and p.p_start = s.d
    inner join calendar as e on p.school_year = e.school_year and p.p_end = e.d
    group by all
),
absent as (
    select student_code, school_year, count(*) as absent_days, count(*) filter (where is_justified_day) as justified_days
    from (
        select distinct a.student_code, a.school_year, a.absence_date, a.is_justified_day
        from fct_absence_daily as a
        inner join periods as p
            on a.student_code = p.student_code and a.school_year = p.school_year
            and a.absence_date between p.p_start and p.p_end
        where a.is_absent_day
    )
    group by all
)
select
    f.student_code, f.school_year, f.region_code, f.cycle_code, f.sex,
    coalesce(en.enrolled_days, 0) as enrolled_school_days,
    coalesce(ab.absent_days, 0) as absent_days,
    coalesce(ab.justified_days, 0) as justified_absent_days,
    coalesce(en.enrolled_days, 0) >= 10
        and coalesce(ab.absent_days, 0) / en.enrolled_days >= 0.10 as is_chronically_absent
from fct_enrollment as f
left join enrolled as en on f.student_code = en.student_code and f.school_year = en.school_year
left join absent as ab on f.student_code = ab.student_code and f.school_year = ab.school_year;

-- ---------------------------------------------------------------- grades
create or replace table fct_subject_average as
with grades as (
    select school_year, region_code, school_code, class_code, student_code, subject_code, semester,
        assessment_type, grade
    from read_csv(
        '${EXPORTS}/*/*/grades*.csv', delim = ';', header = true, dateformat = '%d/%m/%Y',
        decimal_separator = ',', union_by_name = true, filename = true,
        types = {'school_year': 'VARCHAR', 'region_code': 'VARCHAR', 'school_code': 'VARCHAR',
                 'class_code': 'VARCHAR', 'student_code': 'VARCHAR', 'subject_code': 'VARCHAR',
                 'semester': 'BIGINT', 'assessment_type': 'VARCHAR', 'assessment_date': 'DATE',
                 'grade': 'DOUBLE', 'missed_code': 'VARCHAR'}
    )
    where not ends_with(filename, '__deleted.csv')
),
parts as (
    -- marks as integer ten-thousandths: the averages are exact integer ratios
    select
        g.student_code, g.school_year, g.semester, g.subject_code,
        max(g.class_code) as class_code,
        max(g.region_code) as region_code,
        avg(g.grade) filter (where a.kind = 'continuous') as continuous_average,
        avg(g.grade) filter (where a.kind = 'unified') as unified_grade,
        coalesce(sum(cast(round(g.grade * 10000) as bigint)) filter (where a.kind = 'continuous'), 0) as c_sum,
        count(g.grade) filter (where a.kind = 'continuous') as c_n,
        coalesce(sum(cast(round(g.grade * 10000) as bigint)) filter (where a.kind = 'unified'), 0) as u_sum,
        count(g.grade) filter (where a.kind = 'unified') as u_n
    from grades as g inner join ref_assessments as a on g.assessment_type = a.assessment_type
    group by all
),
ratios as (
    -- (0.75 c_sum / c_n + 0.25 u_sum / u_n) / (weights present) / 10000 = num / den, weights as 3 : 1
    select
        *,
        cast(3 * c_sum * greatest(u_n, 1) + u_sum * greatest(c_n, 1) as hugeint) as num,
        cast(
            ((case when c_n > 0 then 3 else 0 end) + (case when u_n > 0 then 1 else 0 end))
            * greatest(c_n, 1) * greatest(u_n, 1) * 10000 as hugeint
        ) as den
    from parts
)
select
    p.* exclude (c_sum, c_n, u_sum, u_n, num, den),
    c.level_code,
    -- half up to 2 decimals, as the marts: floor(100 num / den + 1/2) / 100
    ((200 * p.num + p.den) // nullif(2 * p.den, 0)) / 100 as subject_average,
    coalesce(stream_coef.coefficient, level_coef.coefficient, 1.0) as coefficient
from ratios as p
left join classes as c on p.school_year = c.school_year and p.class_code = c.class_code
left join ref_coefficients as stream_coef
    on c.level_code = stream_coef.level_code and p.subject_code = stream_coef.subject_code
    and c.stream_code = stream_coef.stream_code
left join ref_coefficients as level_coef
    on c.level_code = level_coef.level_code and p.subject_code = level_coef.subject_code
    and level_coef.stream_code is null;

create or replace table fct_semester_result as
with sums as (
    -- averages in cents, coefficients in ten-thousandths: integers
    select
        student_code, school_year, semester,
        max(region_code) as region_code,
        max(level_code) as level_code,
        sum(cast(round(subject_average * 100) as hugeint) * cast(round(coefficient * 10000) as hugeint)) as num,
        100 * sum(cast(round(coefficient * 10000) as hugeint)) filter (where subject_average is not null) as den
    from fct_subject_average
    group by all
)
select
    student_code, school_year, semester, region_code, level_code,
    ((200 * num + den) // nullif(2 * den, 0)) / 100 as general_average
from sums;

create or replace table fct_annual_result as
with pivoted as (
    select
        student_code, school_year,
        arg_max(region_code, semester) as region_code,
        arg_max(level_code, semester) as level_code,
        max(general_average) filter (where semester = 1) as s1,
        max(general_average) filter (where semester = 2) as s2
    from fct_semester_result
    group by all
),
averaged as (
    select
        *,
        -- semesters 0.5 / 0.5 (1 : 1) on the averages in cents, half up to 2 decimals
        (
            (200 * (coalesce(cast(round(s1 * 100) as hugeint), 0) + coalesce(cast(round(s2 * 100) as hugeint), 0))
                + 100 * ((case when s1 is not null then 1 else 0 end) + (case when s2 is not null then 1 else 0 end)))
            // nullif(200 * ((case when s1 is not null then 1 else 0 end) + (case when s2 is not null then 1 else 0 end)), 0)
        ) / 100 as annual_average
    from pivoted
)
select
    a.*,
    case
        when lv.level_code is not null and t.promote_min_annual_average is null then 'promote'
        when a.annual_average is null then null
        -- the rounded average decides, as the marts do
        when a.annual_average >= t.promote_min_annual_average then 'promote'
        else 'repeat'
    end as decision
from averaged as a
left join ref_levels as lv on a.level_code = lv.level_code
left join ref_thresholds as t on lv.cycle_code = t.cycle_code;
