-- Google Health sleep sessions. Times are UTC with the user's offset as a duration ('3600s'); the sleep
-- belongs to the local date on which it ends. Stage totals come from the summary's stagesSummary (minutes ->
-- seconds); classic sleeps (ASLEEP / RESTLESS, no stages) have only the asleep total, kept as light sleep is
-- not: their stage columns stay null. Google gives no sleep score in v4; HRV (RMSSD, ms) is the day's
-- deep-sleep RMSSD from daily-heart-rate-variability.
with sleeps as (
    select
        *,
        payload -> 'sleep' as sleep,
        payload -> 'sleep' -> 'interval' as span
    from {{ ref('stg_google_health__data_points') }}
    where data_type = 'sleep'
),

stage_minutes as (
    select
        sleeps.id,
        {%- for stage in ['deep', 'light', 'rem', 'awake'] %}
        sum(
            case
                when stages.stage ->> 'type' = '{{ stage | upper }}' then cast(stages.stage ->> 'minutes' as double)
            end
        ) as {{ stage }}_min{{ ',' if not loop.last }}
        {%- endfor %}
    from sleeps,
        unnest(cast(sleeps.sleep -> 'summary' -> 'stagesSummary' as json[])) as stages (stage)
    group by sleeps.id
),

shaped as (
    select
        sleeps.*,
        cast(sleeps.span ->> 'startTime' as timestamptz) as start_time,
        cast(sleeps.span ->> 'endTime' as timestamptz) as end_time,
        try_cast(rtrim(sleeps.span ->> 'endUtcOffset', 's') as double) as offset_s,
        stage_minutes.deep_min,
        stage_minutes.light_min,
        stage_minutes.rem_min,
        stage_minutes.awake_min
    from sleeps
    left join stage_minutes on stage_minutes.id = sleeps.id
),

dated as (
    select
        *,
        cast(timezone('UTC', end_time) + to_seconds(coalesce(offset_s, 0)) as date) as local_date
    from shaped
),

hrv as (
    select
        athlete_id,
        make_date(
            cast(payload -> 'dailyHeartRateVariability' -> 'date' ->> 'year' as integer),
            cast(payload -> 'dailyHeartRateVariability' -> 'date' ->> 'month' as integer),
            cast(payload -> 'dailyHeartRateVariability' -> 'date' ->> 'day' as integer)
        ) as local_date,
        max(cast(
            payload -> 'dailyHeartRateVariability' ->> 'deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds'
            as double
        )) as deep_sleep_rmssd_ms
    from {{ ref('stg_google_health__data_points') }}
    where data_type = 'daily_heart_rate_variability'
    group by all
)

select
    {{ source_scoped_id("'google_health'", 'dated.id') }} as sleep_id,
    dated.id as external_id,
    dated.athlete_id,
    dated.device_id,
    'google_health' as source,
    dated.start_time,
    dated.end_time,
    case when dated.offset_s between -50400 and 50400 then cast(dated.offset_s as integer) end as utc_offset_s,
    dated.local_date,
    epoch(dated.end_time) - epoch(dated.start_time) as duration_s,
    dated.deep_min * 60 as deep_s,
    dated.light_min * 60 as light_s,
    dated.rem_min * 60 as rem_s,
    coalesce(dated.awake_min, cast(dated.sleep -> 'summary' ->> 'minutesAwake' as double)) * 60 as awake_s,
    cast(null as double) as score,
    cast(null as double) as avg_hr,
    cast(null as double) as lowest_hr,
    case when coalesce(cast(dated.sleep -> 'metadata' ->> 'mainSleep' as boolean), true)
        then {{ within('hrv.deep_sleep_rmssd_ms', 1, 300) }}
    end as hrv_rmssd_ms,
    cast(null as double) as respiration_rate,
    case when cast(dated.sleep -> 'metadata' ->> 'nap' as boolean) then 'nap' else 'sleep' end as sleep_type,
    dated.fetched_at,
    dated.load_id
from dated
left join hrv on hrv.athlete_id = dated.athlete_id and hrv.local_date = dated.local_date
where dated.start_time is not null and dated.end_time is not null and dated.end_time > dated.start_time
