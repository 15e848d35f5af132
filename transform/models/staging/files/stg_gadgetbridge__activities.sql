-- One recording per Gadgetbridge workout (BASE_ACTIVITY_SUMMARY), the latest export's version of each
-- (summary_key = device + start). Times are UTC (the columns are unix milliseconds; no offset is stored).
-- Totals come from SUMMARY_DATA, Gadgetbridge's JSON of {"<entry>": {"value": ..., "unit": ...}} (entry names of
-- its ActivitySummaryEntries: distanceMeters, ascentMeters, averageHR, maxHR, caloriesBurnt, activeSeconds,
-- averageCadence / stepRateAvg); the sport from ACTIVITY_KIND, Gadgetbridge's ActivityKind code, named as the
-- files' sport_types seed knows it (others keep a name of their own and become 'other').
with summaries as (
    select * from {{ optional_source('raw_files', 'gadgetbridge_activity_summary', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'summary_key': 'varchar', 'device_key': 'varchar',
        'name': 'varchar', 'start_time': 'timestamptz', 'end_time': 'timestamptz', 'activity_kind': 'bigint',
        'gpx_track': 'varchar', 'summary_data': 'varchar', '_dlt_load_id': 'varchar'}) }}
    where summary_key is not null and start_time is not null and end_time >= start_time
),

exports as (
    select file_sha256, max(latest_sample_at) as latest_sample_at
    from {{ optional_source('raw_files', 'gadgetbridge_export', {
        'file_sha256': 'varchar', 'latest_sample_at': 'timestamptz'}) }}
    group by file_sha256
),

latest as (
    select summaries.*
    from summaries
    left join exports using (file_sha256)
    qualify row_number() over (
        partition by summaries.summary_key
        order by exports.latest_sample_at desc nulls last, summaries._dlt_load_id desc, summaries.row_index desc
    ) = 1
),

shaped as (
    select
        *,
        case
            when json_valid(summary_data) then cast(summary_data as json)
        end as summary,
        case activity_kind
            when 16 then 'running'  -- RUNNING
            when 256 then 'running'  -- TREADMILL
            when 32 then 'walking'
            when 64 then 'swimming'
            when 1024 then 'swimming'  -- SWIMMING_OPENWATER
            when 67108874 then 'swimming'  -- POOL_SWIM
            when 128 then 'cycling'
            when 2048 then 'cycling'  -- INDOOR_CYCLING
            when 67108867 then 'cycling'  -- E_BIKE
            when 4194304 then 'hiking'
            when 65536 then 'rowing'  -- ROWING_MACHINE
            when 67108886 then 'rowing'
            when 2097152 then 'training'  -- STRENGTH_TRAINING
            when 67108884 then 'alpine_skiing'  -- SKIING
            when 67108883 then 'cross_country_skiing'  -- XC_CLASSIC_SKI
            when 67109032 then 'cross_country_skiing'
            when 4096 then 'elliptical'
            when 16384 then 'yoga'
            else 'gadgetbridge_' || cast(activity_kind as varchar)
        end as source_sport,
        activity_kind in (256, 2048, 65536, 67108874) as is_indoor
    from latest
),

totals as (
    select
        *,
        case
            when summary -> 'distanceMeters' ->> 'unit' = 'km'
                then cast(summary -> 'distanceMeters' ->> 'value' as double) * 1000
            else cast(summary -> 'distanceMeters' ->> 'value' as double)
        end as distance,
        cast(summary -> 'ascentMeters' ->> 'value' as double) as ascent,
        cast(summary -> 'averageHR' ->> 'value' as double) as hr_avg,
        cast(summary -> 'maxHR' ->> 'value' as double) as hr_max,
        cast(summary -> 'caloriesBurnt' ->> 'value' as double) as calories,
        cast(summary -> 'activeSeconds' ->> 'value' as double) as active_s,
        coalesce(
            cast(summary -> 'averageCadence' ->> 'value' as double),
            cast(summary -> 'stepRateAvg' ->> 'value' as double)
        ) as cadence
    from shaped
),

files as (select file_sha256, imported_at from {{ ref('stg_files__imports') }} where format = 'gadgetbridge')

select
    'files:gadgetbridge:' || summary_key as recording_id,
    summary_key as external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    'files:' || device_key as device_id,
    'files' as source,
    coalesce(nullif(name, ''), {{ sentence_case("replace(source_sport, '_', ' ')") }}) as name,
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    source_sport,
    start_time,
    end_time,
    0 as utc_offset_s,
    cast(start_time at time zone 'UTC' as date) as local_date,
    epoch(end_time) - epoch(start_time) as duration_s,
    case when active_s <= epoch(end_time) - epoch(start_time) + 1 then active_s end as moving_s,
    {{ within('distance', 0, 1000000) }} as distance_m,
    {{ within('ascent', 0, 20000) }} as ascent_m,
    {{ within('hr_avg', 25, 250) }} as avg_hr,
    {{ within('hr_max', 25, 250) }} as max_hr,
    cast(null as double) as avg_power_w,
    {{ within('distance / nullif(coalesce(active_s, epoch(end_time) - epoch(start_time)), 0)', 0, 60) }}
        as avg_speed_mps,
    {{ within('cadence', 0, 300) }} as avg_cadence,
    {{ within('calories', 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    -- the track is a GPX file on the phone, not in the database export
    false as has_gps,
    is_indoor as indoor,
    files.imported_at as fetched_at,
    _dlt_load_id as load_id
from totals
left join files using (file_sha256)
