"""Correlations: pick daily series and a lag; see them aligned and a correlation matrix."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import data, ui

LABELS = {
    "load": "Training load",
    "ctl": "Fitness (CTL)",
    "atl": "Fatigue (ATL)",
    "tsb": "Form (TSB)",
    "resting_hr": "Resting HR (bpm)",
    "hrv_rmssd_ms": "HRV (ms)",
    "sleep_s": "Sleep (s)",
    "sleep_score": "Sleep score",
    "steps": "Steps",
    "weight_kg": "Weight (kg)",
    "training_h": "Training (h)",
    "distance_km": "Distance (km)",
    "stress_avg": "Stress",
    "active_kcal": "Active energy (kcal)",
}

st.title("Correlations")
picked = ui.selection()
if picked is None:
    st.stop()
athlete, start, end = picked

series = data.daily_series(athlete, start, end)
if ui.unavailable(
    series,
    "Daily series",
    "Correlations need daily wellness or training data: run `openfit build` after connecting a source.",
):
    st.stop()
numeric = [
    c
    for c in series.columns
    if c != "date" and pd.api.types.is_numeric_dtype(series[c]) and series[c].notna().sum() >= 3
]
if len(numeric) < 2:
    st.info("Fewer than two daily series have data in this period: widen the period in the sidebar.")
    st.stop()

default = [c for c in ("load", "hrv_rmssd_ms", "resting_hr", "sleep_score") if c in numeric][:3] or numeric[
    :2
]
c1, c2, c3 = st.columns([3, 2, 1])
chosen = c1.multiselect(
    "Series", numeric, default=default, format_func=lambda c: LABELS.get(c, c), key="corr_series"
)
lead = c2.selectbox(
    "Shift this series",
    numeric,
    index=numeric.index(chosen[0]) if chosen else 0,
    format_func=lambda c: LABELS.get(c, c),
    key="corr_lead",
)
lag = c3.number_input(
    "Lag (days)",
    min_value=-28,
    max_value=28,
    value=1,
    step=1,
    key="corr_lag",
    help="Compares the shifted series on day d with the others on day d + lag.",
)
if len(chosen) < 2:
    st.info("Pick at least two series.")
    st.stop()

frame = series.set_index("date")[chosen].astype(float).copy()
if lead in frame:
    frame[lead] = frame[lead].shift(int(lag))
aligned = frame.rename(
    columns={lead: f"{LABELS.get(lead, lead)} (shifted {int(lag):+d} d)"} if lead in frame else {}
)
aligned = aligned.rename(columns=lambda c: LABELS.get(c, c))

fig = make_subplots(rows=len(aligned.columns), cols=1, shared_xaxes=True, vertical_spacing=0.03)
for i, (col, color) in enumerate(zip(aligned.columns, ui.COLORWAY, strict=False), start=1):
    fig.add_scatter(x=aligned.index, y=aligned[col], name=col, line={"color": color}, row=i, col=1)
    fig.update_yaxes(title_text=col, title_font_size=10, row=i, col=1)
fig.update_layout(title_text="Aligned daily series", showlegend=False)
ui.chart(ui.style(fig, height=110 * len(aligned.columns) + 100), "aligned")

corr = aligned.corr(method="pearson", min_periods=5)
pairs = aligned.notna().astype(int).T @ aligned.notna().astype(int)
heat = go.Figure(
    go.Heatmap(
        z=corr.values,
        x=list(corr.columns),
        y=list(corr.index),
        zmin=-1,
        zmax=1,
        colorscale="RdBu",
        reversescale=False,
        text=corr.round(2).values,
        texttemplate="%{text}",
        customdata=pairs.values,
        hovertemplate="%{y} vs %{x}: r = %{z:.2f} (%{customdata} days)",
        colorbar={"title": "r"},
    )
)
heat.update_layout(
    title_text=f"Pearson correlation ({len(aligned.dropna())} days with every series)", hovermode="closest"
)
ui.chart(ui.style(heat, height=420), "corr_matrix")
st.caption("Correlation is not causation; values from fewer than 5 overlapping days are left blank.")
