-- TAT de exames: p50 and p90 minutes from order to result, by kind and priority, month of order.
with turnaround as (
    select
        cast(date_trunc('month', ordered_at) as date) as period,
        exam_kind,
        priority,
        epoch(resulted_at - ordered_at) / 60.0 as minutes
    from main.exams
    where ordered_at is not null and resulted_at is not null and in_periods(ordered_at)
),

quantiles as (
    select
        period,
        exam_kind,
        priority,
        quantile_cont(minutes, 0.5) as p50,
        quantile_cont(minutes, 0.9) as p90
    from turnaround
    group by all
),

final as (
    select
        q.period,
        cast(json_object('kind', q.exam_kind, 'priority', q.priority) as varchar) as dimensions,
        m.measure,
        m.value
    from quantiles as q
    cross join lateral (values ('p50', q.p50), ('p90', q.p90)) as m (measure, value)
)

select * from final
