-- Typed quarterly fundamentals, usable from announce_date (point in time).
with source as (

    select * from {{ source('raw', 'fundamentals') }}

),

final as (

    select
        cast(stock_id as varchar) as stock_id,
        cast(announce_date as date) as announce_date,
        cast(period_end as date) as period_end,
        cast(book_equity as double) as book_equity,
        cast(net_income_ttm as double) as net_income_ttm,
        cast(revenue_ttm as double) as revenue_ttm,
        cast(total_assets as double) as total_assets,
        cast(total_liabilities as double) as total_liabilities
    from source

)

select * from final
