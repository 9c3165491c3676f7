-- Weekly (Monday-start) compounded stock returns, keyed by the week's last trading day (week_end), over
-- the days the stock traded (a week without one has a return of 0 and n_days = 0).
-- Weekly partitions: the window is whole Monday-start weeks.
with daily as (

    select * from {{ ref('stock_returns_daily') }}
    where trade_date >= {{ window_start }}
        and trade_date < {{ window_end }}

),

calendar as (

    select distinct trade_date, date_trunc('week', trade_date) as week_start
    from daily

),

week_ends as (

    select week_start, max(trade_date) as week_end
    from calendar
    group by week_start

),

final as (

    -- the week's log returns summed in date order along a list sorted by date: the bits do not depend on
    -- how the rows were loaded (the same bits as sum(log_ret order by trade_date), much faster)
    select
        week_ends.week_end,
        daily.stock_id,
        exp(coalesce(list_sum(list_transform(list_sort(list({'d': daily.trade_date, 'l': daily.log_ret})), x -> x.l)), 0))
            - 1 as ret,
        count(*) filter (where not daily.is_suspended) as n_days
    from daily
    join calendar using (trade_date)
    join week_ends using (week_start)
    group by week_ends.week_end, daily.stock_id

)

select * from final
