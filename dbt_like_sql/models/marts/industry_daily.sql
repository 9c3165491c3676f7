-- Industry daily series over point-in-time constituents: equal- and cap-weighted return (weights =
-- previous-day float cap), cap-weighted turnover and amplitude, total amount, constituent count.
-- Suspended stocks are not constituents on the days they do not trade. Sums run in stock order, so a day's
-- figures do not depend on how the rows were loaded: a one-month run and a backfill give the same bits.
-- The stock order comes from one list of the day's constituents sorted by stock_id (list_sort on structs
-- whose first field is stock_id), summed element by element in list order: the same bits as ordered
-- aggregates (sum(x order by stock_id)), which cost about 10 times as long and held a per-group sort
-- buffer for every aggregate (a 24-month chunk of 2,000 stocks ran out of DuckDB's 2 GB).
-- cw_weight_sum adds up the weights behind ret_cw (constituents with a return and a previous-day
-- cap): 1 by construction, checked by schema.yml.
with daily as (

    select * from {{ ref('stock_returns_daily') }}
    where trade_date >= {{ window_start }}
        and trade_date < {{ window_end }}
        and industry_code is not null
        and not is_suspended

),

constituents as (

    select
        trade_date,
        industry_code,
        list_sort(list({
            's': stock_id,
            'r': ret,
            'w': prev_float_mcap,
            't': turnover,
            'a': amount,
            'p': amplitude,
            'f': float_mcap
        })) as rows
    from daily
    group by trade_date, industry_code

),

final as (

    select
        trade_date,
        industry_code,
        list_avg(list_transform(rows, x -> x.r)) as ret_ew,
        list_sum(list_transform(rows, x -> x.r * x.w)) / list_sum(list_transform(rows, x -> x.w)) as ret_cw,
        list_sum(list_transform(list_filter(rows, x -> x.r is not null), x -> x.w))
            / list_sum(list_transform(rows, x -> x.w)) as cw_weight_sum,
        list_sum(list_transform(rows, x -> x.t * x.w)) / list_sum(list_transform(rows, x -> x.w)) as turnover,
        list_sum(list_transform(rows, x -> x.a)) as amount,
        list_sum(list_transform(rows, x -> x.p * x.w)) / list_sum(list_transform(rows, x -> x.w)) as amplitude,
        list_sum(list_transform(rows, x -> x.f)) as float_mcap,
        len(rows) as n_constituents
    from constituents

)

select * from final
