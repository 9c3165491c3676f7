-- Industry daily series over point-in-time constituents: equal- and cap-weighted return (weights =
-- previous-day float cap), cap-weighted turnover and amplitude, total amount, constituent count.
-- Suspended stocks are not constituents on the days they do not trade. cw_weight_sum adds up the weights
-- behind ret_cw (constituents with a return and a previous-day cap): 1 by construction, checked by schema.yml.
with daily as (

    select * from {{ ref('stock_returns_daily') }}
    where trade_date >= {{ window_start }}
        and trade_date < {{ window_end }}
        and industry_code is not null
        and not is_suspended

),

final as (

    select
        trade_date,
        industry_code,
        avg(ret) as ret_ew,
        sum(ret * prev_float_mcap) / sum(prev_float_mcap) as ret_cw,
        sum(prev_float_mcap) filter (where ret is not null) / sum(prev_float_mcap) as cw_weight_sum,
        sum(turnover * prev_float_mcap) / sum(prev_float_mcap) as turnover,
        sum(amount) as amount,
        sum(amplitude * prev_float_mcap) / sum(prev_float_mcap) as amplitude,
        sum(float_mcap) as float_mcap,
        count(*) as n_constituents
    from daily
    group by trade_date, industry_code

)

select * from final
