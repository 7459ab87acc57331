-- The months an indicator computes (loaded before the other macros: they call these). An
-- incremental load sets the variables upflux_period_from (first day of the first month) and
-- upflux_period_to (first day after the last month); unset, every month is computed. Each
-- indicator restricts the rows that give its months with in_periods(); the rows it only
-- looks up (readmissions after a discharge, the encounter of an account) stay whole.
create or replace temp macro period_from() as
coalesce(getvariable('upflux_period_from'), cast('-infinity' as date));

create or replace temp macro period_to() as
coalesce(getvariable('upflux_period_to'), cast('infinity' as date));

-- Whether a timestamp (or date) falls in the months computed; anything, empty included, when
-- every month is.
create or replace temp macro in_periods(ts) as
coalesce(
    ts >= period_from() and ts < period_to(),
    getvariable('upflux_period_from') is null and getvariable('upflux_period_to') is null
);
