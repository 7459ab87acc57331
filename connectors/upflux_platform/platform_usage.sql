-- One row per platform user, day and module. Only the four product modules are reported
-- (administration pages are not product use).
with daily_usage as (
    select
        user_id,
        module_id,
        usage_day,
        session_count,
        action_count
    from usage_daily
),

product_modules as (
    select
        module_id,
        replace(slug, '-', '_') as module_name
    from platform_module
    where slug in ('dashboards', 'process-maps', 'reference-models', 'reports')
),

final as (
    select
        cast(u.user_id as varchar(20)) as user_key,
        u.usage_day as usage_date,
        m.module_name as module,
        u.session_count as logins,
        u.action_count as actions
    from daily_usage as u
    inner join product_modules as m
        on u.module_id = m.module_id
)

select * from final
