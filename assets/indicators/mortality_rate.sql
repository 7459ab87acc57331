-- taxa de mortalidade geral (all deaths / saidas x 100) and institucional (deaths at least
-- 24 hours after admission / saidas x 100), per month of exit with at least one saida.
with exits as (
    select * from saidas()
),

monthly as (
    select
        period,
        count(*) as saidas,
        count(*) filter (where discharge_type = 'obito') as deaths,
        count(*) filter (
            where discharge_type = 'obito' and discharged_at - admitted_at >= interval 24 hours
        ) as deaths_after_24h
    from exits
    group by period
),

final as (
    select
        m.period,
        cast(json_object('scope', v.scope) as varchar) as dimensions,
        'value' as measure,
        100.0 * v.deaths / m.saidas as value
    from monthly as m
    cross join lateral (
        values ('geral', m.deaths), ('institucional', m.deaths_after_24h)
    ) as v (scope, deaths)
)

select * from final
