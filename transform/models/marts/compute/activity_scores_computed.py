"""Score every activity once: one pass over openfit.activity_samples, in chunks of activities.

Each activity is scored by `analytics.score_activity` with the thresholds in force on its local date
(openfit.athlete_thresholds, valid_from <= local_date <= valid_to) and the athlete's sex; the same 1 Hz stream
also gives its mean-maximal power curve (`analytics.mean_max`) and its best efforts by distance
(`analytics.best_efforts`). No formula lives here: this file fetches, groups, calls analytics and shapes rows.

Memory stays bounded: samples are read CHUNK_ACTIVITIES activities at a time (a range of activity_id, the order
the samples table is stored in), and only one small row per activity is kept. Output (schema marts_compute, not
published): one row per activity, with the curves as lists aligned to `power_curve_durations_s` and
`best_effort_distances_m`. The published marts (activity_load, power_curve, pace_curve, personal_records,
fitness_estimates) are built from it with contracts.

Determinism: the table is rebuilt in full on every run from the thresholds rows; `thresholds_valid_from` records
which row scored each activity, so a threshold change shows up as a new value there and nowhere else.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

import analytics

CHUNK_ACTIVITIES = 200
SAMPLE_COLUMNS = ("activity_id", "ts", "power_w", "heart_rate", "speed_mps", "distance_m", "altitude_m")
# Read too when the load is scored on the cleaned samples: the cadence-lock detector needs the cadence.
CLEANING_COLUMNS = ("cadence",)
CURVE_DURATIONS_S = [int(d) for d in analytics.STANDARD_DURATIONS]
EFFORT_DISTANCES_M = [float(d) for d in analytics.STANDARD_RACE_DISTANCES_M]
SCORE_KEYS = (
    "elapsed_s", "moving_s", "avg_power_w", "np_w", "ftp_used_w", "if", "tss", "vi", "work_kj", "avg_hr_bpm",
    "max_hr_bpm", "trimp", "hrss", "rtss", "session_rpe_load", "efficiency_factor", "decoupling_pct",
    "efficiency_basis", "load", "load_source",
)  # fmt: skip


def _activities_with_thresholds(session, activities: str, thresholds: str, athletes: str) -> pl.DataFrame:
    """Activities joined (as of their local date) to the thresholds row in force and to the athlete's sex."""
    return session.sql(
        f"""
            select a.activity_id, a.athlete_id, a.local_date, a.sport, a.start_time, a.duration_s,
                   a.moving_s as activity_moving_s, a.distance_m, a.rpe,
                   coalesce(p.sex, 'X') as athlete_sex,
                   t.valid_from as thresholds_valid_from, t.ftp_w, t.lthr, t.hr_max, t.hr_rest,
                   t.threshold_pace_s_per_km
            from {activities} a
            left join {athletes} p on p.athlete_id = a.athlete_id
            left join {thresholds} t
              on t.athlete_id = a.athlete_id
             and t.valid_from <= a.local_date
             and (t.valid_to is null or a.local_date <= t.valid_to)
            -- overlapping intervals are a data error upstream; the most recent valid_from wins
            qualify row_number() over (partition by a.activity_id order by t.valid_from desc nulls last) = 1
            order by a.activity_id
            """
    ).pl()


def _thresholds(row: dict) -> analytics.Thresholds:
    # Sex-specific TRIMP coefficients exist for male and female only; unspecified (X) uses the male (Banister
    # 1991 original) coefficients. The sex used is recorded in the row (trimp_sex).
    sex = "female" if row["athlete_sex"] == "F" else "male"
    return analytics.Thresholds.from_row(row, sex=sex)


def _empty_curves() -> dict:
    return {
        "power_curve_w": [None] * len(CURVE_DURATIONS_S),
        "power_curve_start_s": [None] * len(CURVE_DURATIONS_S),
        "best_effort_s": [None] * len(EFFORT_DISTANCES_M),
        "best_effort_start_s": [None] * len(EFFORT_DISTANCES_M),
    }


def _as_list(values: np.ndarray, starts: np.ndarray) -> tuple[list, list]:
    out, first = [], []
    for v, s in zip(values.tolist(), starts.tolist(), strict=True):
        ok = not math.isnan(v)
        out.append(v if ok else None)
        first.append(int(s) if ok else None)
    return out, first


def _cleaned(activity: dict, samples: pl.DataFrame | None, load_stream: str) -> pl.DataFrame | None:
    """The samples the scores are computed on: as recorded (`raw`), or without the sensor faults that
    analytics.detect_signal_issues flags (`cleaned`; the same detection as marts.activity_data_issues)."""
    if samples is None or samples.height == 0:
        return samples
    return analytics.load_samples(samples, load_stream, sport=activity["sport"], ftp_w=activity["ftp_w"])


def _score(activity: dict, samples: pl.DataFrame | None, options: dict, methods: dict) -> dict:
    row = {
        k: activity[k]
        for k in ("activity_id", "athlete_id", "local_date", "sport", "duration_s", "distance_m")
    }
    row |= {k: activity[k] for k in ("thresholds_valid_from", "ftp_w", "lthr", "hr_max", "hr_rest",
                                     "threshold_pace_s_per_km")}  # fmt: skip
    row["scoring_error"] = None
    row |= _empty_curves()
    scores = dict.fromkeys(SCORE_KEYS)
    try:
        thresholds = _thresholds(activity)
        row["trimp_sex"] = thresholds.sex
        stream = analytics.to_stream(samples) if samples is not None and samples.height else None
        manual_s = None
        if stream is None:  # a manual entry: session-RPE needs the activity's own time
            manual_s = activity["activity_moving_s"] or activity["duration_s"]
        scores = analytics.score_activity(
            stream, thresholds, sport=activity["sport"], session_rpe=activity["rpe"], duration_s=manual_s,
            **options,
        )  # fmt: skip
        if stream is not None:
            power = stream.channels.get("power")
            if power is not None and not np.isnan(power).all():
                curve = analytics.mean_max(power, CURVE_DURATIONS_S)
                row["power_curve_w"], row["power_curve_start_s"] = _as_list(curve.values, curve.start_s)
            distance = stream.channels.get("distance")
            if distance is not None and not np.isnan(distance).all():
                efforts = analytics.best_efforts(distance, EFFORT_DISTANCES_M)
                row["best_effort_s"], row["best_effort_start_s"] = _as_list(efforts.times_s, efforts.start_s)
    except ValueError as err:  # bad input for this one activity: null metrics and the reason, never a guess
        row["scoring_error"] = str(err)
        row.setdefault("trimp_sex", None)
    row |= {k: scores.get(k) for k in SCORE_KEYS}
    if row["moving_s"] is None:
        row["moving_s"] = activity["activity_moving_s"]
    row |= methods
    return row


def _method_names(options: dict) -> dict:
    return {
        "np_method": analytics.choose("np", options["np_method"]),
        "trimp_method": analytics.choose("trimp", options["trimp_method"]),
        "hrss_method": analytics.choose("hrss", options["hrss_method"]),
        "rtss_method": analytics.choose("rtss_pace", options["rtss_method"]),
        "gap_model": analytics.choose("gap", options["gap_model"]),
        "load_priority": ",".join(analytics.parse_priority(options["load_priority"])),
    }


SCHEMA = {
    "activity_id": pl.String, "athlete_id": pl.String, "local_date": pl.Date, "sport": pl.String,
    "duration_s": pl.Float64, "moving_s": pl.Float64, "elapsed_s": pl.Float64, "distance_m": pl.Float64,
    "load": pl.Float64, "load_source": pl.String, "tss": pl.Float64, "np_w": pl.Float64, "if": pl.Float64,
    "vi": pl.Float64, "avg_power_w": pl.Float64, "work_kj": pl.Float64, "ftp_used_w": pl.Float64,
    "avg_hr_bpm": pl.Float64, "max_hr_bpm": pl.Float64, "trimp": pl.Float64, "hrss": pl.Float64,
    "rtss": pl.Float64, "session_rpe_load": pl.Float64, "efficiency_factor": pl.Float64,
    "decoupling_pct": pl.Float64, "efficiency_basis": pl.String,
    "thresholds_valid_from": pl.Date, "ftp_w": pl.Float64, "lthr": pl.Float64, "hr_max": pl.Float64,
    "hr_rest": pl.Float64, "threshold_pace_s_per_km": pl.Float64, "trimp_sex": pl.String,
    "np_method": pl.String, "trimp_method": pl.String, "hrss_method": pl.String, "rtss_method": pl.String,
    "gap_model": pl.String, "load_priority": pl.String, "scoring_error": pl.String,
    "power_curve_durations_s": pl.List(pl.Int64), "power_curve_w": pl.List(pl.Float64),
    "power_curve_start_s": pl.List(pl.Int64), "best_effort_distances_m": pl.List(pl.Float64),
    "best_effort_s": pl.List(pl.Float64), "best_effort_start_s": pl.List(pl.Int64),
}  # fmt: skip
SCHEMA |= {"score_key": pl.String, "scored_at": pl.Datetime("us", "UTC")}
MODEL_VERSION = "1"  # bump to re-score everything after a change in this file that alters scores
# Activity fields the scores depend on (besides the samples, the methods and the analytics code).
KEY_FIELDS = (
    "athlete_id",
    "local_date",
    "sport",
    "duration_s",
    "activity_moving_s",
    "rpe",
    "athlete_sex",
    "thresholds_valid_from",
    "ftp_w",
    "lthr",
    "hr_max",
    "hr_rest",
    "threshold_pace_s_per_km",
)
GRID_COLUMNS = ("power_curve_durations_s", "best_effort_distances_m")  # the same grid on every row


def _analytics_fingerprint() -> str:
    """A hash of the analytics source: a change to any formula re-scores every activity on the next build."""
    root = Path(analytics.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _score_keys(session, activities: pl.DataFrame, fingerprints_view: str, salt: str) -> pl.Series:
    """Per activity, a digest of everything its scores depend on: the thresholds row and athlete fields used,
    the activity's own fields, the samples (their count and order-independent hash, kept incrementally in
    int_activity_sample_fingerprints), the method names and the analytics code. An activity whose key is
    unchanged keeps its stored scores."""
    fingerprints = session.execute(
        f"select activity_id, samples as n, samples_hash as h from {fingerprints_view}"
    ).pl()
    inputs = activities.join(fingerprints, on="activity_id", how="left")
    fields = [*KEY_FIELDS, "n", "h"]
    text = inputs.select(
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("~") for c in fields], separator="|").alias("k")
    )["k"]
    # sha256 of the inputs (a DuckDB upgrade that changes hash() only costs one full re-score).
    return pl.Series(
        "score_key", [hashlib.sha256(f"{k}|{salt}".encode()).hexdigest()[:32] for k in text], dtype=pl.String
    )


def model(dbt, session):
    # Incremental: a build re-scores only the activities whose score_key changed (a threshold row, the samples,
    # a method name, the analytics code); the others keep their rows. Rows of activities that no longer exist
    # stay here but are dropped by the marts (they semi-join openfit.activities). Run with --full-refresh after
    # changing this table's columns.
    dbt.config(
        materialized="incremental",
        schema="marts_compute",
        unique_key="activity_id",
        incremental_strategy="delete+insert",
    )
    options = {
        "np_method": dbt.config.get("algo_np"),
        "trimp_method": dbt.config.get("algo_trimp"),
        "hrss_method": dbt.config.get("algo_hrss"),
        "rtss_method": dbt.config.get("algo_rtss"),
        "gap_model": dbt.config.get("algo_gap"),
        "load_priority": dbt.config.get("algo_load_priority"),
    }
    # An unknown variant name fails here, before any work, with the valid names.
    methods = _method_names(options)
    load_stream = analytics.choose("load_stream", dbt.config.get("algo_load_stream"))

    # dbt.ref takes literals only. Temporary views (this connection only) let the reads below be plain SQL.
    relations = {
        "activities": dbt.ref("activities"),
        "athlete_thresholds": dbt.ref("athlete_thresholds"),
        "athletes": dbt.ref("athletes"),
        "activity_samples": dbt.ref("activity_samples"),
        "fingerprints": dbt.ref("int_activity_sample_fingerprints"),
    }
    views = {name: f"__marts_scores_{name}" for name in relations}
    for name, relation in relations.items():
        relation.create_view(views[name], replace=True)

    activities = _activities_with_thresholds(
        session, views["activities"], views["athlete_thresholds"], views["athletes"]
    )
    salt = f"{MODEL_VERSION}|{_analytics_fingerprint()}|{sorted(methods.items())}"
    if load_stream != "raw":  # the default leaves every existing key (and score) as it was
        salt += f"|load_stream={load_stream}"
    activities = activities.with_columns(_score_keys(session, activities, views["fingerprints"], salt))
    if dbt.is_incremental:
        stored = session.sql(f"select activity_id, score_key from {dbt.this}").pl()
        activities = activities.join(stored, on=["activity_id", "score_key"], how="anti")
    scored_at = datetime.now(UTC)

    columns = ", ".join(SAMPLE_COLUMNS + (CLEANING_COLUMNS if load_stream != "raw" else ()))
    rows = []
    ids = activities["activity_id"].to_list()
    for start in range(0, len(ids), CHUNK_ACTIVITIES):
        chunk_ids = ids[start : start + CHUNK_ACTIVITIES]
        # The range on the sort key lets DuckDB skip row groups by their zone maps; the list keeps an
        # incremental run (a sparse set of activities) from reading everything in between.
        chunk = session.execute(
            f"select {columns} from {views['activity_samples']} "
            "where activity_id between ? and ? and activity_id = any(?) order by activity_id, ts",
            [chunk_ids[0], chunk_ids[-1], chunk_ids],
        ).pl()
        by_activity = (
            chunk.partition_by("activity_id", as_dict=True, include_key=False) if chunk.height else {}
        )
        for activity in activities.slice(start, len(chunk_ids)).iter_rows(named=True):
            samples = _cleaned(activity, by_activity.get((activity["activity_id"],)), load_stream)
            row = _score(activity, samples, options, methods)
            rows.append(row | {"score_key": activity["score_key"], "scored_at": scored_at})

    row_schema = {k: v for k, v in SCHEMA.items() if k not in GRID_COLUMNS}
    frame = pl.DataFrame(rows, schema=row_schema)
    return frame.with_columns(
        pl.Series("power_curve_durations_s", [CURVE_DURATIONS_S] * frame.height, dtype=pl.List(pl.Int64)),
        pl.Series("best_effort_distances_m", [EFFORT_DISTANCES_M] * frame.height, dtype=pl.List(pl.Float64)),
    ).select(list(SCHEMA))
