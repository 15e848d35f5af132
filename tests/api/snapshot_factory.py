"""A small, deterministic OpenFit snapshot built with plain DuckDB DDL (the contract's openfit tables).

Used by the API tests until (and besides) the real fixture warehouse, and by benchmarks/api_latency.py
when no demo snapshot exists. Two athletes by default: ath_1 and ath_2, `days` days ending 2026-06-30.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

END_DATE = "2026-06-30"


def build_snapshot(
    path: Path,
    *,
    athletes: int = 2,
    days: int = 30,
    samples_per_activity: int = 600,
    with_marts: bool = False,
    tag: str = "v1",
) -> Path:
    """Writes a snapshot to `path` via a temp file + os.replace (as the publisher does). Returns `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not "openfit.*": a database file named openfit makes `openfit.<table>` ambiguous (catalog vs schema).
    tmp = path.with_name(f"building_{os.getpid()}_{tag}.duckdb")
    if tmp.exists():
        tmp.unlink()
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"""
        CREATE SCHEMA openfit; CREATE SCHEMA meta;
        CREATE TABLE openfit.athletes AS
          SELECT 'ath_' || i AS athlete_id, 'Athlete ' || i AS display_name,
                 CASE WHEN i % 2 = 1 THEN 'female' ELSE 'male' END AS sex, 1985 + i AS birth_year,
                 'Europe/Berlin' AS home_timezone, 60.0 + i AS weight_kg
          FROM range(1, {athletes} + 1) t(i);
        CREATE TABLE openfit.athlete_thresholds AS
          SELECT athlete_id, DATE '2025-01-01' AS valid_from, NULL::DATE AS valid_to, 190 AS hr_max, 50 AS hr_rest,
                 170 AS lthr, 250 AS ftp_w, 270.0 AS threshold_pace_s_per_km, 'manual' AS source
          FROM openfit.athletes;
        CREATE TABLE openfit.devices AS
          SELECT athlete_id || '_watch' AS device_id, athlete_id, 'garmin' AS vendor, 'fenix' AS model,
                 'watch' AS device_type, 'garmin' AS source FROM openfit.athletes
          UNION ALL
          SELECT athlete_id || '_ring', athlete_id, 'oura', 'ring 4', 'ring', 'oura' FROM openfit.athletes;
        -- one activity per athlete per day; every third one recorded by a second device (strava)
        CREATE TABLE openfit.activities AS
          SELECT 'act_' || a.i || '_' || d.j AS activity_id, 'ath_' || a.i AS athlete_id,
                 CASE WHEN d.j % 3 = 0 THEN 'cycling' ELSE 'running' END AS sport, NULL::VARCHAR AS sub_sport,
                 (TIMESTAMPTZ '{END_DATE} 06:00:00+00' - INTERVAL (d.j) DAY + INTERVAL (a.i * 7) MINUTE) AS start_time,
                 7200 AS utc_offset_s,
                 CAST(TIMESTAMPTZ '{END_DATE} 06:00:00+00' - INTERVAL (d.j) DAY AS DATE) AS local_date,
                 3600.0 + d.j * 10 AS duration_s, 3500.0 + d.j * 10 AS moving_s, 10000.0 + d.j * 100 AS distance_m,
                 100.0 + d.j AS ascent_m, 140.0 + (d.j % 10) AS avg_hr, 175.0 AS max_hr,
                 CASE WHEN d.j % 3 = 0 THEN 200.0 + d.j ELSE NULL END AS avg_power_w, 2.8 AS avg_speed_mps,
                 600.0 AS kcal, 5.0 AS rpe, 'garmin' AS primary_source, 'ath_' || a.i || '_watch' AS primary_device_id,
                 'rec_g_' || a.i || '_' || d.j AS primary_recording_id,
                 CASE WHEN d.j % 3 = 0 THEN 2 ELSE 1 END AS recording_count
          FROM range(1, {athletes} + 1) a(i), range(0, {days}) d(j);
        CREATE TABLE openfit.activity_recordings AS
          SELECT primary_recording_id AS recording_id, activity_id, 'primary' AS recording_role, athlete_id,
                 'garmin' AS source, primary_device_id AS device_id,
                 'g' || activity_id AS external_id, sport, sub_sport, start_time,
                 start_time + INTERVAL (CAST(duration_s AS INTEGER)) SECOND AS end_time, utc_offset_s, duration_s,
                 moving_s, distance_m, ascent_m, avg_hr, max_hr, avg_power_w, avg_speed_mps, 85.0 AS avg_cadence,
                 kcal, rpe, true AS has_gps, false AS indoor, TIMESTAMPTZ '{END_DATE} 12:00:00+00' AS loaded_at
          FROM openfit.activities
          UNION ALL
          SELECT replace(primary_recording_id, 'rec_g_', 'rec_s_'), activity_id, 'secondary', athlete_id, 'strava', NULL, 's' || activity_id,
                 sport, sub_sport, start_time, start_time + INTERVAL (CAST(duration_s AS INTEGER)) SECOND, utc_offset_s,
                 duration_s, moving_s, distance_m * 1.01, ascent_m, avg_hr, max_hr, avg_power_w, avg_speed_mps, NULL,
                 kcal, rpe, true, false, TIMESTAMPTZ '{END_DATE} 11:00:00+00'
          FROM openfit.activities WHERE recording_count = 2;
        -- per-field provenance as the merge records it: distance of two-device activities from the strava copy
        ALTER TABLE openfit.activities ADD COLUMN hr_source VARCHAR;
        ALTER TABLE openfit.activities ADD COLUMN power_source VARCHAR;
        ALTER TABLE openfit.activities ADD COLUMN gps_source VARCHAR;
        ALTER TABLE openfit.activities ADD COLUMN distance_source VARCHAR;
        UPDATE openfit.activities SET
          hr_source = primary_device_id,
          power_source = CASE WHEN avg_power_w IS NOT NULL THEN primary_device_id END,
          gps_source = primary_device_id,
          distance_source = CASE WHEN recording_count = 2
                                 THEN 'strava:' || replace(primary_recording_id, 'rec_g_', 'rec_s_')
                                 ELSE primary_device_id END;
        CREATE TABLE openfit.activity_samples AS
          SELECT a.activity_id, a.primary_recording_id AS recording_id,
                 a.start_time + INTERVAL (s.k) SECOND AS ts, CAST(120 + (s.k % 60) AS SMALLINT) AS heart_rate,
                 CASE WHEN a.sport = 'cycling' THEN 150.0 + (s.k % 100) ELSE NULL END AS power_w,
                 2.5 + (s.k % 10) / 10.0 AS speed_mps, 85.0 AS cadence, 100.0 + s.k / 10.0 AS altitude_m,
                 52.5 + s.k / 100000.0 AS lat, 13.4 + s.k / 100000.0 AS lon, s.k * 2.8 AS distance_m,
                 18.0 AS temperature_c
          FROM openfit.activities a, range(0, {samples_per_activity}) s(k)
          UNION ALL
          -- the second device's recording of the same activity, every 5 s, a few bpm higher
          SELECT a.activity_id, replace(a.primary_recording_id, 'rec_g_', 'rec_s_'),
                 a.start_time + INTERVAL (s.k) SECOND, CAST(123 + (s.k % 60) AS SMALLINT), NULL, 2.5, NULL, NULL,
                 NULL, NULL, s.k * 2.8, NULL
          FROM openfit.activities a, range(0, {samples_per_activity}, 5) s(k) WHERE a.recording_count = 2;
        CREATE TABLE openfit.laps AS
          SELECT activity_id, primary_recording_id AS recording_id, l.n AS lap_index,
                 start_time + INTERVAL (l.n * 600) SECOND AS start_time, 600.0 AS duration_s, 1700.0 AS distance_m,
                 140.0 AS avg_hr, 160.0 AS max_hr, avg_power_w, 2.8 AS avg_speed_mps
          FROM openfit.activities, range(0, 3) l(n);
        CREATE TABLE openfit.sleep_sessions AS
          SELECT 'sleep_' || a.i || '_' || d.j AS sleep_id, 'ath_' || a.i AS athlete_id, 'oura' AS source,
                 'ath_' || a.i || '_ring' AS device_id,
                 TIMESTAMPTZ '{END_DATE} 21:30:00+00' - INTERVAL (d.j + 1) DAY AS start_time,
                 TIMESTAMPTZ '{END_DATE} 05:00:00+00' - INTERVAL (d.j) DAY AS end_time, 7200 AS utc_offset_s,
                 CAST(TIMESTAMPTZ '{END_DATE} 05:00:00+00' - INTERVAL (d.j) DAY AS DATE) AS local_date,
                 27000.0 AS duration_s, 5400.0 AS deep_s, 14400.0 AS light_s, 5400.0 AS rem_s, 1800.0 AS awake_s,
                 70.0 + (d.j * 7) % 25 AS score, 52.0 AS avg_hr, 46.0 AS lowest_hr, 60.0 + (d.j * 7) % 25 AS hrv_rmssd_ms,
                 14.5 AS respiration_rate
          FROM range(1, {athletes} + 1) a(i), range(0, {days}) d(j);
        CREATE TABLE openfit.sleep_stages AS
          SELECT sleep_id, stage, start_time + INTERVAL (n * 1800) SECOND AS start_time,
                 start_time + INTERVAL ((n + 1) * 1800) SECOND AS end_time, 1800.0 AS duration_s
          FROM openfit.sleep_sessions, (VALUES (0, 'light'), (1, 'deep'), (2, 'rem'), (3, 'awake')) v(n, stage);
        -- the watch reports every metric, the ring resting HR, HRV and sleep (1 bpm lower, 5 ms higher)
        CREATE TABLE openfit.wellness_daily_by_source AS
          SELECT athlete_id, local_date AS date, 'garmin' AS source, athlete_id || '_watch' AS device_id,
                 50.0 + (hrv_rmssd_ms - 60) / -5.0 AS resting_hr, hrv_rmssd_ms, CAST(8000 + score * 10 AS INTEGER) AS steps,
                 62.0 AS weight_kg, 18.0 AS body_fat_pct, 500.0 AS active_kcal, 30.0 AS stress_avg,
                 duration_s AS sleep_s, score AS sleep_score
          FROM openfit.sleep_sessions
          UNION ALL
          SELECT athlete_id, local_date, 'oura', athlete_id || '_ring', 49.0 + (hrv_rmssd_ms - 60) / -5.0,
                 hrv_rmssd_ms + 5, NULL, NULL, NULL, NULL, NULL, duration_s - awake_s, score
          FROM openfit.sleep_sessions;
        -- chosen as the seed's defaults do: ring for resting HR, HRV and sleep, the watch for the rest
        CREATE TABLE openfit.wellness_daily AS
          SELECT w.athlete_id, w.date, r.resting_hr, r.device_id AS resting_hr_source,
                 r.hrv_rmssd_ms, r.device_id AS hrv_rmssd_ms_source, w.steps, w.device_id AS steps_source,
                 w.weight_kg, w.device_id AS weight_kg_source, w.body_fat_pct, w.device_id AS body_fat_pct_source,
                 w.active_kcal, w.device_id AS active_kcal_source, w.stress_avg, w.device_id AS stress_avg_source,
                 r.sleep_s, r.device_id AS sleep_s_source, r.sleep_score, r.device_id AS sleep_score_source
          FROM openfit.wellness_daily_by_source w
          JOIN openfit.wellness_daily_by_source r ON r.athlete_id = w.athlete_id AND r.date = w.date AND r.source = 'oura'
          WHERE w.source = 'garmin';
        CREATE TABLE openfit.metrics AS
          SELECT athlete_id, 'vo2max' AS metric, CAST(local_date AS TIMESTAMPTZ) + INTERVAL 8 HOUR AS ts,
                 50.0 + (score % 3) AS value, 'ml/kg/min' AS unit, 'garmin' AS source, device_id
          FROM openfit.sleep_sessions;
        CREATE TABLE openfit.spec_info AS
          SELECT '0.9.0' AS spec_version, TIMESTAMPTZ '{END_DATE} 12:20:00+00' AS built_at, 'dbt-x' AS dbt_invocation_id;
        -- meta as orchestration/publish.py writes it
        CREATE TABLE meta.build_info AS
          SELECT 'run-{tag}' AS run_id, TIMESTAMPTZ '{END_DATE} 12:30:00+00' AS built_at, '0.1.0' AS openfit_version,
                 'success' AS status;
        CREATE TABLE meta.source_freshness AS
          SELECT source, 'activity_recordings' AS table_name, count(*) AS row_count,
                 max(loaded_at)::TIMESTAMPTZ AS newest_record
          FROM openfit.activity_recordings GROUP BY source;
        """)
        if with_marts:
            con.execute("""
            CREATE SCHEMA marts;
            CREATE TABLE marts.daily_training_load AS
              SELECT athlete_id, local_date AS date, sum(duration_s) / 36.0 AS load, 40.0 AS ctl, 45.0 AS atl,
                     -5.0 AS tsb
              FROM openfit.activities GROUP BY ALL;
            CREATE TABLE marts.personal_records AS
              SELECT athlete_id, sport, 'longest' AS record, max(distance_m) AS value, any_value(activity_id) AS activity_id
              FROM openfit.activities GROUP BY ALL;
            CREATE TABLE marts.power_curve AS
              SELECT athlete_id, 'all_time' AS "window", d AS duration_s, 400.0 - d / 10.0 AS watts,
                     DATE '2026-06-01' AS date
              FROM openfit.athletes, (VALUES (1), (5), (60), (300), (1200)) v(d)
              UNION ALL
              SELECT athlete_id, '90d', d, 390.0 - d / 10.0, DATE '2026-06-10'
              FROM openfit.athletes, (VALUES (1), (5), (60), (300), (1200)) v(d);
            CREATE TABLE marts.pace_curve AS
              SELECT athlete_id, 'all_time' AS "window", d AS distance_m, d / 3.0 AS time_s, DATE '2026-06-01' AS date
              FROM openfit.athletes, (VALUES (400), (1000), (5000)) v(d);
            CREATE TABLE marts.fitness_estimates AS
              SELECT athlete_id, DATE '2026-06-30' AS date, 'ftp_w' AS estimate, 250.0 AS value FROM openfit.athletes;
            CREATE TABLE marts.cross_device_daily AS
              SELECT athlete_id, "date", metric, source, device_id, value, source = 'oura' AS chosen,
                     1 AS other_sources,
                     value - (sum(value) OVER d - value) AS deviation,
                     (value - (sum(value) OVER d - value)) / abs(sum(value) OVER d - value) AS relative_deviation
              FROM (UNPIVOT (SELECT athlete_id, "date", source, device_id, resting_hr, hrv_rmssd_ms
                             FROM openfit.wellness_daily_by_source)
                    ON resting_hr, hrv_rmssd_ms INTO NAME metric VALUE value)
              WINDOW d AS (PARTITION BY athlete_id, "date", metric);
            CREATE TABLE marts.daily_athlete_summary AS
              SELECT w.athlete_id, w."date", t.load, 1 AS activities, t.ctl, t.atl, t.tsb, w.resting_hr,
                     w.hrv_rmssd_ms, w.sleep_s, w.sleep_score, w.steps
              FROM openfit.wellness_daily w
              LEFT JOIN marts.daily_training_load t ON t.athlete_id = w.athlete_id AND t.date = w.date;
            CREATE TABLE marts.anomalies AS
              SELECT athlete_id, DATE '2026-06-30' AS "date", 'resting_hr_elevated' AS kind, 'high' AS severity,
                     60.0 AS value, 2.5 AS threshold, 50.0 AS baseline, 'bpm' AS unit, NULL::VARCHAR AS evidence,
                     'Resting heart rate 60 bpm is +10 bpm above the usual 50 bpm.' AS explanation
              FROM openfit.athletes
              UNION ALL
              SELECT athlete_id, DATE '2026-06-29', 'sleep_short', 'moderate', 22000.0, 25200.0, NULL, 's', NULL,
                     'Slept 6.1 h, 53 min short of the 7.0 h adults need.'
              FROM openfit.athletes;
            -- two issues on each athlete's newest activity (as analytics.detect_signal_issues reports them)
            CREATE TABLE marts.activity_data_issues AS
              SELECT activity_id, i AS issue_index, athlete_id, local_date AS "date", sport,
                     CASE i WHEN 0 THEN 'heart_rate' ELSE 'position' END AS channel,
                     CASE i WHEN 0 THEN 'hr_spike' ELSE 'gps_jump' END AS kind,
                     CASE i WHEN 0 THEN 'high' ELSE 'moderate' END AS severity,
                     (100 + 200 * i)::DOUBLE AS start_offset_s, (104 + 200 * i)::DOUBLE AS end_offset_s,
                     start_time + to_seconds(100 + 200 * i) AS start_time,
                     start_time + to_seconds(104 + 200 * i) AS end_time,
                     5 AS samples, (60 + 300 * i)::DOUBLE AS value, (25 - 12.5 * i)::DOUBLE AS threshold,
                     CASE i WHEN 0 THEN 'Heart rate jumps to 210 bpm at 0:01:40.'
                            ELSE 'The GPS position jumps 360 m at 0:05:00.' END AS explanation,
                     TIMESTAMPTZ '2026-06-30 12:00:00+00' AS checked_at
              FROM (SELECT * FROM openfit.activities
                    QUALIFY row_number() OVER (PARTITION BY athlete_id ORDER BY start_time DESC) = 1),
                   (VALUES (0), (1)) v(i);
            CREATE TABLE marts.readiness AS
              SELECT athlete_id, "date", 80.0 AS score, 0.6 AS coverage, 0.0 AS hrv_z, 75.0 AS hrv_component,
                     0.3 AS hrv_weight, sleep_s, 100.0 AS sleep_component, 0.2 AS sleep_weight
              FROM openfit.wellness_daily;
            """)
            _race_predictions(con)
        # Literals like 3600.0 are DECIMAL in DuckDB; the contract's measures are DOUBLE.
        for schema, table, column in con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE data_type LIKE 'DECIMAL%'"
        ).fetchall():
            con.execute(f'ALTER TABLE {schema}.{table} ALTER "{column}" TYPE DOUBLE')
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def _race_predictions(con: duckdb.DuckDBPyConnection) -> None:
    """marts.race_predictions from this snapshot's pace_curve, by analytics as the dbt compute model does."""
    import analytics  # imported here: its import costs seconds and only the marts need it

    rows = [
        (athlete, float(distance), float(time_s), f"act_{athlete}", day, *p.values())
        for athlete, distance, time_s, day in con.execute(
            "SELECT athlete_id, distance_m, time_s, date FROM marts.pace_curve ORDER BY ALL"
        ).fetchall()
        for p in analytics.predict_race_times(float(distance), float(time_s))
    ]
    con.execute(
        "CREATE TABLE marts.race_predictions (athlete_id VARCHAR, source_distance_m DOUBLE, source_time_s DOUBLE, "
        "source_activity_id VARCHAR, date DATE, target_distance_m DOUBLE, vdot DOUBLE, vdot_time_s DOUBLE, "
        "vdot_in_range BOOLEAN, riegel_exponent DOUBLE, riegel_time_s DOUBLE, riegel_in_range BOOLEAN)"
    )
    con.executemany("INSERT INTO marts.race_predictions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
