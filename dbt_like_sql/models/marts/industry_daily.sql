-- Industry daily series over point-in-time constituents: equal- and cap-weighted return (weights =
-- previous-day float cap), cap-weighted turnover and amplitude, total amount, constituent count.
-- Suspended stocks are not constituents on the days they do not trade. Sums run in stock order (ordered
-- aggregates), so a day's figures do not depend on how the rows were loaded: a one-month run and a
-- backfill give the same bits.
-- cw_weight_sum adds up the weights behind ret_cw (constituents with a return and a previous-day
-- cap): 1 by construction, checked by schema.yml.
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
        avg(ret order by stock_id) as ret_ew,
        sum(ret * prev_float_mcap order by stock_id) / sum(prev_float_mcap order by stock_id) as ret_cw,
        sum(prev_float_mcap order by stock_id) filter (where ret is not null)
            / sum(prev_float_mcap order by stock_id) as cw_weight_sum,
        sum(turnover * prev_float_mcap order by stock_id) / sum(prev_float_mcap order by stock_id) as turnover,
        sum(amount order by stock_id) as amount,
        sum(amplitude * prev_float_mcap order by stock_id) / sum(prev_float_mcap order by stock_id) as amplitude,
        sum(float_mcap order by stock_id) as float_mcap,
        count(*) as n_constituents
    from daily
    group by trade_date, industry_code

)

select * from final
