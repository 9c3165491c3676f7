{#- Roll-up of a daily industry series to a calendar grain ('week' or 'month'), keyed by the period's last
    trading day (<grain>_end): returns compounded, turnover and amount summed, amplitude averaged (in date
    order, so the bits do not depend on how the rows were loaded), float cap and constituents as of the last
    day. The window bounds are the calling model's. -#}
{% macro industry_period_rollup(daily_table, grain) %}
with daily as (

    select
        *,
        date_trunc('{{ grain }}', trade_date) as {{ grain }}_start
    from {{ daily_table }}
    where trade_date >= {{ window_start }}
        and trade_date < {{ window_end }}

),

period_ends as (

    select {{ grain }}_start, max(trade_date) as {{ grain }}_end
    from daily
    group by {{ grain }}_start

),

final as (

    select
        period_ends.{{ grain }}_end,
        daily.industry_code,
        exp(sum(ln(1 + daily.ret_ew) order by daily.trade_date)) - 1 as ret_ew,
        exp(sum(ln(1 + daily.ret_cw) order by daily.trade_date)) - 1 as ret_cw,
        sum(daily.turnover order by daily.trade_date) as turnover,
        sum(daily.amount order by daily.trade_date) as amount,
        avg(daily.amplitude order by daily.trade_date) as amplitude,
        arg_max(daily.float_mcap, daily.trade_date) as float_mcap,
        arg_max(daily.n_constituents, daily.trade_date) as n_constituents,
        count(*) as n_days
    from daily
    join period_ends using ({{ grain }}_start)
    group by period_ends.{{ grain }}_end, daily.industry_code

)

select * from final
{% endmacro %}
