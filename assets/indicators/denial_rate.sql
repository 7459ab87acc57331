-- taxa de glosa: amount denied / amount billed x 100, per month the accounts were billed (sent
-- to the payer); and the Pareto of denial reasons: each TISS reason code's denied amount and
-- share of the month's denied amount (dimension reason; 'sem_codigo' when the ERP has none).
with billed as (
    select
        cast(date_trunc('month', billed_at) as date) as period,
        coalesce(amount_billed, 0) as amount_billed,
        coalesce(amount_denied, 0) as amount_denied,
        coalesce(nullif(trim(denial_reason), ''), 'sem_codigo') as reason
    from main.billing
    where billed_at is not null and in_periods(billed_at)
),

monthly as (
    select
        period,
        sum(amount_billed) as billed,
        sum(amount_denied) as denied
    from billed
    group by period
),

reasons as (
    select
        period,
        reason,
        sum(amount_denied) as denied
    from billed
    where amount_denied > 0
    group by period, reason
),

rate as (
    select
        m.period,
        '{}' as dimensions,
        v.measure,
        v.value
    from monthly as m
    cross join lateral (
        values
        ('value', 100.0 * m.denied / nullif(m.billed, 0)),
        ('billed', m.billed),
        ('denied', m.denied)
    ) as v (measure, value)
),

pareto as (
    select
        r.period,
        cast(json_object('reason', r.reason) as varchar) as dimensions,
        v.measure,
        v.value
    from reasons as r
    inner join monthly as m on r.period = m.period
    cross join lateral (
        values ('denied', r.denied), ('share', 100.0 * r.denied / m.denied)
    ) as v (measure, value)
),

final as (
    select
        period,
        dimensions,
        measure,
        cast(value as double) as value
    from rate
    union all
    select
        period,
        dimensions,
        measure,
        cast(value as double) as value
    from pareto
)

select * from final
