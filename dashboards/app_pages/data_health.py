"""Data health: snapshot age and last build, rows per table and source, freshness, quarantined files,
failed quality checks."""

from __future__ import annotations

from datetime import UTC, datetime

import plotly.graph_objects as go
import streamlit as st

from dashboards import data, ui

C = ui.OKABE_ITO

st.title("Data health")
info = data.build_info()
age = info.get("snapshot_age_s")
if info.get("built_at"):
    age = (datetime.now(UTC) - info["built_at"]).total_seconds()
c = st.columns(4)
c[0].metric(
    "Snapshot age",
    ui.hms(age)
    if age is not None and age < 86400
    else (f"{age / 86400:.1f} days" if age is not None else "–"),
)
c[1].metric("Last build", f"{info['built_at']:%Y-%m-%d %H:%M} UTC" if info.get("built_at") else "–")
c[2].metric("Build status", info.get("build_status") or "–")
c[3].metric("Run", (info.get("run_id") or "–")[:18])
settings = data.build_settings()
if info.get("settings_hash"):
    with st.expander(f"Built with settings {info['settings_hash']}"):
        st.caption("The settings that shape the data (`openfit config show` lists this home's current ones).")
        if isinstance(settings, dict):
            st.json(settings, expanded=True)
if info.get("status") != "ok":
    st.warning(
        "The last build did not finish successfully: readers still see the previous good snapshot. "
        "Check the run in the Dagster UI (http://127.0.0.1:3000)."
    )

withheld = data.withheld_athletes()
if not withheld.empty:
    st.error(
        f"Withheld from this snapshot: {', '.join(sorted(set(withheld['athlete_id'])))}. A blocking test "
        "failed for their rows, so they show what was last published; everyone else's data is current. "
        "Fix or remove the offending input and build again.",
        icon=":material/block:",
    )
    st.dataframe(
        withheld.rename(
            columns={"athlete_id": "Athlete", "test": "Failing test", "failing_rows": "Failing rows"}
        ),
        hide_index=True,
        key="withheld",
    )

rows = data.table_rows()
if not ui.unavailable(rows, "Rows per table", "Run `openfit build` to publish a snapshot."):
    rows = rows.sort_values("row_count")
    fig = go.Figure(
        go.Bar(
            x=rows["row_count"],
            y=rows["table_name"],
            orientation="h",
            marker_color=[C["blue"] if t.startswith("openfit.") else C["orange"] for t in rows["table_name"]],
            text=rows["row_count"],
            textposition="auto",
        )
    )
    fig.update_xaxes(type="log")
    fig.update_layout(
        title_text="Rows per published table (blue: OpenFit schema, orange: marts)", hovermode="closest"
    )
    ui.chart(ui.style(fig, x="Rows (log scale)", height=max(300, 24 * len(rows) + 80)), "table_rows")

st.subheader("Freshness per source")
fresh = data.source_freshness()
if not ui.unavailable(fresh, "Source freshness", "Freshness is recorded at publish time by `openfit build`."):
    shown = fresh.rename(
        columns={
            "source": "Source",
            "table_name": "Table",
            "row_count": "Rows",
            "newest_record": "Newest record",
            "age_h": "Age at build (h)",
        }
    )
    shown["Age at build (h)"] = shown["Age at build (h)"].round(1)
    st.dataframe(shown, hide_index=True, key="freshness")
    by_source = fresh.groupby("source")["row_count"].sum().reset_index()
    st.caption("Rows per source: " + ", ".join(f"{r.source} {r.row_count:,}" for r in by_source.itertuples()))

left, right = st.columns(2)
with left:
    st.subheader("Quarantined files")
    quarantined = data.quarantined_files()
    if isinstance(quarantined, data.NotBuilt):
        st.info(
            "The file-import log is not in this snapshot yet: it appears after the first `openfit import` "
            "of FIT/GPX/TCX files.",
            icon=":material/hourglass_empty:",
        )
    elif quarantined.empty:
        st.success("No quarantined or partial files.")
    else:
        st.dataframe(quarantined, hide_index=True, key="quarantine")
with right:
    st.subheader("Failed quality checks")
    checks = data.failed_checks()
    if isinstance(checks, data.NotBuilt):
        st.info(
            "No data-quality results are published in this snapshot yet; the checks run as Dagster asset "
            "checks (see the Dagster UI).",
            icon=":material/hourglass_empty:",
        )
    elif checks.empty:
        st.success("Every quality check passed.")
    else:
        st.dataframe(checks, hide_index=True, key="checks")
