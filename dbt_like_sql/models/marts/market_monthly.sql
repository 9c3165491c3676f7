-- Market monthly series keyed by month_end: total and excess return, rf, the trailing 24-month
-- cumulative total return (Daniel-Moskowitz bear indicator input) and the variance of the 126 daily
-- market returns up to month end (decimal daily variance, D-M Eq. 4 input). Reads history back to the
-- start of the data for the trailing windows; rows before the window are dropped at the end.
with daily as (

    select
        *,
        date_trunc('month', trade_date) as month_start
    from {{ ref('stg_market_daily') }}
    where trade_date < {{ window_end }}

),

rolling_variance as (

    select
        trade_date,
        month_start,
        var_samp(market_ret) over (order by trade_date rows between 125 preceding and current row) as var_126d,
        count(*) over (order by trade_date rows between 125 preceding and current row) as n_126d
    from daily

),

monthly as (

    select
        month_start,
        max(trade_date) as month_end,
        exp(sum(ln(1 + market_ret) order by trade_date)) - 1 as market_ret,
        exp(sum(ln(1 + rf) order by trade_date)) - 1 as rf,
        exp(sum(ln(1 + market_ret) order by trade_date)) - exp(sum(ln(1 + rf) order by trade_date)) as market_excess,
        count(*) as n_days
    from daily
    group by month_start

),

trailing_windows as (

    select
        monthly.*,
        exp(sum(ln(1 + market_ret)) over w24) - 1 as cum_ret_24m,
        count(*) over w24 as n_months_24m
    from monthly
    window w24 as (order by month_start rows between 23 preceding and current row)

),

final as (

    select
        trailing_windows.month_end,
        trailing_windows.market_ret,
        trailing_windows.rf,
        trailing_windows.market_excess,
        case when trailing_windows.n_months_24m = 24 then trailing_windows.cum_ret_24m end as cum_ret_24m,
        case when rolling_variance.n_126d = 126 then rolling_variance.var_126d end as var_126d,
        trailing_windows.n_days
    from trailing_windows
    join rolling_variance
        on rolling_variance.trade_date = trailing_windows.month_end
    where trailing_windows.month_end >= {{ window_start }}

)

select * from final
