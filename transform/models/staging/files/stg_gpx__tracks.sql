-- One activity recording per timed GPX track, summarised from its points (GPX has no summary).
with points as (select * from {{ ref('stg_gpx__points') }}),

tracks as (
    select
        recording_id,
        min(ts) as start_time,
        max(ts) as end_time,
        max(distance_m) as distance_m,
        avg(heart_rate) as avg_hr,
        max(heart_rate) as max_hr,
        avg(power_w) as avg_power_w,
        avg(cadence) as avg_cadence,
        bool_or(lat is not null) as has_gps
    from points
    group by recording_id
),

files as (select * from {{ ref('stg_files__imports') }} where format = 'gpx')

select
    tracks.recording_id,
    split_part(tracks.recording_id, ':', 2) || ':' || split_part(tracks.recording_id, ':', 3) as external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    cast(null as varchar) as device_id,
    'files' as source,
    coalesce(files.export_name, 'GPX track') as name,
    files.export_gear as gear,
    files.export_commute as commute,
    cast(null as varchar) as multisport_group_id,
    cast(null as varchar) as source_sport,
    tracks.start_time,
    tracks.end_time,
    cast(null as integer) as utc_offset_s,
    cast(tracks.start_time at time zone 'UTC' as date) as local_date,
    {{ within('epoch(tracks.end_time) - epoch(tracks.start_time)', 0, 172800) }} as duration_s,
    cast(null as double) as moving_s,
    tracks.distance_m,
    cast(null as double) as ascent_m,
    tracks.avg_hr,
    tracks.max_hr,
    tracks.avg_power_w,
    case when tracks.distance_m > 0 and tracks.end_time > tracks.start_time
        then {{ within('tracks.distance_m / (epoch(tracks.end_time) - epoch(tracks.start_time))', 0, 60) }}
    end as avg_speed_mps,
    tracks.avg_cadence,
    cast(null as double) as kcal,
    cast(null as double) as rpe,
    tracks.has_gps,
    false as indoor,
    files.imported_at as fetched_at,
    files.load_id
from tracks
left join files on files.file_sha256 = split_part(tracks.recording_id, ':', 2)
where epoch(tracks.end_time) - epoch(tracks.start_time) <= 172800
