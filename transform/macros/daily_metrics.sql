{#- The daily wellness metrics that get one chosen value per athlete and day, in spec column order.
    openfit.wellness_daily, openfit.wellness_daily_by_source and marts.cross_device_daily follow this list;
    openfit.settings.DAILY_METRICS names the same metrics for the per-athlete overrides. -#}
{% macro daily_metrics() -%}
    {{ return(['resting_hr', 'hrv_rmssd_ms', 'steps', 'weight_kg', 'body_fat_pct', 'active_kcal', 'stress_avg',
               'sleep_s', 'sleep_score']) }}
{%- endmacro %}
