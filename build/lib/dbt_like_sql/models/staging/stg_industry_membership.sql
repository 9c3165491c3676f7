-- Point-in-time industry spells: a stock belongs to industry_code on [in_date, out_date).
with source as (

    select * from {{ source('raw', 'industry_membership') }}

),

final as (

    select
        cast(stock_id as varchar) as stock_id,
        cast(industry_code as varchar) as industry_code,
        cast(industry_name as varchar) as industry_name,
        cast(in_date as date) as in_date,
        -- a spell ends at its out_date, or at the stock's next spell when a later load added one
        coalesce(
            least(
                cast(out_date as date),
                lead(cast(in_date as date)) over (partition by stock_id order by in_date)
            ),
            date '9999-12-31'
        ) as out_date
    from source

)

select * from final
