-- porta-triagem: median and p90 minutes from arrival to triage start, month of arrival.
-- waits is read by name by p50_p90 (assets/macros/measures.sql)
with waits as (  -- noqa: ST03
    select
        cast(date_trunc('month', arrived_at) as date) as period,
        '{}' as dimensions,
        epoch(triage_started_at - arrived_at) / 60.0 as value
    from main.er_visits
    where arrived_at is not null and triage_started_at is not null and in_periods(arrived_at)
),

final as (
    select
        period,
        dimensions,
        measure,
        value
    from p50_p90('waits')
)

select * from final
