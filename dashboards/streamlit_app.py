"""OpenFit dashboards: `streamlit run dashboards/streamlit_app.py` (what `openfit serve` starts).

The entry file owns the page list and the sidebar pickers shared by every page; the pages live in app_pages/
and read only through dashboards.data (cached calls into the shared query layer).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts only this folder on sys.path; the project packages live one level up.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

import openfit  # noqa: E402,F401  (telemetry off before anything else)
from dashboards import data, ui  # noqa: E402

PAGES = Path(__file__).resolve().parent / "app_pages"

# No page_icon: a Material icon as favicon is fetched from fonts.gstatic.com, and the dashboards run offline.
st.set_page_config(page_title="OpenFit", layout="wide")

navigation = st.navigation(
    {
        "Training": [
            st.Page(
                PAGES / "fitness.py", title="Fitness & form", icon=":material/trending_up:", default=True
            ),
            st.Page(PAGES / "activities.py", title="Activities", icon=":material/directions_run:"),
            st.Page(PAGES / "power_pace.py", title="Power & pace", icon=":material/bolt:"),
        ],
        "Recovery": [
            st.Page(PAGES / "sleep.py", title="Sleep & recovery", icon=":material/bedtime:"),
            st.Page(PAGES / "readiness.py", title="Readiness & alerts", icon=":material/monitor_heart:"),
        ],
        "Analysis": [
            st.Page(PAGES / "cross_device.py", title="Cross-device", icon=":material/devices:"),
            st.Page(PAGES / "correlations.py", title="Correlations", icon=":material/scatter_plot:"),
            st.Page(PAGES / "data_health.py", title="Data health", icon=":material/health_and_safety:"),
        ],
    }
)

if data.snapshot_key() is None:
    st.title(navigation.title)
    st.warning(
        "No published snapshot yet. Run `openfit build` (or `make demo`) to build the synthetic cohort and "
        "publish it; this page refreshes on its own data once the snapshot exists.",
        icon=":material/database:",
    )
    ui.build_progress()
    st.stop()

with st.sidebar:
    ui.build_progress()

data.warm_imports()
ui.sidebar_pickers()
navigation.run()
