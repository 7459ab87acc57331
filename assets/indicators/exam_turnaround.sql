-- TAT de exames: p50 and p90 minutes from order to result, by kind and priority, month of order.
-- turnaround is read by name by p50_p90 (assets/macros/measures.sql)
with turnaround as (  -- noqa: ST03
    select
        cast(date_trunc('month', ordered_at) as date) as period,
        cast(json_object('kind', exam_kind, 'priority', priority) as varchar) as dimensions,
        epoch(resulted_at - ordered_at) / 60.0 as value
    from main.exams
    where ordered_at is not null and resulted_at is not null and in_periods(ordered_at)
),

final as (
    select
        period,
        dimensions,
        measure,
        value
    from p50_p90('turnaround')
)

select * from final
