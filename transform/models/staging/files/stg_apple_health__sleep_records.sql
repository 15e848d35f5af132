-- Apple Health sleep records (the watch's stages and unspecified sleep) with their night. A night is a run of
-- one device's (or source's) sleep records with gaps under two hours; sleep_id = 'files:apple:' || hash of the
-- device and the night's first start. Apple's Core/Deep/REM/Awake map to light/deep/rem/awake; InBed (the
-- phone's bedtime) is not a stage, and AsleepUnspecified counts toward the night's length only.
with sleep as (
    select
        coalesce(device_id, 'source:' || source_name) as sleeper,
        device_id,
        start_time,
        end_time,
        end_offset_min,
        case value
            when 'HKCategoryValueSleepAnalysisAsleepCore' then 'light'
            when 'HKCategoryValueSleepAnalysisAsleepDeep' then 'deep'
            when 'HKCategoryValueSleepAnalysisAsleepREM' then 'rem'
            when 'HKCategoryValueSleepAnalysisAwake' then 'awake'
        end as stage
    from {{ ref('stg_apple_health__records') }}
    where type = 'HKCategoryTypeIdentifierSleepAnalysis'
        and value in (
            'HKCategoryValueSleepAnalysisAsleepCore', 'HKCategoryValueSleepAnalysisAsleepDeep',
            'HKCategoryValueSleepAnalysisAsleepREM', 'HKCategoryValueSleepAnalysisAwake',
            'HKCategoryValueSleepAnalysisAsleepUnspecified', 'HKCategoryValueSleepAnalysisAsleep'
        )
        and end_time > start_time
),

marked as (
    select
        *,
        case
            when start_time - max(end_time) over (
                partition by sleeper order by start_time rows between unbounded preceding and 1 preceding
            ) < interval 2 hour then 0
            else 1
        end as starts_night
    from sleep
),

nights as (
    select *, sum(starts_night) over (partition by sleeper order by start_time rows unbounded preceding) as night
    from marked
)

select
    'files:apple:' || md5(sleeper || '|' || cast(min(start_time) over (partition by sleeper, night) as varchar))
        as sleep_id,
    sleeper,
    device_id,
    stage,
    start_time,
    end_time,
    end_offset_min,
    epoch(end_time) - epoch(start_time) as duration_s,
    'files' as source
from nights
