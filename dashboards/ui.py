"""Shared page furniture: the athlete and date-range pickers, empty states, the palette and chart styling."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import streamlit as st

from dashboards import data

# Okabe & Ito (2008) colour-blind-safe palette; black is swapped for grey so it reads on the dark theme too.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
COLORWAY = list(OKABE_ITO.values())
SOURCE_COLORS: dict[str, str] = {}

PERIODS = {"Last 6 weeks": 42, "Last 90 days": 90, "Last 12 months": 365, "Everything": None, "Custom": -1}


def source_color(source: str) -> str:
    """A stable palette colour per data source, so a source looks the same on every page."""
    if source not in SOURCE_COLORS:
        SOURCE_COLORS[source] = COLORWAY[len(SOURCE_COLORS) % len(COLORWAY)]
    return SOURCE_COLORS[source]


def sidebar_pickers() -> None:
    """Athlete and period pickers in the sidebar; their values live in st.session_state for every page."""
    athletes = data.athletes()
    if isinstance(athletes, data.NotBuilt) or not athletes:
        st.session_state["athlete_id"] = None
        return
    names = {a["athlete_id"]: a["display_name"] or a["athlete_id"] for a in athletes}
    ids = list(names)
    if st.session_state.get("athlete_id") not in names:
        # A link may name the athlete (?athlete=<id>); otherwise the first one.
        linked = st.query_params.get("athlete")
        st.session_state["athlete_id"] = linked if linked in names else ids[0]
    st.sidebar.selectbox("Athlete", ids, format_func=lambda i: f"{names[i]} ({i})", key="athlete_id")
    st.sidebar.selectbox("Period", list(PERIODS), index=1, key="period")
    bounds = data.athlete_date_bounds(st.session_state["athlete_id"])
    if isinstance(bounds, data.NotBuilt) or bounds is None:
        lo = hi = date.today()
    else:
        lo, hi = bounds
    days = PERIODS[st.session_state["period"]]
    if days == -1:
        current = st.session_state.get("custom_range")
        if not (
            isinstance(current, tuple | list) and len(current) == 2 and lo <= current[0] <= current[1] <= hi
        ):
            # Another athlete's range may lie outside this one's data: start again from the last 90 days.
            st.session_state.pop("custom_range", None)
            current = (max(lo, hi - timedelta(days=89)), hi)
        picked = st.sidebar.date_input(
            "From – to", value=tuple(current), min_value=lo, max_value=hi, key="custom_range"
        )
        start, end = (picked[0], picked[-1]) if isinstance(picked, tuple | list) and picked else (lo, hi)
    elif days is None:
        start, end = lo, hi
    else:
        start, end = max(lo, hi - timedelta(days=days - 1)), hi
    st.session_state["date_range"] = (start, end)
    st.sidebar.caption(f"{start:%d %b %Y} – {end:%d %b %Y} (latest data {hi:%d %b %Y})")


def selection() -> tuple[str, date, date] | None:
    """(athlete_id, start, end) from the sidebar, or None (after saying why) when there is no athlete."""
    athlete = st.session_state.get("athlete_id")
    if not athlete:
        st.info(
            "No athletes in the snapshot yet. Run `openfit build` (or `make demo`) to load the synthetic "
            "cohort, or import files with `openfit import`."
        )
        return None
    start, end = st.session_state.get("date_range", (date.today() - timedelta(days=89), date.today()))
    return athlete, start, end


def unavailable(result: object, what: str, todo: str) -> bool:
    """Show an empty state and return True when `result` is NotBuilt or empty; False when there is data."""
    if isinstance(result, data.NotBuilt):
        st.info(
            f"**{what}: not built yet.** {todo}\n\n_{result.message}._", icon=":material/hourglass_empty:"
        )
        return True
    if result is None or getattr(result, "empty", False) or (isinstance(result, list | dict) and not result):
        st.info(
            f"**{what}: nothing in this period.** Widen the period in the sidebar or pick another athlete. "
            f"{todo}",
            icon=":material/info:",
        )
        return True
    return False


def style(fig: go.Figure, *, y: str | None = None, x: str | None = None, height: int = 380) -> go.Figure:
    """Common layout: palette, axis titles with units, legend on top, compact margins, unified hover."""
    fig.update_layout(
        colorway=COLORWAY,
        height=height,
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hovermode="x unified",
    )
    # Title pinned to the top of the figure, the legend just above the plot area: they never overlap.
    fig.update_layout(title={"yref": "container", "y": 0.98, "yanchor": "top", "x": 0.01})
    if y is not None:
        fig.layout.yaxis.title.text = y  # the primary axis only; secondary axes keep their own titles
    if x is not None:
        fig.update_xaxes(title_text=x)
    return fig


def chart(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, key=key, config={"displaylogo": False})


def hms(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def pace(seconds_per_km: float | None) -> str:
    return "–" if seconds_per_km is None or seconds_per_km != seconds_per_km else f"{hms(seconds_per_km)} /km"


def build_progress() -> None:
    """A running build (the demo's first snapshot, its history extended in the background, any `openfit build`):
    what it is doing now, refreshed every few seconds while it runs; the app reruns on the new snapshot once it
    is published. Nothing polls while no build runs."""
    from openfit.progress import is_running, read_progress

    st.session_state.setdefault("_snapshot_key_shown", data.snapshot_key())
    if is_running(read_progress(data.get_settings())):
        st.fragment(_build_progress_box, run_every=5)()


def _build_progress_box() -> None:
    from openfit.progress import is_running, read_progress

    if data.snapshot_key() != st.session_state.get("_snapshot_key_shown"):  # published: redraw on it
        st.session_state["_snapshot_key_shown"] = data.snapshot_key()
        st.rerun(scope="app")
    progress = read_progress(data.get_settings())
    if is_running(progress):
        message = f" ({progress['message']})" if progress.get("message") else ""
        st.info(
            f"**{progress['label']}** is running since {progress['started_at'][11:19]} UTC: "
            f"{progress['stage']}{message}. Pages refresh when it publishes.",
            icon=":material/sync:",
        )
