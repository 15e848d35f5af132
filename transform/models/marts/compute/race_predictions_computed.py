"""Race-time predictions per athlete from the all-time best efforts of marts.pace_curve: for every source effort
and target distance, `analytics.predict_race_times` (Daniels VDOT and Riegel, each with whether it lies in the
method's stated range of validity)."""

from __future__ import annotations

import polars as pl

import analytics

SCHEMA = {
    "athlete_id": pl.String, "source_distance_m": pl.Float64, "source_time_s": pl.Float64,
    "source_activity_id": pl.String, "date": pl.Date, "target_distance_m": pl.Float64, "vdot": pl.Float64,
    "vdot_time_s": pl.Float64, "vdot_in_range": pl.Boolean, "riegel_exponent": pl.Float64,
    "riegel_time_s": pl.Float64, "riegel_in_range": pl.Boolean,
}  # fmt: skip


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="replace_changed",
        replace_predicate="marts_athletes_predicate",
        # "ignore": a build whose athletes are none returns empty columns of another type (the insert casts
        # them); a change of the columns changes the project, which forces a full build anyway.
        on_schema_change="ignore",
        schema="marts_compute",
    )
    # Incremental: only the athletes this build recomputes (int_marts_athletes; "*" = every athlete).
    scope = dbt.ref("int_marts_athletes").pl()["athlete_id"] if dbt.is_incremental else None
    athletes = None if scope is None or "*" in scope else scope.to_list()
    efforts = (
        dbt.ref("pace_curve")
        .filter("\"window\" = 'all_time' and time_s > 0")
        .select('athlete_id, distance_m, time_s, activity_id, "date"')
        .pl()
    )
    if athletes is not None:
        efforts = efforts.filter(pl.col("athlete_id").is_in(athletes))
    rows = []
    for effort in efforts.iter_rows(named=True):
        for prediction in analytics.predict_race_times(effort["distance_m"], effort["time_s"]):
            rows.append({
                "athlete_id": effort["athlete_id"], "source_distance_m": effort["distance_m"],
                "source_time_s": effort["time_s"], "source_activity_id": effort["activity_id"],
                "date": effort["date"], **prediction,
            })  # fmt: skip
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)
