-- taxa de ocupacao operacional: patient-days / operational bed-days x 100, per month.
-- Blocked beds do not count; extra beds count while occupied at the census.
with census as (
    select * from census_days()
),

bed_status as (
    select
        c.day,
        b.bed_id,
        b.status
    from census as c
    inner join main.beds as b
        on c.census_at >= b.valid_from
        and (b.valid_to is null or c.census_at < b.valid_to)
),

occupied_beds as (
    select distinct
        c.day,
        m.bed_id
    from census as c
    inner join main.bed_movements as m
        on c.census_at > m.started_at
        and (m.ended_at is null or c.census_at <= m.ended_at)
),

bed_days as (
    select
        s.day,
        count(*) as beds
    from bed_status as s
    left join occupied_beds as o on s.day = o.day and s.bed_id = o.bed_id
    where s.status = 'operational' or (s.status = 'extra' and o.bed_id is not null)
    group by s.day
),

final as (
    select
        cast(date_trunc('month', c.day) as date) as period,
        '{}' as dimensions,
        'value' as measure,
        100.0 * sum(c.patient_days) / nullif(sum(b.beds), 0) as value
    from census as c
    inner join bed_days as b on c.day = b.day
    group by period
)

select * from final
