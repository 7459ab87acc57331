-- taxa de ocupacao operacional: patient-days / operational bed-days x 100, per month, for the
-- hospital and per unit. Blocked beds do not count; extra beds count while occupied at the
-- census. Per unit, the numerator is the unit's beds occupied at the census (bed movements),
-- the denominator its beds' operational bed-days; same-day stays occupy no bed at midnight, so
-- the units do not add up to the hospital (whose patient-days count them, Portaria 312/2002).
with census as (
    select * from census_days()
),

bed_days as (
    select * from operational_bed_days()
),

hospital as (
    select
        cast(date_trunc('month', c.day) as date) as period,
        '{}' as dimensions,
        100.0 * sum(c.patient_days) / nullif(sum(b.beds), 0) as value
    from census as c
    inner join bed_days as b on c.day = b.day
    group by period
),

unit_beds as (
    select
        cast(date_trunc('month', b.day) as date) as period,
        b.unit_code,
        sum(b.beds) as beds
    from operational_bed_days_by_unit() as b
    group by all
),

unit_patients as (
    select
        cast(date_trunc('month', c.day) as date) as period,
        m.unit_code,
        count(*) as patients
    from census as c
    inner join main.bed_movements as m
        on c.census_at > m.started_at
        and (m.ended_at is null or c.census_at <= m.ended_at)
    group by all
),

by_unit as (
    select
        b.period,
        cast(json_object('unit', b.unit_code) as varchar) as dimensions,
        100.0 * coalesce(p.patients, 0) / nullif(b.beds, 0) as value
    from unit_beds as b
    left join unit_patients as p on b.period = p.period and b.unit_code = p.unit_code
    where b.unit_code is not null
),

final as (
    select
        period,
        dimensions,
        'value' as measure,
        value
    from hospital
    union all
    select
        period,
        dimensions,
        'value' as measure,
        value
    from by_unit
)

select * from final
