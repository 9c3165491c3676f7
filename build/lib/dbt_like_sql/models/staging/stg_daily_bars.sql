-- Typed daily bars with the return, amplitude and A-share flags every mart needs.
with source as (

    select * from {{ source('raw', 'daily_bars') }}

),

typed as (

    select
        cast(trade_date as date) as trade_date,
        cast(stock_id as varchar) as stock_id,
        cast(open as double) as open,
        cast(high as double) as high,
        cast(low as double) as low,
        cast(close as double) as close,
        cast(pre_close as double) as pre_close,
        cast(volume as double) as volume,
        cast(amount as double) as amount,
        cast(turnover as double) as turnover,
        cast(float_mcap as double) as float_mcap,
        cast(total_mcap as double) as total_mcap,
        cast(is_st as boolean) as is_st,
        cast(is_suspended as boolean) as is_suspended
    from source

),

final as (

    select
        *,
        close / pre_close - 1 as ret,
        ln(close / pre_close) as log_ret,
        high / low - 1 as amplitude,
        -- limit-up: closed at the +10% (+5% for ST) limit, so it could not be bought at the close
        close / pre_close - 1 >= (case when is_st then 0.05 else 0.10 end) - 0.0005 as is_limit_up,
        close / pre_close - 1 <= -(case when is_st then 0.05 else 0.10 end) + 0.0005 as is_limit_down
    from typed

)

select * from final
