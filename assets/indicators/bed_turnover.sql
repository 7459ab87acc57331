-- giro de leito: saidas / average operational beds, per month with census days. The average
-- operational beds of a month are its operational bed-days / its census days.
with months as (
    select * from census_months()
),

beds as (
    select
        cast(date_trunc('month', day) as date) as period,
        sum(beds) as bed_days
    from operational_bed_days()
    group by period
),

exits as (
    select
        period,
        count(*) as saidas
    from saidas()
    group by period
),

final as (
    select
        m.period,
        '{}' as dimensions,
        'value' as measure,
        coalesce(e.saidas, 0) / nullif(b.bed_days / m.n_days, 0) as value
    from months as m
    inner join beds as b on m.period = b.period
    left join exits as e on m.period = e.period
)

select * from final
