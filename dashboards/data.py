"""The dashboards' one data module: cached calls into the shared query layer (query), nothing else.

Every cached function takes the snapshot identity (path, inode, mtime, size) as its first argument, so a
new publish (an atomic rename: new inode and mtime) misses the cache at once; the TTL only bounds memory.
Tables that are not built yet come back as `NotBuilt` (cached too) for the pages to explain, not raise.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from openfit.settings import get_settings
from query import dashboards as q
from query import marts, reads
from query.errors import NotBuiltYet, QueryError
from query.scope import AthleteScope
from query.snapshot import SnapshotReader, SnapshotUnavailable

CACHE_TTL_S = 3600  # invalidation is by snapshot identity; the TTL only frees memory of old snapshots
LOCAL_SCOPE = AthleteScope.everyone()  # the dashboards run on 127.0.0.1 for the warehouse's owner


@dataclass(frozen=True)
class NotBuilt:
    """A table the view needs is not in the snapshot (yet)."""

    table: str
    message: str


def snapshot_key() -> str | None:
    """The identity of the published snapshot file, or None when nothing is published."""
    path = get_settings().snapshot_path
    try:
        st_ = os.stat(path)
    except FileNotFoundError:
        return None
    return f"{path}|{st_.st_ino}|{st_.st_mtime_ns}|{st_.st_size}"


@st.cache_resource(show_spinner=False)
def _reader_at(path: str) -> SnapshotReader:
    # The dashboards' own reader: like reader_for(), but scans may use every core (one activity's samples
    # are found by a scan of activity_samples; the API keeps its one thread per request).
    return SnapshotReader(Path(path), threads=min(4, os.cpu_count() or 1))


def _reader() -> SnapshotReader:
    return _reader_at(str(get_settings().snapshot_path.expanduser().resolve()))


def _cached(fn):
    """Wrap `fn(cur, *args)` as a cached `fn(*args)` keyed on the snapshot identity."""

    def run(snapshot: str, *args: Any, **kwargs: Any) -> Any:
        with _reader().cursor() as cur:
            try:
                return fn(cur, *args, **kwargs)
            except NotBuiltYet as exc:
                return NotBuilt(str(exc.details.get("table", "")), exc.message)

    # st.cache_data keys a function by module, qualname and source: give each wrapper its own name.
    run.__qualname__ = run.__name__ = f"cached_{fn.__module__.replace('.', '_')}_{fn.__name__}"
    cached = st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=512)(run)

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        key = snapshot_key()
        if key is None:
            raise SnapshotUnavailable("no snapshot published yet")
        return cached(key, *args, **kwargs)

    call.clear = cached.clear
    return call


# ------------------------------------------------------------------------------------------------ shared


@_cached
def build_info(cur) -> dict:
    return reads.health(cur).model_dump()


@_cached
def build_settings(cur) -> dict | None:
    return reads.build_settings(cur)


@_cached
def athletes(cur) -> list[dict]:
    return [
        {"athlete_id": a.athlete_id, "display_name": a.display_name}
        for a in reads.list_athletes(cur, LOCAL_SCOPE)
    ]


athlete_date_bounds = _cached(q.athlete_date_bounds)

# ------------------------------------------------------------------------------------------------ pages
training_load = _cached(q.training_load)
weekly_load = _cached(q.weekly_load)
activity_filter_options = _cached(q.activity_filter_options)
activity_table = _cached(q.activity_table)
activity_load_metrics = _cached(q.activity_load_metrics)
activity_data_issues = _cached(q.activity_data_issues)
power_curve = _cached(q.power_curve)
pace_curve = _cached(q.pace_curve)
fitness_estimates = _cached(q.fitness_estimates)
sleep_nights = _cached(q.sleep_nights)
wellness_chosen = _cached(q.wellness_chosen)
cross_device_metrics = _cached(q.cross_device_metrics)
cross_device = _cached(q.cross_device)
daily_series = _cached(q.daily_series)
readiness = _cached(q.readiness)
wellness_baselines = _cached(q.wellness_baselines)
anomaly_flags = _cached(q.anomaly_flags)
table_rows = _cached(q.table_rows)
source_freshness = _cached(q.source_freshness)
quarantined_files = _cached(q.quarantined_files)
failed_checks = _cached(q.failed_checks)
withheld_athletes = _cached(q.withheld_athletes)


@_cached
def personal_records(cur, athlete_id: str) -> pd.DataFrame:
    found = marts.mart_rows(cur, LOCAL_SCOPE, "personal_records", athlete_id=athlete_id)
    return pd.DataFrame(found.rows, columns=found.columns).drop(columns=["athlete_id"], errors="ignore")


@_cached
def activity_detail(cur, activity_id: str) -> dict | None:
    """Summary, recordings and laps of one activity (None when it does not exist)."""
    try:
        detail = reads.get_activity(cur, LOCAL_SCOPE, activity_id)
    except QueryError as exc:
        if isinstance(exc, NotBuiltYet):
            raise
        return None
    found = detail.model_dump()
    found["recordings"] = pd.DataFrame(found["recordings"])
    found["laps"] = pd.DataFrame(found["laps"])
    return found


STREAM_POINTS = 1200  # per channel: enough for a full-width chart, small enough to draw fast


@_cached
def activity_samples_view(cur, activity_id: str) -> dict | None:
    """From one read of the activity's samples: `streams` (bucket means on elapsed seconds, about
    STREAM_POINTS rows), `hr` (elapsed_s, heart_rate at full resolution) and `channels` (which recording,
    source and device supplied each channel, with sample counts). None when the activity has no samples."""
    samples = q.activity_samples(cur, activity_id)
    if samples.empty:
        return None
    elapsed = (samples["ts"] - samples["ts"].iloc[0]).dt.total_seconds()
    channels = [c for c in q.STREAM_CHANNELS if c in samples]
    bucket = max(1.0, float(np.ceil((elapsed.iloc[-1] + 1) / STREAM_POINTS)))
    streams = (
        samples[channels]
        .astype(float)
        .groupby((elapsed // bucket) * bucket)
        .mean()
        .rename_axis("elapsed_s")
        .reset_index()
    )
    counts = samples.groupby("recording_id", dropna=False)[channels].count().reset_index()
    long = counts.melt(id_vars="recording_id", var_name="channel", value_name="samples")
    long = long[long["samples"] > 0]
    recordings = [r for r in long["recording_id"].dropna().unique()]
    if recordings and cur.has_table("openfit", "activity_recordings"):
        long = long.merge(q.recording_devices(cur, recordings), on="recording_id", how="left")
    else:
        long = long.assign(source=None, device=None)
    hr = (
        pd.DataFrame({"elapsed_s": elapsed, "heart_rate": samples["heart_rate"]})
        if "heart_rate" in samples
        else pd.DataFrame(columns=["elapsed_s", "heart_rate"])
    )
    power = (
        pd.DataFrame({"elapsed_s": elapsed, "power_w": samples["power_w"]})
        if "power_w" in samples
        else pd.DataFrame(columns=["elapsed_s", "power_w"])
    )
    return {
        "streams": streams,
        "hr": hr.dropna(),
        "power": power.dropna(),
        "channels": long[["channel", "recording_id", "source", "device", "samples"]]
        .sort_values(["channel", "samples"], ascending=[True, False])
        .reset_index(drop=True),
    }


@_cached
def hr_time_in_zones(cur, activity_id: str, athlete_id: str, day: date) -> dict | None:
    """Seconds in each HR zone on the 1 Hz grid, with the zone model used; None without HR or thresholds.

    Zones: Friel's (% of LTHR) when an LTHR is in force on the day, else % of HRmax (analytics.hr_zones).
    """
    import analytics  # imported here: its import costs seconds and only this view needs it

    view = activity_samples_view(activity_id)
    th = q.thresholds_on(cur, athlete_id, day) if cur.has_table("openfit", "athlete_thresholds") else None
    if not isinstance(view, dict) or view["hr"].empty or not th:
        return None
    if th.get("lthr"):
        zones = analytics.hr_zones("friel_cycling", lthr=float(th["lthr"]))
        model = f"Friel, % of LTHR {th['lthr']:.0f} bpm"
    elif th.get("hr_max"):
        zones = analytics.hr_zones("percent_hrmax", hr_max=float(th["hr_max"]))
        model = f"% of HRmax {th['hr_max']:.0f} bpm"
    else:
        return None
    seconds = analytics.time_in_zones(_on_1hz_grid(view["hr"], "heart_rate"), zones)
    return _zones_answer(model, zones, seconds, "low_bpm")


def _on_1hz_grid(frame: pd.DataFrame, column: str):
    """A channel of the activity view resampled to the 1 Hz grid the zone counters expect."""
    import analytics

    stream = analytics.resample_1hz(
        frame["elapsed_s"].to_numpy(float), {column: frame[column].to_numpy(float)}
    )
    return stream.channels[column]


def _zones_answer(model: str, zones: list, seconds: dict[str, float], low_attr: str) -> dict:
    return {
        "model": model,
        "zones": pd.DataFrame(
            {
                "zone": [z.name for z in zones],
                low_attr: [getattr(z, low_attr) for z in zones],
                "seconds": [seconds[z.name] for z in zones],
            }
        ),
    }


@_cached
def power_time_in_zones(cur, activity_id: str, athlete_id: str, day: date) -> dict | None:
    """Seconds in each of Coggan's power levels (analytics.power_zones) on the 1 Hz grid, for the FTP in force
    on the day; None without power samples or an FTP."""
    import analytics  # imported here: its import costs seconds and only this view needs it

    view = activity_samples_view(activity_id)
    th = q.thresholds_on(cur, athlete_id, day) if cur.has_table("openfit", "athlete_thresholds") else None
    if not isinstance(view, dict) or view["power"].empty or not th or not th.get("ftp_w"):
        return None
    zones = analytics.power_zones(float(th["ftp_w"]))
    seconds = analytics.time_in_power_zones(_on_1hz_grid(view["power"], "power_w"), zones)
    return _zones_answer(f"Coggan levels, FTP {th['ftp_w']:.0f} W", zones, seconds, "low_w")


_warm_lock = threading.Lock()
_warm_started = False


def _warm() -> None:
    from plotly.subplots import make_subplots

    # Plotly loads its validators on the first figure (about 0.4 s); `analytics` imports SciPy (seconds).
    make_subplots(rows=2, cols=1, specs=[[{"secondary_y": True}], [{}]]).add_scatter(
        x=[0], y=[0], row=2, col=1
    )
    importlib.import_module("analytics")


def warm_imports() -> None:
    """Pay the one-off import costs in the background once per server process, so that no page visit waits
    for them (only the activity detail needs `analytics`; every page draws Plotly figures)."""
    global _warm_started
    with _warm_lock:
        if _warm_started:
            return
        _warm_started = True
    threading.Thread(target=_warm, name="openfit-warm-imports", daemon=True).start()


def clear_all() -> None:
    st.cache_data.clear()
