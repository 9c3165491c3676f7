-- Typed market index returns and the daily risk-free rate.
with source as (

    select * from {{ source('raw', 'market_daily') }}

),

final as (

    select
        cast(trade_date as date) as trade_date,
        cast(market_ret as double) as market_ret,
        cast(rf as double) as rf,
        cast(market_ret as double) - cast(rf as double) as market_excess
    from source

)

select * from final
