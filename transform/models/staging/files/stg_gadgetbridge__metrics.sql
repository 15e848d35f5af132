-- Gadgetbridge all-day heart rate into metrics: one value per band and minute (the samples' HEART_RATE, bpm),
-- within the metric_types seed's plausible range (written out: staging builds without the seeds).
select
    '{{ var("files_athlete_id") }}' as athlete_id,
    device_id,
    'files' as source,
    'heart_rate' as metric,
    ts,
    cast(heart_rate as double) as value,
    load_id
from {{ ref('stg_gadgetbridge__samples') }}
where heart_rate between 25 and 250
