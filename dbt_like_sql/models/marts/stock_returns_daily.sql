-- One row per stock and trading day: returns (simple, log, excess of rf), size, liquidity, A-share flags
-- and the point-in-time industry. History before the window is read only for listed_days and lags, and
-- only as one aggregate per stock (its count of earlier bars and the last one's cap), so a month costs a
-- scan of the history, not a window function over it.
-- A suspended day is not a trading day for the stock: its row stays (flags, caps, industry) but ret,
-- log_ret and excess_ret are NULL, so stock-level statistics see only the days the stock traded (the
-- first day after a suspension carries the whole move since the last close). Compounding skips the NULLs:
-- a holder's position keeps its last price, and a period without a trading day has a return of 0.
with bars as (

    select * from {{ ref('stg_daily_bars') }}
    where trade_date >= {{ window_start }}
        and trade_date < {{ window_end }}

),

earlier as (

    select
        stock_id,
        count(*) as days_before,
        arg_max_null(float_mcap, trade_date) as last_float_mcap
    from {{ ref('stg_daily_bars') }}
    where trade_date < {{ window_start }}
    group by stock_id

),

market as (

    select trade_date, rf from {{ ref('stg_market_daily') }}

),

membership as (

    select * from {{ ref('stg_industry_membership') }}

),

sequenced as (

    select
        bars.*,
        coalesce(earlier.days_before, 0) + row_number() over by_stock as listed_days,
        -- the previous bar's cap, NULL included: the last one before the window for the window's first bar
        case
            when row_number() over by_stock = 1 then earlier.last_float_mcap
            else lag(bars.float_mcap) over by_stock
        end as prev_float_mcap
    from bars
    left join earlier
        on earlier.stock_id = bars.stock_id
    window by_stock as (partition by bars.stock_id order by bars.trade_date)

),

final as (

    select
        sequenced.trade_date,
        sequenced.stock_id,
        membership.industry_code,
        case when not sequenced.is_suspended then sequenced.ret end as ret,
        case when not sequenced.is_suspended then sequenced.log_ret end as log_ret,
        case when not sequenced.is_suspended then sequenced.ret - market.rf end as excess_ret,
        sequenced.close,
        sequenced.float_mcap,
        sequenced.total_mcap,
        sequenced.prev_float_mcap,
        sequenced.volume,
        sequenced.amount,
        sequenced.turnover,
        sequenced.amplitude,
        sequenced.is_st,
        sequenced.is_suspended,
        sequenced.is_limit_up,
        sequenced.is_limit_down,
        sequenced.listed_days
    from sequenced
    left join market
        on market.trade_date = sequenced.trade_date
    left join membership
        on membership.stock_id = sequenced.stock_id
        and sequenced.trade_date >= membership.in_date
        and sequenced.trade_date < membership.out_date

)

select * from final
