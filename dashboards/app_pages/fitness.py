"""Fitness & form: the performance management chart, ACWR with its risk band, weekly load, monotony, strain."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import data, ui

C = ui.OKABE_ITO
TODO = (
    "Training load comes from `marts.daily_training_load`: run `openfit build` after importing "
    "activities with heart rate or power (or connect a source that provides them)."
)

st.title("Fitness & form")
picked = ui.selection()
if picked is None:
    st.stop()
athlete, start, end = picked

load = data.training_load(athlete, start, end)
if ui.unavailable(load, "Training load", TODO):
    st.stop()

ALGORITHM_LABELS = {
    "pmc_convention": "PMC",
    "pmc_algorithm": "PMC",
    "tsb_alignment": "TSB",
    "tsb_algorithm": "TSB",
    "acwr_method": "ACWR",
    "acwr_algorithm": "ACWR",
    "monotony_sd": "monotony SD",
}
numbers = {"date", "load", "ctl", "atl", "tsb", "ramp_rate", "acwr", "monotony", "strain"}
algorithms = [c for c in load.columns if c not in numbers and load[c].notna().any()]
algo_text = (
    ", ".join(f"{ALGORITHM_LABELS.get(c, c)}: {load[c].dropna().iloc[-1]}" for c in algorithms)
    or "algorithm not recorded"
)
latest = load.dropna(subset=["ctl"]).iloc[-1] if load["ctl"].notna().any() else load.iloc[-1]

cols = st.columns(5)
cols[0].metric("Fitness (CTL)", f"{latest['ctl']:.0f}" if latest["ctl"] == latest["ctl"] else "–")
cols[1].metric("Fatigue (ATL)", f"{latest['atl']:.0f}" if latest["atl"] == latest["atl"] else "–")
cols[2].metric("Form (TSB)", f"{latest['tsb']:+.0f}" if latest["tsb"] == latest["tsb"] else "–")
cols[3].metric(
    "Ramp rate", f"{latest['ramp_rate']:+.1f} /wk" if latest["ramp_rate"] == latest["ramp_rate"] else "–"
)
cols[4].metric("ACWR", f"{latest['acwr']:.2f}" if latest["acwr"] == latest["acwr"] else "–")

# Performance management chart: daily load bars behind CTL/ATL, TSB below with the usual form bands.
pmc = make_subplots(
    rows=2,
    cols=1,
    shared_xaxes=True,
    row_heights=[0.62, 0.38],
    vertical_spacing=0.05,
    specs=[[{"secondary_y": True}], [{}]],
)
pmc.add_bar(
    x=load["date"],
    y=load["load"],
    name="Daily load",
    marker_color=C["grey"],
    opacity=0.45,
    row=1,
    col=1,
    secondary_y=True,
)
pmc.add_scatter(
    x=load["date"], y=load["ctl"], name="Fitness (CTL)", line={"color": C["blue"], "width": 3}, row=1, col=1
)
pmc.add_scatter(
    x=load["date"], y=load["atl"], name="Fatigue (ATL)", line={"color": C["purple"], "width": 2}, row=1, col=1
)
# Form bands (Coggan/TrainingPeaks convention): > +25 transition, +5..+25 fresh, -10..+5 grey zone,
# -30..-10 optimal training, < -30 high risk.
for lo, hi, color, label in (
    (25, 60, C["yellow"], "transition"),
    (5, 25, C["sky"], "fresh"),
    (-10, 5, C["grey"], "grey zone"),
    (-30, -10, C["green"], "optimal"),
    (-80, -30, C["vermillion"], "high risk"),
):
    pmc.add_hrect(
        y0=lo,
        y1=hi,
        fillcolor=color,
        opacity=0.12,
        line_width=0,
        row=2,
        col=1,
        exclude_empty_subplots=False,
        annotation_text=label,
        annotation_position="right",
        annotation_font_size=10,
    )
pmc.add_scatter(
    x=load["date"], y=load["tsb"], name="Form (TSB)", line={"color": C["orange"], "width": 2}, row=2, col=1
)
tsb = load["tsb"].dropna()
if not tsb.empty:
    pmc.update_yaxes(range=[min(-40.0, tsb.min() - 5), max(30.0, tsb.max() + 5)], row=2, col=1)
pmc.update_yaxes(title_text="CTL / ATL (load/day)", row=1, col=1, secondary_y=False)
pmc.update_yaxes(title_text="Daily load", row=1, col=1, secondary_y=True, showgrid=False)
pmc.update_yaxes(title_text="TSB", row=2, col=1)
pmc.update_layout(title_text=f"Performance management chart ({algo_text})")
ui.chart(ui.style(pmc, height=560), "pmc")

left, right = st.columns(2)
with left:
    acwr = go.Figure()
    acwr.add_hrect(
        y0=0.8,
        y1=1.3,
        fillcolor=C["green"],
        opacity=0.15,
        line_width=0,
        annotation_text="sweet spot 0.8–1.3",
        annotation_position="top left",
    )
    acwr.add_hrect(
        y0=1.5,
        y1=max(2.0, float(load["acwr"].max() or 0) + 0.1),
        fillcolor=C["vermillion"],
        opacity=0.12,
        line_width=0,
        annotation_text="high risk > 1.5",
        annotation_position="top left",
    )
    acwr.add_scatter(x=load["date"], y=load["acwr"], name="ACWR", line={"color": C["blue"], "width": 2})
    acwr.add_scatter(
        x=load["date"],
        y=load["ramp_rate"],
        name="Ramp rate (CTL/week)",
        yaxis="y2",
        line={"color": C["orange"], "dash": "dot"},
    )
    acwr.update_layout(
        title_text="Acute:chronic workload ratio and ramp rate",
        yaxis2={"overlaying": "y", "side": "right", "title": "Ramp rate (CTL/week)", "showgrid": False},
    )
    ui.chart(ui.style(acwr, y="ACWR (acute ÷ chronic)"), "acwr")
with right:
    weekly = data.weekly_load(athlete, start, end)
    if not ui.unavailable(weekly, "Weekly load", TODO):
        wk = make_subplots(specs=[[{"secondary_y": True}]])
        wk.add_bar(x=weekly["week"], y=weekly["load"], name="Weekly load", marker_color=C["sky"])
        wk.add_scatter(x=weekly["week"], y=weekly["strain"], name="Strain", line={"color": C["vermillion"]})
        wk.add_scatter(
            x=weekly["week"],
            y=weekly["monotony"],
            name="Monotony",
            secondary_y=True,
            line={"color": C["green"], "dash": "dash"},
        )
        wk.update_yaxes(title_text="Load / strain", secondary_y=False)
        wk.update_yaxes(title_text="Monotony (mean ÷ SD)", secondary_y=True, showgrid=False)
        wk.update_layout(title_text="Weekly load, monotony and strain (Foster)")
        ui.chart(ui.style(wk, x="Week starting"), "weekly")
