-- Monthly roll-up of industry daily series, keyed by the month's last trading day (month_end).
with daily as (

    select
        *,
        date_trunc('month', trade_date) as month_start
    from {{ ref('industry_daily') }}
    where trade_date >= {{ window_start }}
        and trade_date < {{ window_end }}

),

month_ends as (

    select month_start, max(trade_date) as month_end
    from daily
    group by month_start

),

final as (

    select
        month_ends.month_end,
        daily.industry_code,
        exp(sum(ln(1 + daily.ret_ew))) - 1 as ret_ew,
        exp(sum(ln(1 + daily.ret_cw))) - 1 as ret_cw,
        sum(daily.turnover) as turnover,
        sum(daily.amount) as amount,
        avg(daily.amplitude) as amplitude,
        arg_max(daily.float_mcap, daily.trade_date) as float_mcap,
        arg_max(daily.n_constituents, daily.trade_date) as n_constituents,
        count(*) as n_days
    from daily
    join month_ends using (month_start)
    group by month_ends.month_end, daily.industry_code

)

select * from final
