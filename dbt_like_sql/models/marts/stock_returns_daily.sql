-- One row per stock and trading day: returns (simple, log, excess of rf), size, liquidity, A-share flags
-- and the point-in-time industry. History before the window is read only for listed_days and lags.
-- A suspended day is not a trading day for the stock: its row stays (flags, caps, industry) but ret,
-- log_ret and excess_ret are NULL, so stock-level statistics see only the days the stock traded (the
-- first day after a suspension carries the whole move since the last close). Compounding skips the NULLs:
-- a holder's position keeps its last price, and a period without a trading day has a return of 0.
with bars as (

    select * from {{ ref('stg_daily_bars') }}
    where trade_date < {{ window_end }}

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
        row_number() over (partition by stock_id order by trade_date) as listed_days,
        lag(float_mcap) over (partition by stock_id order by trade_date) as prev_float_mcap
    from bars

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
    where sequenced.trade_date >= {{ window_start }}

)

select * from final
