-- Weekly roll-up of industry daily series, keyed by the week's last trading day (week_end).
with daily as (

    select
        *,
        date_trunc('week', trade_date) as week_start
    from {{ ref('industry_daily') }}
    where trade_date >= {{ window_start }}
        and trade_date < {{ window_end }}

),

week_ends as (

    select week_start, max(trade_date) as week_end
    from daily
    group by week_start

),

final as (

    select
        week_ends.week_end,
        daily.industry_code,
        exp(sum(ln(1 + daily.ret_ew))) - 1 as ret_ew,
        exp(sum(ln(1 + daily.ret_cw))) - 1 as ret_cw,
        sum(daily.turnover) as turnover,
        sum(daily.amount) as amount,
        avg(daily.amplitude) as amplitude,
        arg_max(daily.n_constituents, daily.trade_date) as n_constituents,
        count(*) as n_days
    from daily
    join week_ends using (week_start)
    group by week_ends.week_end, daily.industry_code

)

select * from final
