-- Monthly compounded stock returns keyed by the month's last trading day (month_end), with the number
-- of traded days and the month-end float and total market cap and industry. Returns compound the days the
-- stock traded (suspended days have no return); a month without one has a return of 0 and n_days = 0.
with daily as (

    select
        *,
        date_trunc('month', trade_date) as month_start
    from {{ ref('stock_returns_daily') }}
    where trade_date >= {{ window_start }}
        and trade_date < {{ window_end }}

),

month_ends as (

    select month_start, max(trade_date) as month_end
    from daily
    group by month_start

),

last_day as (

    select
        stock_id,
        month_start,
        arg_max(float_mcap, trade_date) as float_mcap,
        arg_max(total_mcap, trade_date) as total_mcap,
        arg_max(industry_code, trade_date) as industry_code,
        arg_max(is_st, trade_date) as is_st,
        max(listed_days) as listed_days
    from daily
    group by stock_id, month_start

),

days as (

    -- the month's days of each stock in date order (list_sort on structs whose first field is the date)
    select
        stock_id,
        month_start,
        list_sort(list({'d': trade_date, 'l': log_ret, 'e': excess_ret, 't': turnover})) as days,
        count(*) filter (where not is_suspended) as n_days
    from daily
    group by stock_id, month_start

),

compounded as (

    select
        stock_id,
        month_start,
        -- sums in date order, element by element along the sorted list: the bits do not depend on how the
        -- rows were loaded (the same bits as sum(x order by trade_date), at a fraction of its time and memory)
        exp(coalesce(list_sum(list_transform(days, x -> x.l)), 0)) - 1 as ret,
        coalesce(list_sum(list_transform(days, x -> x.l)), 0) as log_ret,
        exp(coalesce(list_sum(list_transform(days, x -> ln(1 + x.e))), 0)) - 1 as excess_ret,
        n_days,
        list_sum(list_transform(days, x -> x.t)) as turnover
    from days

),

final as (

    select
        month_ends.month_end,
        compounded.stock_id,
        compounded.ret,
        compounded.log_ret,
        compounded.excess_ret,
        compounded.n_days,
        compounded.turnover,
        last_day.float_mcap,
        last_day.total_mcap,
        last_day.industry_code,
        last_day.is_st,
        last_day.listed_days
    from compounded
    join last_day using (stock_id, month_start)
    join month_ends using (month_start)

)

select * from final
