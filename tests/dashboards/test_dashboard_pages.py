"""An AppTest per page: the real app over a real published snapshot (DuckDB file), no exception, the key
elements present, and the widgets driving the queries."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dashboard_helpers import figure, figure_titles, figures, no_exception, table_with, use_home, values
from dashboard_snapshot import build_snapshot

PAGES = {
    # page file: (title, figure titles that must be present)
    "fitness": (
        "Fitness & form",
        ["Performance management chart", "Acute:chronic workload ratio", "Weekly load, monotony and strain"],
    ),
    "activities": ("Activities", ["Streams on a shared time axis", "GPS track", "Time in heart-rate zones"]),
    "power_pace": (
        "Power & pace",
        ["Best average power for each duration", "Best pace for each distance", "CP, W′ and eFTP over time"],
    ),
    "sleep": (
        "Sleep & recovery",
        [
            "Sleep stages and score",
            "Daily values against rolling baselines",
            "Daily load and recovery markers",
        ],
    ),
    "readiness": (
        "Readiness & alerts",
        ["Readiness score", "against their baseline bands", "Flags by day and kind"],
    ),
    "cross_device": ("Cross-device", ["by source", "Deviation from the other sources"]),
    "correlations": ("Correlations", ["Aligned daily series", "Pearson correlation"]),
    "data_health": ("Data health", ["Rows per published table"]),
}


def _snapshot_rows(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{home / 'serving' / 'snapshot.duckdb'}' AS s (READ_ONLY)")
        con.execute("USE s")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_its_charts(open_page, factory_home, page):
    at = open_page(factory_home, page)
    no_exception(at)
    title, wanted = PAGES[page]
    assert [t.value for t in at.title] == [title]
    titles = figure_titles(at)
    for fragment in wanted:
        assert any(fragment in t for t in titles), f"{fragment!r} not among {titles}"
    for fig in figures(at):  # no chart without data
        drawn = [
            v for trace in fig["data"] for axis in ("x", "y", "z") for v in values(trace, axis) if v == v
        ]
        assert drawn, fig["layout"]["title"]
    # The shared pickers are on every page.
    assert [s.label for s in at.sidebar.selectbox] == ["Athlete", "Period"]


def test_athlete_picker_drives_the_queries(open_page, factory_home):
    at = open_page(factory_home, "fitness")
    first = {m.label: m.value for m in at.metric}
    pmc = figure(at, "Performance management chart")
    at.sidebar.selectbox(key="athlete_id").set_value("ath_002").run()
    no_exception(at)
    second = {m.label: m.value for m in at.metric}
    ctl_expected = _snapshot_rows(
        factory_home,
        "SELECT ctl FROM marts.daily_training_load WHERE athlete_id = 'ath_002' ORDER BY date DESC LIMIT 1",
    )[0][0]
    assert second["Fitness (CTL)"] == f"{ctl_expected:.0f}"
    assert values(figure(at, "Performance management chart")["data"][1], "y") != values(pmc["data"][1], "y")
    assert first != second


def test_period_picker_sets_the_date_range(open_page, factory_home):
    at = open_page(factory_home, "fitness")
    at.sidebar.selectbox(key="period").set_value("Last 6 weeks").run()
    no_exception(at)
    assert len(values(figure(at, "Performance management")["data"][0], "x")) == 42  # one load bar per day
    at.sidebar.selectbox(key="period").set_value("Everything").run()
    assert len(values(figure(at, "Performance management")["data"][0], "x")) == 60


def test_custom_period(open_page, factory_home):
    at = open_page(factory_home, "fitness")
    at.sidebar.selectbox(key="period").set_value("Custom").run()
    at.sidebar.date_input(key="custom_range").set_value((date(2026, 6, 1), date(2026, 6, 10))).run()
    no_exception(at)
    dates = figure(at, "Performance management")["data"][0]["x"]
    assert (len(dates), dates[0][:10], dates[-1][:10]) == (10, "2026-06-01", "2026-06-10")


def test_activity_filters_and_detail(open_page, factory_home):
    at = open_page(factory_home, "activities")
    total = len(at.dataframe[0].value)
    at.multiselect(key="activity_sports").set_value(["run"]).run()
    no_exception(at)
    runs = at.dataframe[0].value
    assert 0 < len(runs) < total and set(runs["Sport"]) == {"run"}
    # A run: pace instead of speed, no power channel, reversed pace axis.
    assert any(m.label == "Avg pace" for m in at.metric)
    streams = figure(at, "Streams")
    names = [t["name"] for t in streams["data"]]
    assert "Pace (min/km)" in names and "Power (W)" not in names
    # Picking another activity changes the detail.
    first_id = at.query_params["activity"]
    at.selectbox(key="activity_pick").select_index(1).run()
    no_exception(at)
    assert at.query_params["activity"] != first_id
    assert at.selectbox(key="activity_pick").value == at.query_params["activity"]
    # Provenance: the channel table names the device behind each channel.
    channels = table_with(at, "Channel")
    assert {"heart_rate", "lat", "speed_mps"} <= set(channels["Channel"])
    assert set(channels["Source"]) == {"garmin"}


def test_ride_detail_lists_merged_recordings(open_page, factory_home):
    at = open_page(factory_home, "activities")
    at.multiselect(key="activity_sports").set_value(["ride"]).run()
    no_exception(at)
    recordings = table_with(at, "recording_id")
    assert set(recordings["source"]) == {"wahoo", "garmin"}
    assert "Power (W)" in [t["name"] for t in figure(at, "Streams")["data"]]
    zones = figure(at, "heart-rate zones")
    seconds = sum(x * 60 for x in values(zones["data"][0], "x"))
    assert seconds > 600  # every ride lasts 45 min or more and has HR throughout
    power_zones = figure(at, "power zones")
    assert "Coggan" in power_zones["layout"]["title"]["text"]
    assert sum(x * 60 for x in values(power_zones["data"][0], "x")) > 600  # power throughout, FTP set


def test_activity_detail_shows_its_data_issues(open_page, factory_home):
    at = open_page(factory_home, "activities")
    at.multiselect(key="activity_sports").set_value(["ride"]).run()
    no_exception(at)
    issues = table_with(at, "Issue")
    assert list(issues["Issue"]) == ["power spike"] and list(issues["Severity"]) == ["high"]
    assert (issues["From"][0], issues["Samples"][0]) == ("10:00", 2)
    assert any("1 sensor fault found" in m.value for m in at.markdown)
    at.multiselect(key="activity_sports").set_value(["run"]).run()
    no_exception(at)
    assert any("No sensor faults" in s.value for s in at.success)
    assert not any("Issue" in df.value.columns for df in at.dataframe)


def test_power_windows_drive_the_curve(open_page, factory_home):
    at = open_page(factory_home, "power_pace")
    assert len(figure(at, "Best average power")["data"]) == 2  # all-time best + the default window
    at.multiselect(key="power_windows").set_value(["42-day", "90-day"]).run()
    no_exception(at)
    assert [t["name"] for t in figure(at, "Best average power")["data"]] == [
        "all-time best",
        "42-day",
        "90-day",
    ]
    assert len(table_with(at, "record_type")) > 0


def test_sleep_source_picker(open_page, factory_home):
    at = open_page(factory_home, "sleep")
    picker = at.selectbox(key="sleep_source")
    assert picker.options == ["Garmin Forerunner 965 (garmin)", "Oura Ring Gen3 (oura)"]
    picker.set_value("Oura Ring Gen3 (oura)").run()
    no_exception(at)
    assert figure(at, "Sleep stages and score (Oura Ring Gen3 (oura))")


def test_readiness_page_explains_score_bands_and_flags(open_page, factory_home):
    at = open_page(factory_home, "readiness")
    no_exception(at)
    at.sidebar.selectbox(key="period").set_value("Everything").run()
    no_exception(at)
    latest_date, latest_score = _snapshot_rows(
        factory_home,
        "SELECT date, score FROM marts.readiness WHERE athlete_id = 'ath_001' AND score IS NOT NULL "
        "ORDER BY date DESC LIMIT 1",
    )[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[f"Readiness on {latest_date}"] == f"{latest_score:.0f}"
    # The component table: every component with its input, score and weight; the weights are the mart's.
    components = table_with(at, "Weight")
    assert list(components["Component"]) == ["HRV", "Resting HR", "Sleep", "Form (TSB)", "ACWR"]
    assert components["Weight"].sum() == pytest.approx(1.0)
    # The stacked contributions add up to the score on every scored day.
    fig = figure(at, "Readiness score")
    score = values(fig["data"][0], "y")
    parts = zip(*(values(t, "y") for t in fig["data"][1:]), strict=True)
    stacked = [sum(v for v in day if v == v) for day in parts]
    assert [round(t, 6) for t, s in zip(stacked, score, strict=True) if s == s] == [
        round(s, 6) for s in score if s == s
    ]
    # Baseline bands: resting HR, the 7-day ln RMSSD against its SWC band, sleep against need.
    names = [t.get("name") for t in figure(at, "baseline bands")["data"]]
    assert {"ln RMSSD 7-day mean", "ln RMSSD: 60-day mean ± 0.5 SD (SWC)", "Resting HR (bpm)"} <= set(names)
    # Flags: the injected illness at the end of the period, with its evidence and explanation.
    flags = table_with(at, "Explanation")
    ill = flags[flags["Kind"] == "illness_or_overreaching"]
    assert len(ill) > 0 and all("resting HR up" in e and "HRV down" in e for e in ill["Evidence"])
    assert all("Two days in a row" in e for e in ill["Explanation"])
    at.multiselect(key="alert_kinds").set_value(["resting_hr_elevated"]).run()
    assert set(table_with(at, "Explanation")["Kind"]) == {"resting_hr_elevated"}


def test_cross_device_metric_picker(open_page, factory_home):
    at = open_page(factory_home, "cross_device")
    at.selectbox(key="cross_metric").set_value("hrv_rmssd_ms").run()
    no_exception(at)
    fig = figure(at, "HRV rMSSD (ms) by source")
    # marts.cross_device_daily names the device: one line per device, the days it was chosen starred (the ring).
    assert {t["name"] for t in fig["data"]} == {
        "Oura Ring Gen3 (oura)",
        "Garmin Forerunner 965 (garmin)",
        "Oura Ring Gen3 (oura) (chosen)",
    }
    summary = table_with(at, "Days chosen").set_index("Source")
    assert summary.loc["Garmin Forerunner 965 (garmin)", "Days chosen"] == 0
    assert summary.loc["Oura Ring Gen3 (oura)", "Days chosen"] == summary.loc["Oura Ring Gen3 (oura)", "Days"]
    assert (summary["Mean |deviation| (%)"] >= 0).all()


def test_cross_device_without_the_mart_compares_devices(open_page, no_marts_home):
    at = open_page(no_marts_home, "cross_device")
    no_exception(at)
    assert at.selectbox(key="cross_metric").options == [
        "Resting HR (bpm)",
        "HRV rMSSD (ms)",
        "Sleep (h)",
        "Sleep score",
    ]
    fig = figure(at, "by source")
    assert {t["name"] for t in fig["data"]} == {"Oura Ring Gen3 (oura)", "Garmin Forerunner 965 (garmin)"}


def test_correlation_lag_shifts_the_series(open_page, factory_home):
    at = open_page(factory_home, "correlations")
    at.number_input(key="corr_lag").set_value(3).run()
    no_exception(at)
    names = [t["name"] for t in figure(at, "Aligned daily series")["data"]]
    assert any("shifted +3 d" in n for n in names)
    matrix = figure(at, "Pearson correlation")["data"][0]
    assert len(values(matrix, "z")) == len(names)


def test_data_health_shows_every_published_table(open_page, factory_home):
    at = open_page(factory_home, "data_health")
    no_exception(at)
    bars = figure(at, "Rows per published table")["data"][0]
    published = _snapshot_rows(factory_home, "SELECT table_name FROM meta.table_rows")
    assert sorted(values(bars, "y")) == sorted(r[0] for r in published)
    assert {"garmin", "wahoo", "oura"} <= set(table_with(at, "Newest record")["Source"])


def test_data_health_lists_quarantined_files_and_failed_checks(open_page, tmp_path):
    home = tmp_path / "home"
    build_snapshot(home / "serving" / "snapshot.duckdb", athletes=1, days=10, with_import_log=True)
    at = open_page(home, "data_health")
    no_exception(at)
    quarantine = table_with(at, "original_name")
    assert sorted(quarantine["original_name"]) == ["broken.fit", "short.gpx"]  # not the imported one
    assert "file CRC mismatch" in set(quarantine["reason"])
    checks = table_with(at, "check_name")
    assert list(checks["check_name"]) == ["end_time after start_time"]


def test_data_health_names_withheld_athletes(open_page, factory_home, tmp_path):
    at = open_page(factory_home, "data_health")
    assert not [e for e in at.error if "Withheld" in e.value]  # nobody withheld: no banner
    home = tmp_path / "home"
    snapshot = home / "serving" / "snapshot.duckdb"
    build_snapshot(snapshot, athletes=1, days=10)
    with duckdb.connect(str(snapshot)) as con:
        con.execute(
            "create table meta.withheld as select 'ath-7' as athlete_id, "
            "'test.openfit.not_in_future_activities_start_time.1a' as test, 12::bigint as failing_rows, "
            "now() as recorded_at"
        )
    at = open_page(home, "data_health")
    no_exception(at)
    assert any("Withheld from this snapshot: ath-7" in e.value for e in at.error)
    withheld = table_with(at, "Failing test")
    assert list(withheld["Athlete"]) == ["ath-7"] and list(withheld["Failing rows"]) == [12]


@pytest.mark.parametrize("page", ["fitness", "power_pace", "readiness"])
def test_missing_marts_give_an_empty_state(open_page, no_marts_home, page):
    at = open_page(no_marts_home, page)
    no_exception(at)
    text = " ".join(i.value for i in at.info)
    assert "not built yet" in text and "openfit build" in text


@pytest.mark.parametrize("page", ["activities", "sleep", "cross_device", "correlations", "data_health"])
def test_pages_work_from_the_openfit_schema_alone(open_page, no_marts_home, page):
    at = open_page(no_marts_home, page)
    no_exception(at)
    assert figures(at), [i.value for i in at.info]


def test_no_snapshot_says_what_to_do(open_page, tmp_path):
    at = open_page(tmp_path, "fitness")
    no_exception(at)
    assert "openfit build" in at.warning[0].value


def test_a_new_publish_invalidates_the_cache(open_page, tmp_path, monkeypatch):
    home = tmp_path / "home"
    build_snapshot(home / "serving" / "snapshot.duckdb", athletes=2, days=20)
    at = open_page(home, "data_health")
    assert len(at.sidebar.selectbox(key="athlete_id").options) == 2
    build_snapshot(
        home / "serving" / "snapshot.duckdb", athletes=4, days=20
    )  # atomic replace, as publish does
    use_home(monkeypatch, home)
    at.run()
    no_exception(at)
    assert len(at.sidebar.selectbox(key="athlete_id").options) == 4


def test_pages_contain_no_sql():
    pages = Path(__file__).resolve().parents[2] / "dashboards" / "app_pages"
    for path in pages.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"\b(SELECT|FROM\s+openfit|duckdb)\b", text), (
            f"{path.name} talks to the database"
        )
