"""Readiness & alerts: the daily readiness score with each component's input, score and weight
(marts.readiness), resting HR, ln RMSSD and sleep against their personal baseline bands
(marts.wellness_baselines), and the anomaly flags with their evidence and explanation (marts.anomalies)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import data, ui

C = ui.OKABE_ITO
TODO = (
    "Readiness, baselines and flags come from `marts.readiness`, `marts.wellness_baselines` and "
    "`marts.anomalies`: run `openfit build` once resting HR, HRV or sleep arrive from a device or an import."
)
# Component -> (label, the column holding its input, how the input reads)
COMPONENTS = {
    "hrv": ("HRV", "hrv_z", "z of 7-day ln RMSSD"),
    "resting_hr": ("Resting HR", "rhr_z", "robust z"),
    "sleep": ("Sleep", "sleep_s", "hours asleep"),
    "tsb": ("Form (TSB)", "tsb", "TSB"),
    "acwr": ("ACWR", "acwr", "ratio"),
}
COMPONENT_COLORS = {
    "hrv": C["blue"],
    "resting_hr": C["vermillion"],
    "sleep": C["purple"],
    "tsb": C["green"],
    "acwr": C["orange"],
}
SEVERITY_COLORS = {"moderate": C["orange"], "high": C["vermillion"]}

st.title("Readiness & alerts")
picked = ui.selection()
if picked is None:
    st.stop()
athlete, start, end = picked

# ------------------------------------------------------------------------------------------------ readiness
st.subheader("Readiness")
ready = data.readiness(athlete, start, end)
if not ui.unavailable(ready, "Readiness", TODO):
    scored = ready.dropna(subset=["score"])
    latest = scored.iloc[-1] if not scored.empty else None
    cols = st.columns(3)
    cols[0].metric(
        "Latest readiness" if latest is None else f"Readiness on {latest['date']}",
        f"{latest['score']:.0f}" if latest is not None else "–",
    )
    cols[1].metric(
        "Coverage",
        f"{latest['coverage']:.0%}" if latest is not None else "–",
        help="Share of the components' weight whose input was there that day; below 50% no score.",
    )
    cols[2].metric("Days scored", f"{len(scored)} of {len(ready)}")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.55, 0.45], vertical_spacing=0.06)
    fig.add_hrect(y0=0, y1=50, fillcolor=C["vermillion"], opacity=0.06, line_width=0, row=1, col=1)
    fig.add_scatter(
        x=ready["date"],
        y=ready["score"],
        name="Readiness",
        mode="lines+markers",
        line={"color": C["grey"], "width": 2.5},
        marker={"size": 4},
        row=1,
        col=1,
    )
    for name, (label, _, _) in COMPONENTS.items():
        score, weight = ready[f"{name}_component"], ready[f"{name}_weight"]
        if not score.notna().any():
            continue
        # Stacked contributions: weight x component score / the weight present that day, so the stack sums to
        # the readiness score.
        present = sum(
            ready[f"{c}_weight"].where(ready[f"{c}_component"].notna(), 0.0) for c in COMPONENTS
        ).replace(0, np.nan)
        fig.add_bar(
            x=ready["date"],
            y=(weight * score / present).where(ready["score"].notna()),
            name=f"{label} (weight {weight.dropna().iloc[0]:.2f})",
            marker_color=COMPONENT_COLORS[name],
            customdata=np.stack([score, weight], axis=-1),
            hovertemplate="%{y:.1f} pts (score %{customdata[0]:.0f}, weight %{customdata[1]:.2f})",
            row=2,
            col=1,
        )
    fig.update_layout(barmode="stack", title_text="Readiness score (0–100) and each component's contribution")
    fig.update_yaxes(title_text="Score", range=[0, 100], row=1, col=1)
    fig.update_yaxes(title_text="Points by component", row=2, col=1)
    ui.chart(ui.style(fig, height=520), "readiness")
    if latest is not None:
        rows = []
        for name, (label, column, reads) in COMPONENTS.items():
            value = latest[column]
            if name == "sleep" and not pd.isna(value):
                value = value / 3600
            rows.append(
                {
                    "Component": label,
                    "Input": None if pd.isna(value) else round(float(value), 2),
                    "Input is": reads,
                    "Score (0–100)": None
                    if pd.isna(latest[f"{name}_component"])
                    else round(float(latest[f"{name}_component"]), 1),
                    "Weight": latest[f"{name}_weight"],
                }
            )
        st.caption(f"Components on {latest['date']} (75 = the athlete's usual state)")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="readiness_components")

# ------------------------------------------------------------------------------------------------ baselines
st.subheader("Baselines")
base = data.wellness_baselines(athlete, start, end)
if not ui.unavailable(base, "Wellness baselines", TODO):
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06)

    def band(row: int, lower: pd.Series, upper: pd.Series, label: str) -> None:
        fig.add_scatter(
            x=base["date"], y=upper, line={"width": 0}, showlegend=False, hoverinfo="skip", row=row, col=1
        )
        fig.add_scatter(
            x=base["date"],
            y=lower,
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(153,153,153,0.25)",
            name=label,
            hoverinfo="skip",
            row=row,
            col=1,
        )

    # Resting HR: the 28-day median ± 2.5 robust SD (MAD x 1.4826, floor 1 bpm), the flag's threshold.
    mad = base["rhr_baseline_mad"].clip(lower=1.0)
    band(
        1,
        base["rhr_baseline_median"] - 2.5 * mad,
        base["rhr_baseline_median"] + 2.5 * mad,
        "Resting HR: 28-day median ± 2.5 robust SD",
    )
    fig.add_scatter(
        x=base["date"],
        y=base["resting_hr"],
        name="Resting HR (bpm)",
        mode="markers",
        marker={"color": C["vermillion"], "size": 5},
        row=1,
        col=1,
    )
    # ln RMSSD: the 7-day rolling mean against the smallest-worthwhile-change band of its 60-day baseline.
    band(2, base["hrv_swc_lower"], base["hrv_swc_upper"], "ln RMSSD: 60-day mean ± 0.5 SD (SWC)")
    fig.add_scatter(
        x=base["date"],
        y=base["hrv_ln_rmssd"],
        name="ln RMSSD (day)",
        mode="markers",
        marker={"color": C["sky"], "size": 4},
        row=2,
        col=1,
    )
    fig.add_scatter(
        x=base["date"],
        y=base["hrv_ln_rmssd_7d"],
        name="ln RMSSD 7-day mean",
        line={"color": C["blue"], "width": 2},
        row=2,
        col=1,
    )
    # Sleep against its 28-day median band and the athlete's sleep need.
    smad = base["sleep_baseline_mad"].clip(lower=900.0)
    band(
        3,
        (base["sleep_baseline_median"] - 2 * smad) / 3600,
        (base["sleep_baseline_median"] + 2 * smad) / 3600,
        "Sleep: 28-day median ± 2 robust SD",
    )
    fig.add_scatter(
        x=base["date"],
        y=base["sleep_s"] / 3600,
        name="Sleep (h)",
        mode="markers",
        marker={"color": C["purple"], "size": 5},
        row=3,
        col=1,
    )
    fig.add_scatter(
        x=base["date"],
        y=base["sleep_need_s"] / 3600,
        name="Sleep need (h)",
        line={"color": C["grey"], "dash": "dash"},
        row=3,
        col=1,
    )
    fig.update_yaxes(title_text="Resting HR (bpm)", row=1, col=1)
    fig.update_yaxes(title_text="ln RMSSD (ln ms)", row=2, col=1)
    fig.update_yaxes(title_text="Sleep (h)", row=3, col=1)
    fig.update_layout(title_text="Resting HR, ln RMSSD and sleep against their baseline bands")
    # Seven legend entries wrap to three rows: more top margin so they stay clear of the title.
    ui.chart(ui.style(fig, height=680).update_layout(margin={"t": 140}), "baselines")

# ------------------------------------------------------------------------------------------------ alerts
st.subheader("Alerts")
flags = data.anomaly_flags(athlete, start, end)
if isinstance(flags, data.NotBuilt):
    ui.unavailable(flags, "Anomaly flags", TODO)
elif flags.empty:
    st.success(
        "No flags in this period: every marker stayed within its baseline and thresholds.",
        icon=":material/check_circle:",
    )
else:
    kinds = sorted(flags["kind"].unique())
    fig = make_subplots()
    for severity, color in SEVERITY_COLORS.items():
        shown = flags[flags["severity"] == severity]
        if shown.empty:
            continue
        fig.add_scatter(
            x=shown["date"],
            y=shown["kind"],
            mode="markers",
            name=severity,
            marker={"color": color, "size": 11, "symbol": "square"},
            customdata=shown[["explanation"]].to_numpy(),
            hovertemplate="%{customdata[0]}<extra></extra>",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=kinds)
    fig.update_layout(title_text="Flags by day and kind")
    ui.chart(ui.style(fig, height=140 + 36 * len(kinds), x="Local date"), "alerts")
    picked_kinds = st.multiselect("Kinds", kinds, default=kinds, key="alert_kinds")
    table = flags[flags["kind"].isin(picked_kinds)].sort_values(["date", "kind"], ascending=[False, True])
    st.dataframe(
        table.rename(
            columns={
                "date": "Date",
                "kind": "Kind",
                "severity": "Severity",
                "value": "Value",
                "threshold": "Threshold",
                "baseline": "Baseline",
                "unit": "Unit",
                "evidence": "Evidence",
                "explanation": "Explanation",
            }
        ),
        hide_index=True,
        key="alert_table",
        column_config={"Explanation": st.column_config.TextColumn(width="large")},
    )
