-- p50 and p90 (quantile_cont, numpy's linear) of `value` per period and dimensions of the
-- rows of `tbl`: a CTE of the indicator's query, named in quotes (query_table), with columns
-- period, dimensions, value. Output columns: period, dimensions, measure, value.
create or replace temp macro p50_p90(tbl) as table
    with quantiles as (
        select
            period,
            dimensions,
            quantile_cont(value, 0.5) as p50,
            quantile_cont(value, 0.9) as p90
        from query_table(tbl)
        group by period, dimensions
    ),

    final as (
        select
            q.period,
            q.dimensions,
            m.measure,
            m.value
        from quantiles as q
        cross join lateral (values ('p50', q.p50), ('p90', q.p90)) as m (measure, value)
    )

    select * from final;
