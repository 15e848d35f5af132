"""Cross-device: the same metric from each source side by side, how far each strays from the others, and
which source the warehouse chose."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboards import data, ui

C = ui.OKABE_ITO
LABELS = {
    "resting_hr": "Resting HR (bpm)",
    "hrv_rmssd_ms": "HRV rMSSD (ms)",
    "sleep_s": "Sleep (h)",
    "sleep_score": "Sleep score",
    "steps": "Steps",
    "weight_kg": "Weight (kg)",
    "body_fat_pct": "Body fat (%)",
    "stress_avg": "Stress (score)",
    "active_kcal": "Active energy (kcal)",
}
HOURS = {"sleep_s", "duration_s", "deep_s", "rem_s", "light_s", "awake_s"}

st.title("Cross-device")
picked = ui.selection()
if picked is None:
    st.stop()
athlete, start, end = picked

metrics = data.cross_device_metrics(athlete)
if ui.unavailable(
    metrics,
    "Cross-device comparison",
    "Connect or import a second device or provider that "
    "reports the same daily metrics (e.g. a ring and a watch), then run `openfit build`.",
):
    st.stop()
metric = st.selectbox("Metric", metrics, format_func=lambda m: LABELS.get(m, m), key="cross_metric")
frame = data.cross_device(athlete, metric, start, end)
if ui.unavailable(frame, "Cross-device comparison", "No two sources reported this metric in the period."):
    st.stop()

scale = 1 / 3600 if metric in HOURS else 1
label = LABELS.get(metric, metric)
fig = go.Figure()
for source, rows in frame.groupby("source", sort=True):
    color = ui.source_color(str(source))
    fig.add_scatter(
        x=rows["date"],
        y=rows["value"] * scale,
        name=str(source),
        mode="lines+markers",
        line={"color": color, "width": 2},
        marker={"size": 5},
    )
    chosen = rows[rows["chosen"].fillna(False).astype(bool)]
    if not chosen.empty:
        fig.add_scatter(
            x=chosen["date"],
            y=chosen["value"] * scale,
            name=f"{source} (chosen)",
            mode="markers",
            marker={"color": color, "size": 11, "symbol": "star", "line": {"width": 1}},
        )
fig.update_layout(title_text=f"{label} by source")
ui.chart(ui.style(fig, y=label, x="Date", height=420), "cross_device")

left, right = st.columns(2)
with left:
    dev = go.Figure()
    for source, rows in frame.groupby("source", sort=True):
        dev.add_box(
            y=rows["deviation"] * scale,
            name=str(source),
            marker_color=ui.source_color(str(source)),
            boxmean=True,
        )
    dev.update_layout(
        title_text="Deviation from the other sources' mean, same day", showlegend=False, hovermode="closest"
    )
    ui.chart(ui.style(dev, y=f"Difference ({label})"), "deviation")
with right:
    summary = (
        frame.groupby("source")
        .agg(
            days=("value", "count"),
            mean=("value", "mean"),
            mean_deviation=("deviation", "mean"),
            mean_abs_deviation=("deviation", lambda d: d.abs().mean()),
            mean_abs_relative=("relative_deviation", lambda d: d.abs().mean() * 100),
            chosen_days=("chosen", lambda c: int(c.fillna(False).astype(bool).sum())),
        )
        .reset_index()
    )
    for col in ("mean", "mean_deviation", "mean_abs_deviation"):
        summary[col] = (summary[col] * scale).round(2)
    summary["mean_abs_relative"] = summary["mean_abs_relative"].round(1)
    st.markdown("**Per source**")
    st.dataframe(
        summary.rename(
            columns={
                "source": "Source",
                "days": "Days",
                "mean": f"Mean {label}",
                "mean_deviation": "Mean deviation",
                "mean_abs_deviation": "Mean |deviation|",
                "mean_abs_relative": "Mean |deviation| (%)",
                "chosen_days": "Days chosen",
            }
        ),
        hide_index=True,
        key="cross_summary",
    )
    if frame["chosen"].isna().all():
        st.caption(
            "Which source wins per metric is decided by the source-priority merge; this snapshot does not "
            "record a choice yet (`marts.cross_device_daily`)."
        )
