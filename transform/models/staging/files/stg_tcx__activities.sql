-- One activity recording per TCX activity, summarised from its laps (TCX's own summary level). The legs of
-- a MultiSportSession (and its transitions) are activities too, linked like FIT multisport sessions by
-- multisport_group_id: 'files:<sha256>' (a further session in the same file: 'files:<sha256>:multisport<n>').
with activities as (
    select * from {{ optional_source('raw_files', 'tcx_activity', {
        'file_sha256': 'varchar', 'activity_index': 'bigint', 'sport': 'varchar', 'id': 'varchar',
        'start_time': 'timestamptz', 'multisport_index': 'bigint'}) }}
),

laps as (
    select
        recording_id,
        min(start_time) as first_lap_start,
        sum(duration_s) as duration_s,
        sum(distance_m) as distance_m,
        sum(kcal) as kcal,
        sum(avg_hr * duration_s) / nullif(sum(case when avg_hr is not null then duration_s end), 0) as avg_hr,
        max(max_hr) as max_hr
    from {{ ref('stg_tcx__laps') }}
    group by recording_id
),

points as (
    select recording_id, min(ts) as first_ts, max(ts) as last_ts, bool_or(lat is not null) as has_gps,
        avg(cadence) as avg_cadence, avg(power_w) as avg_power_w
    from {{ ref('stg_tcx__trackpoints') }}
    group by recording_id
),

files as (select * from {{ ref('stg_files__imports') }} where format = 'tcx'),

shaped as (
    select
        'files:' || activities.file_sha256 || ':' || coalesce(activities.activity_index, 0) as recording_id,
        activities.file_sha256 || ':' || coalesce(activities.activity_index, 0) as external_id,
        files.export_name,
        files.export_gear,
        files.export_commute,
        case
            when activities.multisport_index = 0 then 'files:' || activities.file_sha256
            when activities.multisport_index > 0
                then 'files:' || activities.file_sha256 || ':multisport' || activities.multisport_index
        end as multisport_group_id,
        lower(activities.sport) as source_sport,
        coalesce(activities.start_time, laps.first_lap_start, points.first_ts) as start_time,
        coalesce(laps.duration_s, epoch(points.last_ts) - epoch(points.first_ts), 0) as duration_s,
        laps.distance_m,
        laps.kcal,
        laps.avg_hr,
        laps.max_hr,
        points.avg_cadence,
        points.avg_power_w,
        coalesce(points.has_gps, false) as has_gps,
        files.imported_at as fetched_at,
        files.load_id
    from activities
    left join laps
        on laps.recording_id = 'files:' || activities.file_sha256 || ':' || coalesce(activities.activity_index, 0)
    left join points
        on points.recording_id = 'files:' || activities.file_sha256 || ':' || coalesce(activities.activity_index, 0)
    left join files on files.file_sha256 = activities.file_sha256
)

select
    recording_id,
    external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    cast(null as varchar) as device_id,
    'files' as source,
    coalesce(export_name, {{ sentence_case("coalesce(source_sport, 'activity')") }}) as name,
    export_gear as gear,
    export_commute as commute,
    multisport_group_id,
    source_sport,
    start_time,
    start_time + to_microseconds(cast(duration_s * 1e6 as bigint)) as end_time,
    cast(null as integer) as utc_offset_s,
    cast(start_time at time zone 'UTC' as date) as local_date,
    duration_s,
    cast(null as double) as moving_s,
    {{ within('distance_m', 0, 1000000) }} as distance_m,
    cast(null as double) as ascent_m,
    {{ within('avg_hr', 25, 250) }} as avg_hr,
    {{ within('max_hr', 25, 250) }} as max_hr,
    {{ within('avg_power_w', 0, 2500) }} as avg_power_w,
    case when duration_s > 0 then {{ within('distance_m / duration_s', 0, 60) }} end as avg_speed_mps,
    {{ within('avg_cadence', 0, 300) }} as avg_cadence,
    {{ within('kcal', 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    has_gps,
    false as indoor,
    fetched_at,
    load_id
from shaped
where start_time is not null and duration_s between 0 and 172800
