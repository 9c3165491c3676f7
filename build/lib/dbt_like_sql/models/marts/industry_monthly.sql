-- Monthly roll-up of industry daily series, keyed by the month's last trading day (month_end).
{% import 'period_rollup.sql' as rollup with context %}
{{ rollup.industry_period_rollup(ref('industry_daily'), 'month') }}
