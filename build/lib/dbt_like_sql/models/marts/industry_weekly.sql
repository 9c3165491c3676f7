-- Weekly roll-up of industry daily series, keyed by the week's last trading day (week_end).
{% import 'period_rollup.sql' as rollup with context %}
{{ rollup.industry_period_rollup(ref('industry_daily'), 'week') }}
