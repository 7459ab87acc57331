-- ocupacao de sala: minutes rooms were in use (in-room to out-of-room of realised surgeries,
-- counted whole in the month the patient entered the room, even past closing time) / minutes
-- rooms were open x 100, per month. Open minutes: each room's opening hours of the schedule
-- period covering the day, for every day from the first scheduled surgery to the last day of
-- data (the latest admission date, as the census).
with all_bounds as (
    select
        (select min(cast(scheduled_start as date)) from main.surgeries) as first_day,
        (select max(cast(admitted_at as date)) from main.encounters) + 1 as end_day
),

-- the days of the months computed (_periods.sql); if(), not greatest(): an empty bound stays
bounds as (
    select
        if(first_day < period_from(), period_from(), first_day) as first_day,
        if(end_day > period_to(), period_to(), end_day) as end_day
    from all_bounds
),

days as (
    select cast(r.d as date) as day
    from bounds as b
    cross join range(b.first_day, b.end_day, interval 1 day) as r (d)
),

open_minutes as (
    select
        cast(date_trunc('month', d.day) as date) as period,
        sum(date_diff('second', r.opens_at, r.closes_at) / 60.0) as minutes
    from days as d
    inner join main.surgery_rooms as r
        on d.day >= r.valid_from
        and (r.valid_to is null or d.day < r.valid_to)
    group by 1
),

used_minutes as (
    select
        cast(date_trunc('month', in_room_at) as date) as period,
        sum(epoch(out_of_room_at - in_room_at) / 60.0) as minutes
    from main.surgeries
    where
        status = 'realizada'
        and in_room_at is not null
        and out_of_room_at is not null
        and in_periods(in_room_at)
    group by 1
),

final as (
    select
        o.period,
        '{}' as dimensions,
        'value' as measure,
        100.0 * coalesce(u.minutes, 0) / nullif(o.minutes, 0) as value
    from open_minutes as o
    left join used_minutes as u on o.period = u.period
)

select * from final
