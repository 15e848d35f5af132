"""Check every activity's samples for sensor faults: analytics.detect_signal_issues per activity, in chunks.

Each activity's samples (openfit.activity_samples, as recorded) go through the detectors with the activity's
sport (the GPS speed limit) and the FTP in force on its local date (the plausible power maximum). No formula
lives here: this file fetches, groups, calls analytics and shapes rows.

Output (schema marts_compute, not published): one row per issue found, numbered per activity from 0
(`issue_index`), and ONE row with a null `issue_index` for an activity checked and found clean, so that the
next build knows it was checked. The published marts.activity_data_issues keeps the issue rows only.

Incremental like activity_scores_computed: an activity is re-checked only when its `check_key` changes: its
samples (count and hash from int_activity_sample_fingerprints), sport, FTP, this file's MODEL_VERSION or the
analytics code. The fingerprint hashes ts, power, heart rate, speed, distance and altitude; a change of only
cadence or position in an already checked activity is not seen until one of those changes too (or a
--full-refresh).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

import analytics

CHUNK_ACTIVITIES = 200
SAMPLE_COLUMNS = ("activity_id", "ts", "heart_rate", "power_w", "speed_mps", "cadence", "lat", "lon")
MODEL_VERSION = "1"  # bump to re-check everything after a change in this file that alters the issues
SCHEMA = {
    "activity_id": pl.String, "athlete_id": pl.String, "local_date": pl.Date, "sport": pl.String,
    "issue_index": pl.Int32, "channel": pl.String, "kind": pl.String, "severity": pl.String,
    "start_offset_s": pl.Float64, "end_offset_s": pl.Float64,
    "start_time": pl.Datetime("us", "UTC"), "end_time": pl.Datetime("us", "UTC"),
    "samples": pl.Int64, "value": pl.Float64, "threshold": pl.Float64, "explanation": pl.String,
    "ftp_w": pl.Float64, "check_key": pl.String, "checked_at": pl.Datetime("us", "UTC"),
}  # fmt: skip
KEY_FIELDS = ("athlete_id", "local_date", "sport", "ftp_w", "n", "h")


def _activities(session, activities: str, thresholds: str) -> pl.DataFrame:
    """Activities with the FTP of the thresholds row in force on their local date (the latest valid_from wins)."""
    return session.sql(
        f"""
            select a.activity_id, a.athlete_id, a.local_date, a.sport, t.ftp_w
            from {activities} a
            left join {thresholds} t
              on t.athlete_id = a.athlete_id
             and t.valid_from <= a.local_date
             and (t.valid_to is null or a.local_date <= t.valid_to)
            qualify row_number() over (partition by a.activity_id order by t.valid_from desc nulls last) = 1
            order by a.activity_id
            """
    ).pl()


def _analytics_fingerprint() -> str:
    """A hash of the analytics source: a change to any detector re-checks every activity on the next build."""
    root = Path(analytics.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _check_keys(session, activities: pl.DataFrame, fingerprints_view: str, salt: str) -> pl.Series:
    fingerprints = session.execute(
        f"select activity_id, samples as n, samples_hash as h from {fingerprints_view}"
    ).pl()
    inputs = activities.join(fingerprints, on="activity_id", how="left")
    text = inputs.select(
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("~") for c in KEY_FIELDS], separator="|").alias(
            "k"
        )
    )["k"]
    return pl.Series(
        "check_key", [hashlib.sha256(f"{k}|{salt}".encode()).hexdigest()[:32] for k in text], dtype=pl.String
    )


def _rows(activity: dict, samples: pl.DataFrame | None) -> list[dict]:
    base = {
        k: activity[k] for k in ("activity_id", "athlete_id", "local_date", "sport", "ftp_w", "check_key")
    }
    if samples is None or samples.height == 0:
        return [base | {"issue_index": None}]
    issues = analytics.detect_signal_issues(samples, sport=activity["sport"], ftp_w=activity["ftp_w"])
    if not issues:
        return [base | {"issue_index": None}]
    first = samples["ts"].min()
    rows = []
    for index, issue in enumerate(issues):
        rows.append(
            base
            | {
                "issue_index": index,
                "channel": issue.channel,
                "kind": issue.kind,
                "severity": issue.severity,
                "start_offset_s": issue.start_offset_s,
                "end_offset_s": issue.end_offset_s,
                "start_time": first + timedelta(seconds=issue.start_offset_s),
                "end_time": first + timedelta(seconds=issue.end_offset_s),
                "samples": issue.samples,
                "value": issue.value,
                "threshold": issue.threshold,
                "explanation": issue.explanation,
            }
        )
    return rows


def model(dbt, session):
    # Incremental: a build re-checks only the activities whose check_key changed; delete+insert on activity_id
    # replaces all the rows of a re-checked activity. Rows of activities that no longer exist stay here but
    # are dropped by the mart (it semi-joins openfit.activities).
    dbt.config(
        materialized="incremental",
        schema="marts_compute",
        unique_key="activity_id",
        incremental_strategy="delete+insert",
    )
    relations = {
        "activities": dbt.ref("activities"),
        "athlete_thresholds": dbt.ref("athlete_thresholds"),
        "activity_samples": dbt.ref("activity_samples"),
        "fingerprints": dbt.ref("int_activity_sample_fingerprints"),
    }
    views = {name: f"__marts_issues_{name}" for name in relations}
    for name, relation in relations.items():
        relation.create_view(views[name], replace=True)

    activities = _activities(session, views["activities"], views["athlete_thresholds"])
    salt = f"{MODEL_VERSION}|{_analytics_fingerprint()}"
    activities = activities.with_columns(_check_keys(session, activities, views["fingerprints"], salt))
    if dbt.is_incremental:
        stored = session.sql(f"select distinct activity_id, check_key from {dbt.this}").pl()
        activities = activities.join(stored, on=["activity_id", "check_key"], how="anti")
    checked_at = datetime.now(UTC)

    columns = ", ".join(SAMPLE_COLUMNS)
    rows: list[dict] = []
    ids = activities["activity_id"].to_list()
    for start in range(0, len(ids), CHUNK_ACTIVITIES):
        chunk_ids = ids[start : start + CHUNK_ACTIVITIES]
        chunk = session.execute(
            f"select {columns} from {views['activity_samples']} "
            "where activity_id between ? and ? and activity_id = any(?) order by activity_id, ts",
            [chunk_ids[0], chunk_ids[-1], chunk_ids],
        ).pl()
        by_activity = (
            chunk.partition_by("activity_id", as_dict=True, include_key=False) if chunk.height else {}
        )
        for activity in activities.slice(start, len(chunk_ids)).iter_rows(named=True):
            for row in _rows(activity, by_activity.get((activity["activity_id"],))):
                rows.append(row | {"checked_at": checked_at})
    return pl.DataFrame(rows, schema=SCHEMA).select(list(SCHEMA))
