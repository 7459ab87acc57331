/* One row per platform user, day and module. Only the four product modules are reported */
/* (administration pages are not product use). */
WITH daily_usage AS (
  SELECT
    user_id AS user_id,
    module_id AS module_id,
    usage_day AS usage_day,
    session_count AS session_count,
    action_count AS action_count
  FROM usage_daily
), product_modules AS (
  SELECT
    module_id AS module_id,
    REPLACE(slug, '-', '_') AS module_name
  FROM platform_module
  WHERE
    slug IN ('dashboards', 'process-maps', 'reference-models', 'reports')
), final AS (
  SELECT
    CAST(u.user_id AS VARCHAR(20)) AS user_key,
    u.usage_day AS usage_date,
    m.module_name AS module,
    u.session_count AS logins,
    u.action_count AS actions
  FROM daily_usage AS u
  INNER JOIN product_modules AS m
    ON u.module_id = m.module_id
)
SELECT
  *
FROM final
