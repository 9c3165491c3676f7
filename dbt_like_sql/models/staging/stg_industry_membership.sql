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
        coalesce(cast(out_date as date), date '9999-12-31') as out_date
    from source

)

select * from final
