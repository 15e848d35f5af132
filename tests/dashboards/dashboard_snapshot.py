"""A small, deterministic serving snapshot in the published layout (openfit, marts, meta schemas).

Used by the dashboard tests until/unless the session fixture warehouse is available, and to exercise the
pages on marts the real build may not produce yet. Written with plain DuckDB SQL so that a large cohort
(benchmarks) is generated in seconds. The data is plausible, not physiological truth: it only has to give
every chart something real to draw.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl


def build_snapshot(
    path: Path,
    *,
    athletes: int = 3,
    days: int = 60,
    end_date: date = date(2026, 6, 30),
    sample_interval_s: int = 1,
    with_marts: bool = True,
    with_import_log: bool = False,
    seed: float = 0.42,
) -> Path:
    """Write a complete snapshot file at `path` (atomically replacing an existing one) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(
        f".factory-{os.getpid()}.duckdb.tmp"
    )  # not "openfit.*": the catalog would shadow the schema
    tmp.unlink(missing_ok=True)
    start_date = end_date - timedelta(days=days - 1)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"select setseed({seed})")
        for schema in ("openfit", "marts", "meta"):
            con.execute(f"create schema {schema}")
        _openfit(con, athletes, start_date, days, sample_interval_s)
        if with_marts:
            _marts(con)
        _meta(con)
        if with_import_log:
            _import_log(con)
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def _openfit(con: duckdb.DuckDBPyConnection, athletes: int, start: date, days: int, step: int) -> None:
    con.execute(
        """
        create table openfit.athletes as
        select 'ath_' || lpad(i::varchar, 3, '0') as athlete_id, 'Athlete ' || i as display_name,
               case when i % 2 = 0 then 'female' else 'male' end as sex, 1980 + i as birth_year,
               'Europe/Berlin' as home_timezone, 60.0 + 3 * i as weight_kg, 'synthetic' as source
        from range(1, ? + 1) t(i)
        """,
        [athletes],
    )
    con.execute(
        """
        create table openfit.athlete_thresholds as
        select athlete_id, ?::date as valid_from, null::date as valid_to, 190.0 as hr_max, 50.0 as hr_rest,
               170.0 as lthr, 220.0 + 5 * row_number() over () as ftp_w, 270.0 as threshold_pace_s_per_km,
               'profile' as method, 'synthetic' as source
        from openfit.athletes
        """,
        [start],
    )
    con.execute(
        """
        create table openfit.devices as
        select athlete_id || '_' || kind as device_id, athlete_id, vendor, model, kind as device_type,
               null::varchar as serial_number, null::varchar as external_id, d.source
        from openfit.athletes,
             (values ('watch', 'Garmin', 'Forerunner 965', 'garmin'),
                     ('bike', 'Wahoo', 'ELEMNT Bolt', 'wahoo'),
                     ('ring', 'Oura', 'Ring Gen3', 'oura')) d(kind, vendor, model, source)
        """
    )
    # Activities: most days one workout; rides carry power and a bike-computer copy, runs do not.
    con.execute(
        """
        create table openfit.activities as
        with days as (
            select a.athlete_id, (?::date + d * interval 1 day)::date as local_date, d, random() as r
            from openfit.athletes a, range(?) t(d)
        )
        select 'act_' || md5(athlete_id || local_date)[:16] as activity_id, athlete_id,
               case when d % 3 = 0 then 'run' else 'ride' end as sport, null::varchar as sub_sport,
               (local_date + interval 6 hour + (r * 120)::int * interval 1 minute)::timestamptz as start_time,
               local_date,
               (case when d % 3 = 0 then 1800 + (r * 2400)::int else 2700 + (r * 4500)::int end) // ? * ?
                   as duration_s,
               7200 as utc_offset_s
        from days
        where r < 0.72
        """,
        [start, days, step, step],
    )
    con.execute(
        """
        create table openfit.activity_samples as
        select a.activity_id, a.activity_id || case when a.sport = 'ride' then '_bike' else '_watch' end
                   as recording_id,
               a.start_time + s * interval 1 second as ts,
               round(120 + 35 * sin(s / 900.0) + 10 * random())::int as heart_rate,
               case when a.sport = 'ride' then round(190 + 60 * sin(s / 600.0) + 40 * random())::int end
                   as power_w,
               case when a.sport = 'ride' then 8.0 + 1.5 * sin(s / 700.0) else 3.1 + 0.3 * sin(s / 500.0) end
                   as speed_mps,
               case when a.sport = 'ride' then 88 + (4 * random())::int else 172 + (6 * random())::int end
                   as cadence,
               120 + 40 * sin(s / 1200.0) as altitude_m,
               48.137 + 0.02 * sin(2 * pi() * s / a.duration_s) as lat,
               11.575 + 0.03 * cos(2 * pi() * s / a.duration_s) as lon,
               s * case when a.sport = 'ride' then 8.0 else 3.1 end as distance_m,
               18.0 as temperature_c
        from openfit.activities a, range(0, a.duration_s, ?) t(s)
        """,
        [step],
    )
    con.execute(
        """
        create or replace table openfit.activities as
        select a.*, a.start_time + a.duration_s * interval 1 second as end_time,
               s.distance_m, s.avg_hr, s.max_hr, s.avg_power_w, s.avg_speed_mps, s.avg_cadence,
               a.sport = 'ride' and true as has_gps, false as indoor,
               case when a.sport = 'ride' then 'wahoo' else 'garmin' end as primary_source,
               a.athlete_id || case when a.sport = 'ride' then '_bike' else '_watch' end as primary_device_id,
               a.activity_id || case when a.sport = 'ride' then '_bike' else '_watch' end as primary_recording_id,
               case when a.sport = 'ride' then 2 else 1 end as recording_count
        from openfit.activities a
        join (select activity_id, max(distance_m) as distance_m, avg(heart_rate) as avg_hr,
                     max(heart_rate) as max_hr, avg(power_w) as avg_power_w, avg(speed_mps) as avg_speed_mps,
                     avg(cadence) as avg_cadence
              from openfit.activity_samples group by all) s using (activity_id)
        """
    )
    con.execute(
        """
        create table openfit.activity_recordings as
        select activity_id || '_bike' as recording_id, activity_id, 'primary' as recording_role, athlete_id,
               athlete_id || '_bike' as device_id, 'wahoo' as source, sport, start_time, duration_s
        from openfit.activities where sport = 'ride'
        union all
        select activity_id || '_watch', activity_id, case when sport = 'ride' then 'merged' else 'primary' end,
               athlete_id, athlete_id || '_watch', 'garmin', sport, start_time, duration_s
        from openfit.activities
        """
    )
    con.execute(
        """
        create table openfit.laps as
        select a.activity_id, a.primary_recording_id as recording_id, l as lap_index,
               a.start_time + l * (a.duration_s // 4) * interval 1 second as start_time,
               a.duration_s // 4 as duration_s, a.distance_m / 4 as distance_m, a.avg_hr + l as avg_hr,
               a.max_hr as max_hr, a.avg_power_w + l as avg_power_w, a.avg_speed_mps as avg_speed_mps,
               a.primary_source as source
        from openfit.activities a, range(4) t(l)
        """
    )
    con.execute(
        """
        create table openfit.sleep_sessions as
        with nights as (
            select a.athlete_id, (?::date + d * interval 1 day)::date as local_date, random() as r, src
            from openfit.athletes a, range(?) t(d), (values ('oura'), ('garmin')) s(src)
        )
        select 'slp_' || md5(athlete_id || local_date || src)[:16] as sleep_id, athlete_id, src as source,
               athlete_id || case src when 'oura' then '_ring' else '_watch' end as device_id,
               (local_date - interval 1 day + interval 22 hour + (r * 60)::int * interval 1 minute)::timestamptz
                   as start_time,
               (local_date + interval 6 hour + (r * 90)::int * interval 1 minute)::timestamptz as end_time,
               local_date, 28800 + (r * 3600)::int as duration_s, 5400 + (r * 900)::int as deep_s,
               14400 + (r * 1800)::int as light_s, 6300 + (r * 600)::int as rem_s, 1800 + (r * 300)::int as awake_s,
               round(70 + 20 * r)::int as score, 52 + 4 * r as avg_hr, 46 + 3 * r as lowest_hr,
               45 + 20 * r + case src when 'oura' then 3 else 0 end as hrv_rmssd_ms, 14.5 as respiration_rate
        from nights
        """,
        [start, days],
    )
    con.execute(
        """
        create table openfit.sleep_stages as
        select sleep_id, stage, start_time + k * interval 2 hour as start_time,
               start_time + (k + 1) * interval 2 hour as end_time, 7200 as duration_s, source
        from openfit.sleep_sessions,
             (values (0, 'light'), (1, 'deep'), (2, 'rem'), (3, 'light')) st(k, stage)
        """
    )
    con.execute(
        """
        create table openfit.wellness_daily_by_source as
        select s.athlete_id, s.local_date as date, s.source, s.device_id,
               round(48 + 6 * random() + case s.source when 'oura' then -1 else 1 end)::int as resting_hr,
               s.hrv_rmssd_ms, case s.source when 'garmin' then (6000 + 8000 * random())::int end as steps,
               case s.source when 'garmin' then 70 + random() end as weight_kg,
               s.duration_s - s.awake_s as sleep_s, s.score as sleep_score
        from openfit.sleep_sessions s
        """
    )
    # The chosen values as the build publishes them: the ring (oura) wins where it measured, else the watch.
    con.execute(
        """
        create table openfit.wellness_daily as
        select athlete_id, date,
               coalesce(max(resting_hr) filter (source = 'oura'), max(resting_hr)) as resting_hr,
               coalesce(max(device_id) filter (source = 'oura' and resting_hr is not null),
                        max(device_id) filter (resting_hr is not null)) as resting_hr_source,
               coalesce(max(hrv_rmssd_ms) filter (source = 'oura'), max(hrv_rmssd_ms)) as hrv_rmssd_ms,
               coalesce(max(device_id) filter (source = 'oura' and hrv_rmssd_ms is not null),
                        max(device_id) filter (hrv_rmssd_ms is not null)) as hrv_rmssd_ms_source,
               max(steps) as steps, max(device_id) filter (steps is not null) as steps_source,
               max(weight_kg) as weight_kg, max(device_id) filter (weight_kg is not null) as weight_kg_source,
               coalesce(max(sleep_s) filter (source = 'oura'), max(sleep_s)) as sleep_s,
               coalesce(max(device_id) filter (source = 'oura' and sleep_s is not null),
                        max(device_id) filter (sleep_s is not null)) as sleep_s_source,
               coalesce(max(sleep_score) filter (source = 'oura'), max(sleep_score)) as sleep_score,
               coalesce(max(device_id) filter (source = 'oura' and sleep_score is not null),
                        max(device_id) filter (sleep_score is not null)) as sleep_score_source
        from openfit.wellness_daily_by_source
        group by all
        """
    )
    con.execute(
        """
        create table openfit.metrics as
        select athlete_id, 'resting_hr' as metric, date::timestamptz as ts, resting_hr::double as value,
               'bpm' as unit, source, device_id
        from openfit.wellness_daily_by_source
        """
    )


def _marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        create table marts.activity_load as
        select activity_id, athlete_id, local_date as date, duration_s / 36.0 as load,
               case when sport = 'ride' then 'power_tss' else 'hrss' end as load_source,
               case when sport = 'ride' then duration_s / 36.0 end as tss, avg_power_w * 1.05 as np_w,
               0.8 as "if", 1.05 as vi, duration_s / 60.0 as trimp, duration_s / 36.0 as hrss,
               case when sport = 'run' then duration_s / 36.0 end as rtss, duration_s
        from openfit.activities
        """
    )
    con.execute(
        """
        create table marts.daily_training_load as
        with days as (
            select a.athlete_id, d::date as date
            from openfit.athletes a,
                 range((select min(local_date) from openfit.activities),
                       (select max(local_date) from openfit.activities) + interval 1 day, interval 1 day) t(d)
        ),
        loads as (
            select d.athlete_id, d.date, coalesce(sum(l.load), 0) as load
            from days d left join marts.activity_load l using (athlete_id, date) group by all
        ),
        ctl as (
            select *, avg(load) over w42 as ctl, avg(load) over w7 as atl,
                   stddev_pop(load) over w7 as sd7, sum(load) over w7 as week_load
            from loads
            window w42 as (partition by athlete_id order by date rows 41 preceding),
                   w7 as (partition by athlete_id order by date rows 6 preceding)
        )
        select athlete_id, date, load, ctl, atl,
               lag(ctl) over p - lag(atl) over p as tsb,
               ctl - lag(ctl, 7) over p as ramp_rate,
               atl / nullif(ctl, 0) as acwr,
               avg(load) over w7 / nullif(sd7, 0) as monotony,
               week_load * avg(load) over w7 / nullif(sd7, 0) as strain,
               'goldencheetah' as pmc_convention, 'yesterday' as tsb_alignment, 'ewma' as acwr_method
        from ctl
        window p as (partition by athlete_id order by date),
               w7 as (partition by athlete_id order by date rows 6 preceding)
        """
    )
    con.execute(
        """
        create table marts.power_curve as
        select a.athlete_id, w.name as "window", d.duration_s,
               max(a.avg_power_w * (1 + 0.9 * exp(-d.duration_s / 60.0))) as watts,
               arg_max(a.activity_id, a.avg_power_w) as activity_id, arg_max(a.local_date, a.avg_power_w) as date
        from openfit.activities a,
             (values ('all-time', 100000), ('90-day', 90), ('42-day', 42)) w(name, span),
             (values (1), (5), (15), (30), (60), (300), (600), (1200), (1800), (3600)) d(duration_s)
        where a.sport = 'ride' and a.duration_s >= d.duration_s
          and a.local_date > (select max(local_date) from openfit.activities) - w.span
        group by all
        """
    )
    con.execute(
        """
        create table marts.pace_curve as
        select a.athlete_id, w.name as "window", d.distance_m,
               min(d.distance_m / (a.avg_speed_mps * (1 + 0.15 * exp(-d.distance_m / 1000.0)))) as time_s,
               arg_max(a.activity_id, a.avg_speed_mps) as activity_id,
               arg_max(a.local_date, a.avg_speed_mps) as date
        from openfit.activities a,
             (values ('all-time', 100000), ('90-day', 90), ('42-day', 42)) w(name, span),
             (values (400), (1000), (1609), (5000), (10000)) d(distance_m)
        where a.sport = 'run' and a.distance_m >= d.distance_m
          and a.local_date > (select max(local_date) from openfit.activities) - w.span
        group by all
        """
    )
    con.execute(
        """
        create table marts.personal_records as
        select athlete_id, 'ride' as sport, duration_s || ' s power' as record_type, watts as value, 'W' as unit,
               activity_id, date
        from marts.power_curve where "window" = 'all-time' and duration_s in (5, 60, 300, 1200)
        union all
        select athlete_id, 'run', 'best ' || distance_m || ' m', time_s, 's', activity_id, date
        from marts.pace_curve where "window" = 'all-time'
        """
    )
    con.execute(
        """
        create table marts.fitness_estimates as
        select athlete_id, date, avg(avg_power_w) over w * 1.1 as eftp_w, avg(avg_power_w) over w as cp_w,
               18000.0 as w_prime_j, 48 + random() as vdot, 52 + random() as vo2max, 'cp2' as method
        from (select athlete_id, local_date as date, avg(avg_power_w) as avg_power_w
              from openfit.activities where sport = 'ride' group by all)
        window w as (partition by athlete_id order by date rows 27 preceding)
        """
    )
    con.execute(
        """
        create table marts.cross_device_daily as
        with long as (
            unpivot openfit.wellness_daily_by_source on resting_hr::double, hrv_rmssd_ms::double, sleep_s::double
            into name metric value value
        ),
        compared as (
            select long.athlete_id, long.date, long.metric, long.source, long.device_id, long.value,
                   coalesce(long.device_id = case long.metric when 'resting_hr' then w.resting_hr_source
                       when 'hrv_rmssd_ms' then w.hrv_rmssd_ms_source else w.sleep_s_source end, false) as chosen,
                   count(*) over d - 1 as other_sources,
                   (sum(long.value) over d - long.value) / nullif(count(*) over d - 1, 0) as others
            from long join openfit.wellness_daily w using (athlete_id, date)
            window d as (partition by long.athlete_id, long.date, long.metric)
        )
        select * exclude (others), value - others as deviation,
               (value - others) / nullif(abs(others), 0) as relative_deviation
        from compared
        """
    )
    # every ride has one power spike 10 minutes in; runs are clean
    con.execute(
        """
        create table marts.activity_data_issues as
        select activity_id, 0 as issue_index, athlete_id, local_date as date, sport, 'power' as channel,
               'power_spike' as kind, 'high' as severity, 600.0 as start_offset_s, 601.0 as end_offset_s,
               start_time + interval 600 second as start_time, start_time + interval 601 second as end_time,
               2 as samples, 2400.0 as value, 1500.0 as threshold,
               'Power spikes to 2400 W at 0:10:00 for 2 s: a power-meter glitch.' as explanation,
               timestamptz '2026-06-30 12:00:00+00' as checked_at
        from openfit.activities where sport = 'ride'
        """
    )
    con.execute(
        """
        create table marts.daily_athlete_summary as
        select t.athlete_id, t.date, t.load, t.ctl, t.atl, t.tsb, w.resting_hr, w.hrv_rmssd_ms, w.sleep_s,
               w.sleep_score, w.steps
        from marts.daily_training_load t
        left join openfit.wellness_daily w using (athlete_id, date)
        """
    )
    _wellness_marts(con)


def _wellness_marts(con: duckdb.DuckDBPyConnection) -> None:
    """marts.wellness_baselines, readiness and anomalies computed by analytics/ over this snapshot's daily
    series, as the dbt compute models do (so the page reads the real columns and real flags)."""
    import analytics  # imported here: its import costs seconds and only the marts need it

    daily = con.execute(
        """
        select s.athlete_id, s.date, s.resting_hr, s.hrv_rmssd_ms, s.sleep_s, s.tsb, t.acwr, t.ramp_rate,
               t.monotony
        from marts.daily_athlete_summary s join marts.daily_training_load t using (athlete_id, date)
        """
    ).pl()
    # One athlete falls ill over the last days (resting HR up, HRV down), so the flags have something to show.
    ill = (daily["athlete_id"] == "ath_001") & (daily["date"] > daily["date"].max() - timedelta(days=5))
    daily = daily.with_columns(
        resting_hr=pl.when(ill).then(pl.col("resting_hr") + 12).otherwise(pl.col("resting_hr")),
        hrv_rmssd_ms=pl.when(ill).then(pl.col("hrv_rmssd_ms") * 0.5).otherwise(pl.col("hrv_rmssd_ms")),
    )
    baselines = analytics.wellness_baselines(daily)
    for name, frame in (
        ("wellness_baselines", baselines),
        ("readiness", analytics.readiness(baselines)),
        ("anomalies", analytics.detect_anomalies(baselines)),
    ):
        con.register("frame", frame.to_arrow())
        con.execute(f"create table marts.{name} as select * from frame")
        con.unregister("frame")


def _meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """create table meta.build_info as
        select 'factory' as run_id, ?::timestamptz as built_at, '0.1.0' as openfit_version, 'success' as status""",
        [datetime.now(UTC)],
    )
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where schema_name in ('openfit', 'marts') order by 1, 2"
    ).fetchall()
    con.execute("create table meta.table_rows (table_name varchar, row_count bigint)")
    for schema, table in tables:
        n = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
        con.execute("insert into meta.table_rows values (?, ?)", [f"{schema}.{table}", n])
    con.execute(
        """
        create table meta.source_freshness as
        select source, 'activity_recordings' as table_name, count(*) as row_count,
               max(start_time)::timestamptz as newest_record from openfit.activity_recordings group by source
        union all
        select source, 'sleep_sessions', count(*), max(end_time)::timestamptz from openfit.sleep_sessions group by 1
        union all
        select source, 'wellness_daily_by_source', count(*), max(date)::timestamptz
        from openfit.wellness_daily_by_source group by 1
        """
    )


def _import_log(con: duckdb.DuckDBPyConnection) -> None:
    """A file-import log and quality-check results, as the publish writes them."""
    con.execute(
        """
        create table meta.file_imports as
        select * from (values
            ('a1', 'ride.fit', 'imported', null, 'fitfast'),
            ('b2', 'broken.fit', 'quarantined', 'file CRC mismatch', 'fitfast'),
            ('c3', 'short.gpx', 'partial', 'truncated after 812 points', 'gpx')
        ) t(sha256, original_name, status, reason, parser)
        """
    )
    con.execute(
        """
        create table meta.quality_checks as
        select * from (values
            ('openfit.activity_samples', 'heart_rate between 25 and 250', 'passed', 0),
            ('openfit.sleep_sessions', 'end_time after start_time', 'failed', 3)
        ) t(table_name, check_name, status, failing_rows)
        """
    )


if (
    __name__ == "__main__"
):  # handy for trying the app by hand: python tests/dashboards/dashboard_snapshot.py DIR
    import sys

    home = Path(sys.argv[1])
    print(build_snapshot(home / "serving" / "snapshot.duckdb"))
