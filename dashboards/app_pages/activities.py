"""Activities: a filterable table, then one activity in detail (track, streams, laps, zones, load, data issues,
provenance)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import data, ui

C = ui.OKABE_ITO
TODO = "Import FIT/GPX/TCX files with `openfit import` or connect a provider, then run `openfit build`."

st.title("Activities")
picked = ui.selection()
if picked is None:
    st.stop()
athlete, start, end = picked

options = data.activity_filter_options(athlete)
if ui.unavailable(options, "Activities", TODO):
    st.stop()
f1, f2 = st.columns(2)
sports = f1.multiselect("Sport", options["sports"], key="activity_sports", placeholder="All sports")
sources = f2.multiselect("Source", options["sources"], key="activity_sources", placeholder="All sources")

table = data.activity_table(athlete, start, end, sports=sports or None, sources=sources or None)
if ui.unavailable(table, "Activities", TODO):
    st.stop()


def num(series: pd.Series) -> pd.Series:
    """Numbers as floats (an all-null column arrives as objects, which cannot be rounded)."""
    return pd.to_numeric(series, errors="coerce").astype(float)


shown = pd.DataFrame(
    {
        "Date": table["local_date"],
        "Sport": table["sport"],
        "Duration": table["duration_s"].map(ui.hms),
        "Distance (km)": (num(table["distance_m"]) / 1000).round(2),
        "Avg HR (bpm)": num(table["avg_hr"]).round(0),
        "Avg power (W)": num(table["avg_power_w"]).round(0),
        "Load": num(table["load"]).round(0),
        "Source": table["primary_source"],
        "Recordings": table["recording_count"],
    }
)
st.caption(f"{len(table)} activities")
st.dataframe(shown, hide_index=True, height=260, key="activity_table")


labels = {
    row.activity_id: f"{row.local_date} · {row.sport} · {ui.hms(row.duration_s)}"
    + (f", {row.distance_m / 1000:.1f} km" if row.distance_m == row.distance_m and row.distance_m else "")
    for row in table.itertuples()
}
ids = list(labels)
linked = st.query_params.get("activity")  # ?activity=<id> links straight to one activity
activity_id = st.selectbox(
    "Activity",
    ids,
    index=ids.index(linked) if linked in labels else 0,
    format_func=labels.__getitem__,
    key="activity_pick",
)
st.query_params["activity"] = activity_id

detail = data.activity_detail(activity_id)
if ui.unavailable(detail, "Activity detail", TODO):
    st.stop()

day = detail.get("local_date")
st.subheader(
    f"{str(detail['sport']).capitalize()} · {day:%a %d %b %Y}" if day else str(detail["sport"]).capitalize()
)
m = st.columns(5)
m[0].metric("Duration", ui.hms(detail.get("duration_s")))
m[1].metric("Distance", f"{detail['distance_m'] / 1000:.2f} km" if detail.get("distance_m") else "–")
m[2].metric("Avg HR", f"{detail['avg_hr']:.0f} bpm" if detail.get("avg_hr") else "–")
m[3].metric("Avg power", f"{detail['avg_power_w']:.0f} W" if detail.get("avg_power_w") else "–")
speed = detail.get("avg_speed_mps")
is_run = "run" in str(detail.get("sport") or "").lower()  # run, running, trail_running, treadmill_running
if is_run and speed:
    m[4].metric("Avg pace", ui.pace(1000 / speed))
else:
    m[4].metric("Avg speed", f"{speed * 3.6:.1f} km/h" if speed else "–")
st.caption(
    f"From {detail.get('primary_source') or 'unknown source'} · {len(detail['recordings']) or 1} "
    "recording(s) merged · details under *Sources & devices* below"
)

view = data.activity_samples_view(activity_id)
streams = view["streams"] if isinstance(view, dict) else view
track_col, streams_col = st.columns([1, 2])

with streams_col:
    channels = []
    if isinstance(streams, pd.DataFrame) and not streams.empty:
        if is_run and "speed_mps" in streams and streams["speed_mps"].notna().any():
            # Pace in min/km, axis reversed so faster is up; very slow readings (walking, stops) clipped.
            streams["pace_min_km"] = (1000 / streams["speed_mps"].where(streams["speed_mps"] > 1.0)) / 60
        candidates = [
            ("heart_rate", "Heart rate (bpm)", C["vermillion"]),
            ("power_w", "Power (W)", C["orange"]),
            (
                "pace_min_km" if is_run else "speed_mps",
                "Pace (min/km)" if is_run else "Speed (km/h)",
                C["blue"],
            ),
            ("cadence", "Cadence (rpm/spm)", C["green"]),
            ("altitude_m", "Altitude (m)", C["grey"]),
        ]
        channels = [c for c in candidates if c[0] in streams and streams[c[0]].notna().any()]
    if not channels:
        ui.unavailable(
            streams if isinstance(streams, data.NotBuilt) else None,
            "Streams",
            "This activity has no samples: import its original FIT/GPX/TCX file to see streams.",
        )
    else:
        fig = make_subplots(rows=len(channels), cols=1, shared_xaxes=True, vertical_spacing=0.03)
        minutes = streams["elapsed_s"] / 60
        for i, (col, label, color) in enumerate(channels, start=1):
            y = streams[col] * 3.6 if col == "speed_mps" else streams[col]
            fig.add_scatter(
                x=minutes,
                y=y,
                name=label,
                line={"color": color, "width": 1.5},
                row=i,
                col=1,
                hovertemplate="%{y:.1f}",
            )
            fig.update_yaxes(
                title_text=label,
                row=i,
                col=1,
                title_font_size=11,
                autorange="reversed" if col == "pace_min_km" else True,
            )
        fig.update_xaxes(title_text="Elapsed time (min)", row=len(channels), col=1)
        fig.update_layout(showlegend=False, title_text="Streams on a shared time axis")
        ui.chart(ui.style(fig, height=130 * len(channels) + 80), "streams")

with track_col:
    has_track = (
        isinstance(streams, pd.DataFrame)
        and not streams.empty
        and "lat" in streams
        and streams["lat"].notna().any()
    )
    if has_track:
        # A plain lon/lat plot: no tile server is needed (the dashboards work offline); the y axis is scaled
        # by 1/cos(latitude) so the track keeps its real shape.
        lat0 = float(streams["lat"].dropna().mean())
        track = go.Figure(
            go.Scatter(
                x=streams["lon"],
                y=streams["lat"],
                mode="lines",
                line={"color": C["blue"], "width": 3},
                name="Track",
                hoverinfo="skip",
            )
        )
        first = streams.dropna(subset=["lat", "lon"]).iloc[[0, -1]]
        track.add_scatter(
            x=first["lon"],
            y=first["lat"],
            mode="markers",
            name="Start / finish",
            marker={"color": [C["green"], C["vermillion"]], "size": 11, "symbol": ["circle", "square"]},
        )
        track.update_yaxes(
            scaleanchor="x", scaleratio=1 / math.cos(math.radians(lat0)), title_text="Latitude (°)"
        )
        track.update_xaxes(title_text="Longitude (°)")
        track.update_layout(title_text="GPS track", showlegend=False)
        ui.chart(ui.style(track, height=420), "track")
    else:
        st.info(
            "No GPS track: indoor session, or the device recorded no positions.",
            icon=":material/location_off:",
        )

tabs = st.tabs(["Laps", "Zones", "Load", "Data issues", "Sources & devices"])
with tabs[0]:
    laps = detail["laps"]
    if laps.empty:
        st.info("No laps recorded for this activity.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Lap": laps["lap_index"].astype(int) + (1 if laps["lap_index"].min() == 0 else 0),
                    "Duration": laps["duration_s"].map(ui.hms),
                    "Distance (km)": (num(laps["distance_m"]) / 1000).round(2),
                    "Avg HR (bpm)": num(laps["avg_hr"]).round(0),
                    "Max HR (bpm)": num(laps["max_hr"]).round(0),
                    "Avg power (W)": num(laps["avg_power_w"]).round(0),
                    "Avg speed (km/h)": (num(laps["avg_speed_mps"]) * 3.6).round(1),
                }
            ),
            hide_index=True,
            key="laps",
        )


def zone_chart(result: dict, title: str, low_column: str, hover_from: str, key: str) -> None:
    """Minutes per zone as horizontal bars; `result` is a data.*_time_in_zones answer (model + zones frame)."""
    z = result["zones"]
    bars = go.Figure(
        go.Bar(
            x=z["seconds"] / 60,
            y=z["zone"],
            orientation="h",
            marker_color=ui.COLORWAY[: len(z)],
            text=[ui.hms(s) for s in z["seconds"]],
            textposition="auto",
            customdata=z[low_column],
            hovertemplate=f"%{{y}}: %{{x:.1f}} min ({hover_from})",
        )
    )
    bars.update_layout(title_text=f"{title} ({result['model']})", hovermode="closest")
    ui.chart(ui.style(bars, x="Minutes", height=320), key)


with tabs[1]:
    zones = data.hr_time_in_zones(activity_id, athlete, day) if day else None
    if isinstance(zones, dict):
        zone_chart(zones, "Time in heart-rate zones", "low_bpm", "from %{customdata:.0f} bpm", "zones")
    elif isinstance(zones, data.NotBuilt):
        ui.unavailable(zones, "Zones", "Zones need `openfit.athlete_thresholds` and heart-rate samples.")
    else:
        st.info(
            "No heart-rate zones: this activity has no heart-rate samples, or no HRmax/LTHR is set for the "
            "athlete on this date (add thresholds with your provider profile or a field test)."
        )
    power_zones = data.power_time_in_zones(activity_id, athlete, day) if day else None
    if isinstance(power_zones, dict):
        zone_chart(power_zones, "Time in power zones", "low_w", "above %{customdata:.0f} W", "power_zones")
    elif power_zones is None:
        st.caption(
            "No power zones: this activity has no power samples, or no FTP is set for the athlete on this date."
        )
with tabs[2]:
    load = data.activity_load_metrics(activity_id)
    if not ui.unavailable(
        load, "Load metrics", "Activity load comes from `marts.activity_load` (run `openfit build`)."
    ):
        labels = {
            "load": "Load",
            "load_source": "Load from",
            "tss": "TSS",
            "np_w": "NP (W)",
            "if": "IF",
            "vi": "VI",
            "trimp": "TRIMP",
            "hrss": "HRSS",
            "rtss": "rTSS",
        }
        shown = [(labels[k], load[k]) for k in labels if k in load and load[k] is not None]
        cols = st.columns(max(1, len(shown)))
        for col, (label, value) in zip(cols, shown, strict=False):
            col.metric(
                label,
                f"{value:.2f}"
                if isinstance(value, float) and value < 10
                else (f"{value:.0f}" if isinstance(value, float) else str(value)),
            )
with tabs[3]:
    issues = data.activity_data_issues(activity_id)
    if isinstance(issues, data.NotBuilt):
        ui.unavailable(
            issues,
            "Data issues",
            "Sensor faults come from `marts.activity_data_issues` (run `openfit build`).",
        )
    elif issues.empty:
        st.success("No sensor faults found in this activity's samples.", icon=":material/check_circle:")
    else:
        high = int((issues["severity"] == "high").sum())
        st.markdown(
            f"**{len(issues)} sensor fault{'s' if len(issues) != 1 else ''} found**"
            + (f", {high} of high severity" if high else "")
            + ": spikes, dropouts, cadence lock, GPS jumps or stuck channels that make some numbers of this "
            "activity unreliable."
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "Issue": issues["kind"].str.replace("_", " "),
                    "Channel": issues["channel"].str.replace("_", " "),
                    "Severity": issues["severity"],
                    "From": issues["start_offset_s"].map(ui.hms),
                    "To": issues["end_offset_s"].map(ui.hms),
                    "Samples": issues["samples"],
                    "What it means": issues["explanation"],
                }
            ),
            hide_index=True,
            key="data_issues",
        )
with tabs[4]:
    st.markdown("**Which device supplied each channel**")
    channel_sources = view["channels"] if isinstance(view, dict) else view
    if not ui.unavailable(
        channel_sources, "Channel provenance", "Samples arrive with imported files or providers."
    ):
        st.dataframe(
            channel_sources.rename(
                columns={
                    "channel": "Channel",
                    "recording_id": "Recording",
                    "source": "Source",
                    "device": "Device",
                    "samples": "Samples",
                }
            ),
            hide_index=True,
            key="channel_sources",
        )
    st.markdown("**Recordings merged into this activity**")
    recordings = detail["recordings"]
    if recordings.empty:
        st.info("No recordings are linked to this activity in the snapshot.")
    else:
        keep = [
            c
            for c in (
                "recording_id",
                "recording_role",
                "role",
                "source",
                "device_id",
                "start_time",
                "duration_s",
                "distance_m",
            )
            if c in recordings
        ]
        st.dataframe(recordings[keep], hide_index=True, key="recordings")
    if detail.get("field_sources"):
        st.markdown("**Field sources**")
        st.json(detail["field_sources"], expanded=False)
