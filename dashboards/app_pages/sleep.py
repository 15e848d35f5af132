"""Sleep & recovery: duration, stages and score; resting HR and HRV against rolling baselines; recovery
against training load."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import data, ui

C = ui.OKABE_ITO
TODO = "Sleep arrives from a ring, watch or provider: connect one, or import its export, then run `openfit build`."

st.title("Sleep & recovery")
picked = ui.selection()
if picked is None:
    st.stop()
athlete, start, end = picked

nights = data.sleep_nights(athlete, start, end)
if not ui.unavailable(nights, "Sleep", TODO):
    sources = sorted(nights["device"].dropna().unique())
    source = (
        st.selectbox(
            "Sleep recorded by",
            sources,
            key="sleep_source",
            help="Every device's sessions are kept; pick whose nights to show.",
        )
        if len(sources) > 1
        else sources[0]
    )
    n = nights[nights["device"] == source]
    # One night per local date: the longest session (naps would otherwise stack on the main sleep).
    n = n.sort_values("duration_s").groupby("local_date", as_index=False).last().sort_values("local_date")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for col, label, color in (
        ("deep_s", "Deep", C["blue"]),
        ("rem_s", "REM", C["sky"]),
        ("light_s", "Light", C["green"]),
        ("awake_s", "Awake", C["orange"]),
    ):
        if n[col].notna().any():
            fig.add_bar(
                x=n["local_date"], y=n[col] / 3600, name=label, marker_color=color, hovertemplate="%{y:.2f} h"
            )
    if n["score"].notna().any():
        fig.add_scatter(
            x=n["local_date"],
            y=n["score"],
            name="Sleep score",
            secondary_y=True,
            line={"color": C["vermillion"], "width": 2},
            mode="lines+markers",
        )
    fig.update_layout(barmode="stack", title_text=f"Sleep stages and score ({source})")
    fig.update_yaxes(title_text="Hours asleep / awake in bed", secondary_y=False)
    fig.update_yaxes(title_text="Score (0–100)", secondary_y=True, range=[0, 100], showgrid=False)
    ui.chart(ui.style(fig, x="Night ending on", height=420), "sleep")
    c = st.columns(4)
    c[0].metric("Average sleep", ui.hms((n["duration_s"] - n["awake_s"].fillna(0)).mean()))
    c[1].metric("Average deep", ui.hms(n["deep_s"].mean()))
    c[2].metric("Average REM", ui.hms(n["rem_s"].mean()))
    c[3].metric("Average score", f"{n['score'].mean():.0f}" if n["score"].notna().any() else "–")

st.subheader("Resting heart rate and HRV")
wellness = data.wellness_chosen(athlete, start, end)
if not ui.unavailable(wellness, "Resting HR and HRV", TODO):
    # The chosen source's value per day (openfit.wellness_daily); baselines are 7-day and 28-day rolling means
    # over calendar days.
    daily = wellness.set_index("date")[[c for c in ("resting_hr", "hrv_rmssd_ms") if c in wellness]]
    daily.index = pd.to_datetime(daily.index)
    daily = daily.asfreq("D")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for row, (col, label, color) in enumerate(
        (("resting_hr", "Resting HR (bpm)", C["vermillion"]), ("hrv_rmssd_ms", "HRV rMSSD (ms)", C["blue"])),
        start=1,
    ):
        if col not in daily or not daily[col].notna().any():
            continue
        base = daily[col].rolling(28, min_periods=7).mean()
        sd = daily[col].rolling(28, min_periods=7).std()
        fig.add_scatter(
            x=daily.index, y=base + sd, line={"width": 0}, showlegend=False, hoverinfo="skip", row=row, col=1
        )
        fig.add_scatter(
            x=daily.index,
            y=base - sd,
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(153,153,153,0.2)",
            name="28-day baseline ± 1 SD",
            row=row,
            col=1,
            hoverinfo="skip",
            showlegend=row == 1,
        )
        fig.add_scatter(
            x=daily.index,
            y=daily[col],
            name=label,
            mode="markers",
            marker={"color": color, "size": 5},
            row=row,
            col=1,
        )
        fig.add_scatter(
            x=daily.index,
            y=daily[col].rolling(7, min_periods=3).mean(),
            name=f"{label} 7-day",
            line={"color": color, "width": 2},
            row=row,
            col=1,
        )
        fig.update_yaxes(title_text=label, row=row, col=1)
    fig.update_layout(title_text="Daily values against rolling baselines (preferred source per metric)")
    ui.chart(ui.style(fig, height=480), "recovery")

st.subheader("Recovery against training load")
summary = data.daily_series(athlete, start, end)
if not ui.unavailable(
    summary,
    "Daily summary",
    "The daily summary joins load, RHR, HRV and sleep "
    "(`marts.daily_athlete_summary`, built by `openfit build`).",
):
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if "load" in summary and summary["load"].notna().any():
        fig.add_bar(
            x=summary["date"], y=summary["load"], name="Training load", marker_color=C["grey"], opacity=0.6
        )
    elif "training_h" in summary:
        fig.add_bar(x=summary["date"], y=summary["training_h"], name="Training (h)", marker_color=C["grey"])
    for col, label, color in (
        ("hrv_rmssd_ms", "HRV (ms)", C["blue"]),
        ("resting_hr", "Resting HR (bpm)", C["vermillion"]),
    ):
        if col in summary and summary[col].notna().any():
            fig.add_scatter(
                x=summary["date"], y=summary[col], name=label, secondary_y=True, line={"color": color}
            )
    fig.update_yaxes(title_text="Load", secondary_y=False)
    fig.update_yaxes(title_text="HRV (ms) / RHR (bpm)", secondary_y=True, showgrid=False)
    fig.update_layout(title_text="Daily load and recovery markers (same local date)")
    ui.chart(ui.style(fig, height=360), "summary")
