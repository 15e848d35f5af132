"""Power & pace: mean-maximal power and pace curves per window against all-time bests, CP/W'/eFTP over time,
personal records."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboards import data, ui

C = ui.OKABE_ITO
ALL_TIME = ("all-time", "all_time", "alltime", "all")
DURATION_TICKS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 18000]


def _duration_label(s: float) -> str:
    s = int(s)
    return f"{s // 3600} h" if s >= 3600 and s % 3600 == 0 else (f"{s // 60} min" if s >= 60 else f"{s} s")


def _record_text(value: float | None, unit: str | None) -> str:
    """A record in its natural unit: times as h:mm:ss, distances in km, power in W."""
    if value is None or value != value:
        return "–"
    if unit == "s":
        return ui.hms(value)
    if unit == "m":
        return f"{value / 1000:.2f} km"
    return f"{value:,.0f} {unit or ''}".strip()


def _windows(curve) -> tuple[list[str], str | None]:
    names = list(dict.fromkeys(curve["window"].dropna()))
    best = next((w for w in names if w.lower() in ALL_TIME), None)
    return [w for w in names if w != best], best


st.title("Power & pace")
picked = ui.selection()
if picked is None:
    st.stop()
athlete, start, end = picked

st.subheader("Mean-maximal power")
power = data.power_curve(athlete)
if not ui.unavailable(
    power,
    "Power curve",
    "No power data yet: import FIT files with power or connect a power "
    "source (then `openfit build` fills `marts.power_curve`).",
):
    others, best = _windows(power)
    chosen = st.multiselect("Windows", others, default=others[:1], key="power_windows") if others else []
    fig = go.Figure()
    if best:
        b = power[power["window"] == best]
        fig.add_scatter(
            x=b["duration_s"],
            y=b["watts"],
            name=f"{best} best",
            line={"color": C["grey"], "width": 3},
            customdata=b[["date"]].astype(str),
            hovertemplate="%{y:.0f} W (%{customdata[0]})",
        )
    for color, window in zip(ui.COLORWAY, chosen, strict=False):
        w = power[power["window"] == window]
        fig.add_scatter(
            x=w["duration_s"],
            y=w["watts"],
            name=window,
            line={"color": color, "width": 2},
            customdata=w[["date"]].astype(str),
            hovertemplate="%{y:.0f} W (%{customdata[0]})",
        )
    fig.update_xaxes(
        type="log", tickvals=DURATION_TICKS, ticktext=[_duration_label(t) for t in DURATION_TICKS]
    )
    fig.update_layout(title_text="Best average power for each duration", hovermode="closest")
    ui.chart(ui.style(fig, y="Power (W)", x="Duration (log scale)", height=420), "power_curve")

left, right = st.columns(2)
with left:
    st.subheader("Pace curve (runs)")
    pace = data.pace_curve(athlete)
    if not ui.unavailable(
        pace,
        "Pace curve",
        "No running pace yet: import runs with GPS or speed (then `openfit build` fills `marts.pace_curve`).",
    ):
        x = "distance_m" if "distance_m" in pace else "duration_s"
        others, best = _windows(pace)
        chosen = st.multiselect("Windows", others, default=others[:1], key="pace_windows") if others else []
        fig = go.Figure()
        for color, window in zip([C["grey"], *ui.COLORWAY], ([best] if best else []) + chosen, strict=False):
            w = pace[pace["window"] == window]
            fig.add_scatter(
                x=w[x] / (1000 if x == "distance_m" else 60),
                y=w["pace_s_per_km"] / 60,
                name=window,
                line={"color": color, "width": 3 if window == best else 2},
                mode="lines+markers",
                hovertemplate="%{y:.2f} min/km",
            )
        if x == "distance_m":
            fig.update_xaxes(
                type="log",
                tickvals=[0.4, 1, 1.609, 3, 5, 10, 21.0975, 42.195],
                ticktext=["400 m", "1 km", "1 mi", "3 km", "5 km", "10 km", "HM", "M"],
            )
        else:
            fig.update_xaxes(type="log")
        fig.update_yaxes(autorange="reversed")
        fig.update_layout(title_text="Best pace for each distance", hovermode="closest")
        ui.chart(
            ui.style(
                fig,
                y="Pace (min/km, faster up)",
                x="Distance (km, log)" if x == "distance_m" else "Duration (min, log)",
            ),
            "pace_curve",
        )
with right:
    st.subheader("Fitness estimates")
    est = data.fitness_estimates(athlete, start, end)
    if not ui.unavailable(
        est,
        "Fitness estimates",
        "CP, W' and eFTP are fitted from the power curve by "
        "`openfit build` (`marts.fitness_estimates`); they need rides with power.",
    ):
        fig = go.Figure()
        for col, label, color in (("eftp_w", "eFTP (W)", C["orange"]), ("cp_w", "CP (W)", C["blue"])):
            if est[col].notna().any():
                fig.add_scatter(x=est["date"], y=est[col], name=label, line={"color": color})
        if est["w_prime_j"].notna().any():
            fig.add_scatter(
                x=est["date"],
                y=est["w_prime_j"] / 1000,
                name="W′ (kJ)",
                yaxis="y2",
                line={"color": C["green"], "dash": "dot"},
            )
            fig.update_layout(
                yaxis2={"overlaying": "y", "side": "right", "title": "W′ (kJ)", "showgrid": False}
            )
        fig.update_layout(title_text="CP, W′ and eFTP over time")
        ui.chart(ui.style(fig, y="Power (W)"), "estimates")
        if est["method"].notna().any():
            st.caption(f"Method: {est['method'].dropna().iloc[-1]}")
        vo2 = est.dropna(subset=["vdot"]) if est["vdot"].notna().any() else None
        if vo2 is not None and not vo2.empty:
            st.caption(
                f"Latest VDOT {vo2['vdot'].iloc[-1]:.1f}"
                + (f", VO₂max {vo2['vo2max'].iloc[-1]:.1f} ml/kg/min" if vo2["vo2max"].notna().any() else "")
            )

st.subheader("Personal records")
records = data.personal_records(athlete)
if not ui.unavailable(
    records,
    "Personal records",
    "Records are computed across every source by `openfit build` (`marts.personal_records`).",
):
    if {"value", "unit"} <= set(records.columns):
        records.insert(
            records.columns.get_loc("value"),
            "record",
            [_record_text(v, u) for v, u in zip(records["value"], records["unit"], strict=True)],
        )
    st.dataframe(records, hide_index=True, key="records")
