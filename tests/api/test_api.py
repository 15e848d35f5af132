"""The REST API over the factory snapshot: answers, auth, isolation, errors, headers, limits."""

from __future__ import annotations

import numpy as np
import pytest
from api_testkit import make_keys, use_home
from fastapi.testclient import TestClient

from api.app import create_app

PER_ID_PATHS = [
    "/v1/activities/{activity}",
    "/v1/activities/{activity}/streams",
    "/v1/activities/{activity}/original",
    "/v1/sleep/{sleep}",
]


def get(client, keys, url, key="ath_1", **params):
    return client.get(url, headers=keys.auth(getattr(keys, key)), params=params)


# ------------------------------------------------------------------------------------------------ auth


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer of_nope_nope"},
        {"Authorization": "Bearer x"},
    ],
)
def test_v1_needs_a_valid_key(client, headers):
    response = client.get("/v1/athletes", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused(client, keys):
    response = get(client, keys, "/v1/athletes", key="revoked")
    assert response.status_code == 401
    assert keys.revoked not in response.text


def test_a_key_sees_only_its_athletes(client, keys):
    assert [a["athlete_id"] for a in get(client, keys, "/v1/athletes").json()] == ["ath_1"]
    assert [a["athlete_id"] for a in get(client, keys, "/v1/athletes", key="ath_2").json()] == ["ath_2"]
    assert [a["athlete_id"] for a in get(client, keys, "/v1/athletes", key="admin").json()] == [
        "ath_1",
        "ath_2",
    ]


@pytest.mark.parametrize("template", PER_ID_PATHS)
def test_another_athletes_things_are_404_like_missing_ones(client, keys, template):
    other = get(client, keys, template.format(activity="act_2_3", sleep="sleep_2_3"))
    missing = get(client, keys, template.format(activity="act_9_9", sleep="sleep_9_9"))
    assert other.status_code == missing.status_code == 404
    assert other.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    own = get(client, keys, template.format(activity="act_1_3", sleep="sleep_1_3"))
    # "original" is 404 for everyone here: the factory snapshot stores no original files.
    assert own.status_code == (404 if template.endswith("original") else 200)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/activities",
        "/v1/sleep",
        "/v1/wellness",
        "/v1/wellness/by-source",
        "/v1/metrics/vo2max",
        "/v1/analytics/trends",
    ],
)
def test_asking_for_another_athlete_by_id_is_404(client, keys, url):
    response = get(client, keys, url, athlete_id="ath_2")
    assert response.status_code == 404
    assert "ath_2" not in str(response.json()["error"]["details"])


def test_lists_never_include_other_athletes(client, keys):
    for url in ["/v1/activities", "/v1/sleep", "/v1/wellness", "/v1/wellness/by-source"]:
        rows = get(client, keys, url, limit=500).json()
        rows = rows["items"] if isinstance(rows, dict) else rows
        assert rows and {r["athlete_id"] for r in rows} == {"ath_1"}


# ------------------------------------------------------------------------------------------------ resources


def test_activity_list_pages_cover_everything_once(client, keys):
    seen, cursor = [], None
    while True:
        page = get(client, keys, "/v1/activities", limit=7, **({"cursor": cursor} if cursor else {})).json()
        seen += [(a["start_time"], a["activity_id"]) for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 30
    assert seen == sorted(seen, reverse=True)


def test_activity_filters(client, keys):
    cycling = get(client, keys, "/v1/activities", sport="cycling", limit=100).json()["items"]
    assert len(cycling) == 10 and {a["sport"] for a in cycling} == {"cycling"}
    june_last_week = get(client, keys, "/v1/activities", **{"from": "2026-06-24", "to": "2026-06-30"}).json()
    assert sorted(a["local_date"] for a in june_last_week["items"]) == [f"2026-06-{d}" for d in range(24, 31)]
    strava = get(client, keys, "/v1/activities", source="strava", limit=100).json()["items"]
    assert {a["recording_count"] for a in strava} == {2} and len(strava) == 10


def test_activity_detail_has_recordings_laps_and_iso_times(client, keys):
    body = get(client, keys, "/v1/activities/act_1_3").json()
    assert body["start_time"].endswith("Z")
    assert sorted(r["source"] for r in body["recordings"]) == ["garmin", "strava"]
    assert [lap["lap_index"] for lap in body["laps"]] == [0, 1, 2]
    # per-field provenance from openfit.activities.<field>_source: distance from the second (strava) recording
    assert (body["hr_source"], body["power_source"], body["gps_source"]) == (
        "ath_1_watch",
        "ath_1_watch",
        "ath_1_watch",
    )
    assert body["distance_source"] == "strava:rec_s_1_3"
    assert body["field_sources"] == {
        "hr": "ath_1_watch",
        "power": "ath_1_watch",
        "gps": "ath_1_watch",
        "distance": "strava:rec_s_1_3",
    }
    running = get(client, keys, "/v1/activities/act_1_1").json()  # no power measured: no power source
    assert running["power_source"] is None and "power" not in running["field_sources"]


def test_streams_full_and_downsampled(client, keys):
    full = get(client, keys, "/v1/activities/act_1_3/streams", max_points=10000, channels="heart_rate").json()
    assert full["points"] == full["source_points"] == 600
    assert list(full["channels"]) == ["time", "heart_rate"]
    small = get(
        client, keys, "/v1/activities/act_1_3/streams", max_points=60, channels="heart_rate,power_w"
    ).json()
    assert small["points"] == 60
    # Each bucket averages 10 consecutive samples: the overall mean is unchanged.
    assert np.mean(small["channels"]["heart_rate"]) == pytest.approx(np.mean(full["channels"]["heart_rate"]))
    second = get(
        client, keys, "/v1/activities/act_1_3/streams", recording_id="rec_s_1_3", channels="heart_rate"
    ).json()
    assert second["recording_id"] == "rec_s_1_3" and second["source_points"] == 120
    bad = get(client, keys, "/v1/activities/act_1_3/streams", channels="heart_rate,blood")
    assert bad.status_code == 400 and "blood" in bad.json()["error"]["message"]


def test_sleep_and_wellness(client, keys):
    sessions = get(client, keys, "/v1/sleep", **{"from": "2026-06-28", "to": "2026-06-30"}).json()
    assert [s["local_date"] for s in sessions] == ["2026-06-30", "2026-06-29", "2026-06-28"]
    detail = get(client, keys, f"/v1/sleep/{sessions[0]['sleep_id']}").json()
    assert [s["stage"] for s in detail["stages"]] == ["light", "deep", "rem", "awake"]
    days = get(client, keys, "/v1/wellness", limit=5).json()
    assert len(days) == 5 and days[0]["date"] == "2026-06-30"
    # one row per day: each metric's chosen value with its source (the ring's HRV, the watch's steps)
    rows = get(client, keys, "/v1/wellness/by-source", **{"from": "2026-06-30", "to": "2026-06-30"}).json()
    by_device = {r["device_id"]: r for r in rows}
    assert set(by_device) == {"ath_1_watch", "ath_1_ring"}
    assert days[0]["hrv_rmssd_ms"] == by_device["ath_1_ring"]["hrv_rmssd_ms"]
    assert days[0]["hrv_rmssd_ms_source"] == "ath_1_ring"
    assert days[0]["steps"] == by_device["ath_1_watch"]["steps"] and days[0]["steps_source"] == "ath_1_watch"
    assert "source" not in days[0] and "device_id" not in days[0]
    oura = get(client, keys, "/v1/wellness/by-source", source="oura", limit=500).json()
    assert len(oura) == 30 and {r["source"] for r in oura} == {"oura"}


def test_sources(client, keys):
    sources = {s["source"]: s for s in get(client, keys, "/v1/sources").json()}
    assert set(sources) == {"garmin", "oura", "strava"}
    assert sources["strava"]["rows"] == 10  # only ath_1's strava recordings
    assert sources["garmin"]["status"] == "fresh"


def test_metrics_raw_and_daily(client, keys):
    raw = get(client, keys, "/v1/metrics/vo2max", **{"from": "2026-06-29"}).json()
    assert raw["kind"] == "raw" and raw["unit"] == "ml/kg/min" and len(raw["points"]) == 2
    daily = get(client, keys, "/v1/metrics/resting_hr", **{"from": "2026-06-01", "to": "2026-06-30"}).json()
    assert daily["kind"] == "daily" and len(daily["points"]) == 30
    assert get(client, keys, "/v1/metrics/nonsense").status_code == 404


def test_correlate_matches_numpy(client, keys):
    body = get(
        client,
        keys,
        "/v1/metrics/correlate",
        metrics="resting_hr,hrv,sleep_score",
        **{"from": "2026-06-01", "to": "2026-06-30"},
        normalize="false",
        max_lag_days=2,
    ).json()
    assert len(body["dates"]) == 30
    hr, hrv = np.array(body["series"]["resting_hr"]), np.array(body["series"]["hrv"])
    lag0 = next(
        c for c in body["correlations"] if c["a"] == "resting_hr" and c["b"] == "hrv" and c["lag_days"] == 0
    )
    assert lag0["r"] == pytest.approx(np.corrcoef(hr, hrv)[0, 1], abs=1e-3) == pytest.approx(-1.0, abs=1e-3)
    lag2 = next(
        c for c in body["correlations"] if c["a"] == "resting_hr" and c["b"] == "hrv" and c["lag_days"] == 2
    )
    assert lag2["n"] == 28 and lag2["r"] == pytest.approx(np.corrcoef(hr[:-2], hrv[2:])[0, 1], abs=1e-3)
    normalized = get(
        client,
        keys,
        "/v1/metrics/correlate",
        metrics="resting_hr,hrv",
        **{"from": "2026-06-01", "to": "2026-06-30"},
    ).json()
    assert np.mean(normalized["series"]["hrv"]) == pytest.approx(0, abs=1e-3)
    assert np.std(normalized["series"]["hrv"]) == pytest.approx(1, abs=1e-2)


def test_correlate_defaults_to_the_last_90_days_with_data(client, keys):
    body = get(client, keys, "/v1/metrics/correlate", metrics="resting_hr,hrv").json()
    assert body["dates"][-1] == "2026-06-30" and len(body["dates"]) == 90
    assert sum(v is not None for v in body["series"]["hrv"]) == 30


def test_correlate_needs_marts_for_training_load(client, keys):
    response = get(client, keys, "/v1/metrics/correlate", metrics="hrv,training_load")
    assert response.status_code == 503 and response.json()["error"]["code"] == "not_built_yet"


def test_admin_must_name_the_athlete_for_single_athlete_endpoints(client, keys):
    response = get(client, keys, "/v1/metrics/correlate", key="admin", metrics="hrv,resting_hr")
    assert response.status_code == 400 and "athlete_id" in response.json()["error"]["message"]
    assert (
        get(
            client, keys, "/v1/metrics/correlate", key="admin", metrics="hrv,resting_hr", athlete_id="ath_2"
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "path",
    [
        "training-load",
        "personal-records",
        "power-curve",
        "pace-curve",
        "fitness-estimates",
        "cross-device",
        "daily-summary",
        "anomalies",
        "readiness",
        "race-predictions",
    ],
)
def test_analytics_without_marts_is_503_not_built_yet(client, keys, path):
    response = get(client, keys, f"/v1/analytics/{path}")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_built_yet"
    assert "marts." in response.json()["error"]["message"]


def test_analytics_with_marts(marts_home):
    settings, keys = marts_home
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        load = get(client, keys, "/v1/analytics/training-load", **{"from": "2026-06-29"}).json()
        assert load["table"] == "marts.daily_training_load"
        assert [r["date"] for r in load["rows"]] == ["2026-06-29", "2026-06-30"]
        assert {r["athlete_id"] for r in load["rows"]} == {"ath_1"}
        records = get(client, keys, "/v1/analytics/personal-records", sport="running").json()["rows"]
        assert [r["sport"] for r in records] == ["running"]
        assert len(get(client, keys, "/v1/analytics/power-curve").json()["rows"]) == 10
        curve = get(client, keys, "/v1/analytics/power-curve", window="90d").json()["rows"]
        assert [r["duration_s"] for r in curve] == [1, 5, 60, 300, 1200] and {r["window"] for r in curve} == {
            "90d"
        }
        assert len(get(client, keys, "/v1/analytics/pace-curve").json()["rows"]) == 3
        assert (
            get(client, keys, "/v1/analytics/cross-device", key="ath_2").json()["rows"][0]["athlete_id"]
            == "ath_2"
        )
        summary = get(client, keys, "/v1/analytics/daily-summary", **{"from": "2026-06-30"}).json()
        assert summary["table"] == "marts.daily_athlete_summary"
        [day] = summary["rows"]
        wellness = get(client, keys, "/v1/wellness", **{"from": "2026-06-30"}).json()[0]
        assert (day["athlete_id"], day["date"]) == ("ath_1", "2026-06-30")
        assert (day["resting_hr"], day["hrv_rmssd_ms"]) == (wellness["resting_hr"], wellness["hrv_rmssd_ms"])
        assert day["ctl"] == 40.0 and day["load"] is not None
        corr = get(
            client,
            keys,
            "/v1/metrics/correlate",
            metrics="training_load,hrv",
            **{"from": "2026-06-01", "to": "2026-06-30"},
        ).json()
        assert all(v is not None for v in corr["series"]["training_load"])


def test_cross_device_reads_the_mart_per_metric(marts_home):
    settings, keys = marts_home
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        body = get(
            client,
            keys,
            "/v1/analytics/cross-device",
            metric="hrv_rmssd_ms",
            **{"from": "2026-06-27", "to": "2026-06-27"},
        ).json()
        assert body["table"] == "marts.cross_device_daily"
        rows = {r["device_id"]: r for r in body["rows"]}
        assert set(rows) == {"ath_1_ring", "ath_1_watch"} and {r["metric"] for r in body["rows"]} == {
            "hrv_rmssd_ms"
        }
        assert rows["ath_1_ring"]["chosen"] is True and rows["ath_1_watch"]["chosen"] is False
        # the ring reads 5 ms above the watch: +5 from the other source's mean, and -5 the other way round
        assert rows["ath_1_ring"]["deviation"] == pytest.approx(5.0)
        assert rows["ath_1_watch"]["deviation"] == pytest.approx(-5.0)
        assert rows["ath_1_ring"]["relative_deviation"] == pytest.approx(5.0 / rows["ath_1_watch"]["value"])
        bad = get(client, keys, "/v1/analytics/cross-device", metric="blood_sugar")
        assert bad.status_code == 400 and "blood_sugar" in bad.json()["error"]["message"]
        assert "resting_hr" in bad.json()["error"]["details"]["known"]


def test_trends_weekly_totals(client, keys):
    body = get(client, keys, "/v1/analytics/trends", period="month").json()
    assert [b["period_start"] for b in body["buckets"]] == ["2026-06-01"]
    assert body["buckets"][0]["activities"] == 30


# ------------------------------------------------------------------------------------------------ errors, headers


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        ("/v1/activities", {"from": "yesterday"}, 422),
        ("/v1/activities", {"from": "2026-06-30", "to": "2026-06-01"}, 400),
        ("/v1/activities", {"cursor": "not-a-cursor"}, 400),
        ("/v1/activities", {"limit": 0}, 422),
        ("/v1/activities", {"limit": 100000}, 422),
        ("/v1/metrics/correlate", {"metrics": "hrv"}, 400),
        ("/v1/metrics/correlate", {"metrics": "hrv,resting_hr", "resolution": "hourly"}, 422),
        ("/v1/analytics/trends", {"period": "decade"}, 422),
    ],
)
def test_bad_input_gets_the_error_envelope(client, keys, url, params, status):
    response = get(client, keys, url, **params)
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]


def test_unknown_route_is_an_enveloped_404(client, keys):
    response = get(client, keys, "/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_security_headers_and_closed_cors(client, keys):
    response = client.get("/v1/athletes", headers={**keys.auth(keys.ath_1), "Origin": "https://evil.example"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/v1/athletes", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_rate_limit_per_key(settings, keys):
    with TestClient(create_app(settings, rate_limit_per_minute=60, rate_limit_burst=3)) as client:
        codes = [get(client, keys, "/v1/athletes").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        limited = get(client, keys, "/v1/athletes")
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"
        # Another key has its own bucket.
        assert get(client, keys, "/v1/athletes", key="ath_2").status_code == 200


def test_health_needs_no_key_and_reports_the_build(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["build_status"] == "success" and body["run_id"] == "run-v1"
    counts = {c["table"]: c["rows"] for c in body["row_counts"]}
    assert counts["openfit.activities"] == 60 and counts["openfit.activity_samples"] == 36000 + 20 * 120
    assert body["snapshot_age_s"] > 0


def test_without_a_snapshot_reads_are_503(tmp_path, monkeypatch):
    settings = use_home(monkeypatch, tmp_path / "empty_home")
    keys = make_keys(tmp_path / "empty_home")
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        response = get(client, keys, "/v1/activities")
        assert response.status_code == 503 and response.json()["error"]["code"] == "not_built_yet"
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["snapshot_present"] is False
        assert get(client, keys, "/v1/export").status_code == 503


@pytest.mark.parametrize("template", PER_ID_PATHS)
def test_a_huge_id_is_not_echoed_back(client, keys, template):
    huge = "x" * 60_000  # the test client refuses URLs over 64 KiB
    url = template.replace("{activity}", huge).replace("{sleep}", huge)
    response = get(client, keys, url)
    assert response.status_code in (404, 422)
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert len(response.content) < 2_000


@pytest.mark.parametrize(
    "query", [{"athlete_id": "y" * 5_000}, {"sport": "z" * 5_000}, {"cursor": "c" * 5_000}]
)
def test_long_query_values_are_not_echoed_back(client, keys, query):
    response = get(client, keys, "/v1/activities", **query)
    assert 400 <= response.status_code < 500
    assert len(response.content) < 2_000


def test_query_errors_clip_what_they_echo():
    from query.errors import MAX_ECHO_CHARS, NotFound

    error = NotFound(
        f"activity {'a' * 100_000!r} not found", {"activity_id": "a" * 100_000, "ids": ["b" * 9_999]}
    )
    assert len(error.message) <= 2 * MAX_ECHO_CHARS + 40
    assert len(error.details["activity_id"]) <= MAX_ECHO_CHARS + 40
    assert len(error.details["ids"][0]) <= MAX_ECHO_CHARS + 40


# Dates every step after parsing can compute with, in full: out of range or with anything after them is a 422.
BAD_DATES = [
    ("/v1/activities", "to", "9999-12-31"),
    ("/v1/activities", "from", "0001-01-01T00:00:00+05:00"),
    ("/v1/activities", "to", "9999-12-31T23:59:59-05:00"),
    ("/v1/activities", "from", "2024-01-01garbage"),
    ("/v1/activities", "from", "2024-01-01T10:00:00Zjunk"),
    ("/v1/activities", "from", "2024-02-30"),
    ("/v1/activities", "from", "\u0662\u0660\u0662\u0664-01-01"),  # Arabic-Indic digits
    ("/v1/metrics/correlate?metrics=resting_hr,hrv", "to", "0001-01-01"),
    ("/v1/metrics/correlate?metrics=resting_hr,hrv", "from", "2024-01-01garbage"),
    ("/v1/metrics/resting_hr", "to", "9999-12-31"),
    ("/v1/metrics/resting_hr", "from", "0001-01-01"),
    ("/v1/sleep", "from", "2024-01-01garbage"),
    ("/v1/wellness", "to", "9999-12-31"),
    ("/v1/wellness/by-source", "from", "2026-06-01T00:00:00"),
    ("/v1/analytics/trends", "to", "2026-06-01xyz"),
    ("/v1/analytics/training-load", "from", "0001-01-01"),
]


@pytest.mark.parametrize(("url", "param", "value"), BAD_DATES, ids=[f"{u}-{p}-{v}" for u, p, v in BAD_DATES])
def test_dates_out_of_range_or_with_trailing_text_are_422(client, keys, url, param, value):
    path, _, extra = url.partition("?")
    params = dict(pair.split("=") for pair in extra.split("&") if pair)
    response = get(client, keys, path, athlete_id="ath_1", **params, **{param: value})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["details"]["problems"][0]["location"] == ["query", param]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"from": "2026-06-30", "to": "2026-06-30"}, 1),
        ({"from": "2026-06-29", "to": "2026-06-30"}, 2),
        ({"from": "1900-01-01", "to": "2999-12-31"}, 30),
    ],
)
def test_dates_in_range_still_work(client, keys, params, count):
    response = get(client, keys, "/v1/wellness", **params)
    assert response.status_code == 200 and len(response.json()) == count


def test_anomalies_and_readiness_are_scoped_and_filtered(marts_home):
    settings, keys = marts_home
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        flags = get(client, keys, "/v1/analytics/anomalies").json()
        assert flags["table"] == "marts.anomalies"
        assert [(r["athlete_id"], r["date"], r["kind"]) for r in flags["rows"]] == [
            ("ath_1", "2026-06-29", "sleep_short"),
            ("ath_1", "2026-06-30", "resting_hr_elevated"),
        ]
        assert all(r["explanation"] for r in flags["rows"])
        high = get(client, keys, "/v1/analytics/anomalies", severity="high").json()["rows"]
        assert [r["kind"] for r in high] == ["resting_hr_elevated"]
        only = get(client, keys, "/v1/analytics/anomalies", kind="sleep_short", key="ath_2").json()["rows"]
        assert [(r["athlete_id"], r["kind"]) for r in only] == [("ath_2", "sleep_short")]
        unknown = get(client, keys, "/v1/analytics/anomalies", kind="flu")
        assert unknown.status_code == 400 and "flu" in unknown.json()["error"]["message"]
        assert get(client, keys, "/v1/analytics/anomalies", severity="low").status_code == 400
        # Another athlete's flags are not visible to an athlete's key.
        assert get(client, keys, "/v1/analytics/anomalies", athlete_id="ath_2").status_code in (403, 404)
        ready = get(client, keys, "/v1/analytics/readiness", **{"from": "2026-06-30"}).json()
        assert ready["table"] == "marts.readiness"
        [day] = ready["rows"]
        assert (day["athlete_id"], day["date"], day["score"]) == ("ath_1", "2026-06-30", 80.0)
        assert day["hrv_weight"] == 0.3 and day["sleep_component"] == 100.0
        admin = get(client, keys, "/v1/analytics/readiness", key="admin", **{"from": "2026-06-30"}).json()[
            "rows"
        ]
        assert {r["athlete_id"] for r in admin} == {"ath_1", "ath_2"}


def test_race_predictions_are_scoped_and_follow_analytics(marts_home):
    import analytics

    settings, keys = marts_home
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        found = get(client, keys, "/v1/analytics/race-predictions").json()
        assert found["table"] == "marts.race_predictions"
        rows = found["rows"]
        assert {r["athlete_id"] for r in rows} == {"ath_1"}
        # Ordered by source then target distance; the 5 km source predicts every target but itself.
        five = [r for r in rows if r["source_distance_m"] == 5000.0]
        assert [r["target_distance_m"] for r in five] == [
            1609.344,
            3000.0,
            10000.0,
            15000.0,
            21097.5,
            42195.0,
        ]
        marathon = five[-1]
        assert marathon["riegel_time_s"] == analytics.riegel(5000 / 3.0, 5000, 42195)
        assert marathon["vdot_time_s"] == analytics.race_time_from_vdot(
            analytics.vdot(5000, 5000 / 3.0), 42195
        )
        # A 400 m effort (133 s) is outside both methods' stated ranges.
        assert not any(
            r["vdot_in_range"] or r["riegel_in_range"] for r in rows if r["source_distance_m"] == 400
        )
        assert get(client, keys, "/v1/analytics/race-predictions", athlete_id="ath_2").status_code in (
            403,
            404,
        )
        half = get(client, keys, "/v1/analytics/race-predictions", target_distance_m=21097.5).json()["rows"]
        assert [(r["source_distance_m"], r["target_distance_m"]) for r in half] == [
            (400.0, 21097.5),
            (1000.0, 21097.5),
            (5000.0, 21097.5),
        ]


def _newest_activity(client, keys, key: str) -> str:
    return get(client, keys, "/v1/activities", key=key, limit=1).json()["items"][0]["activity_id"]


def test_activity_issues_are_served_in_order_and_scoped(marts_home):
    settings, keys = marts_home
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        activity = _newest_activity(client, keys, "ath_1")
        body = get(client, keys, f"/v1/activities/{activity}/issues").json()
        assert (body["activity_id"], body["athlete_id"], body["checked"]) == (activity, "ath_1", True)
        assert [(i["issue_index"], i["kind"], i["channel"], i["severity"]) for i in body["issues"]] == [
            (0, "hr_spike", "heart_rate", "high"),
            (1, "gps_jump", "position", "moderate"),
        ]
        first = body["issues"][0]
        assert (first["start_offset_s"], first["end_offset_s"], first["samples"]) == (100.0, 104.0, 5)
        assert first["start_time"].endswith("Z") and first["explanation"].startswith("Heart rate jumps")
        # an older activity was checked and is clean
        older = get(client, keys, "/v1/activities", limit=2).json()["items"][1]["activity_id"]
        assert get(client, keys, f"/v1/activities/{older}/issues").json()["issues"] == []
        # another athlete's activity does not exist for this key
        other = _newest_activity(client, keys, "ath_2")
        assert get(client, keys, f"/v1/activities/{other}/issues").status_code == 404
        assert get(client, keys, "/v1/activities/nope/issues").status_code == 404


def test_activity_issues_before_the_mart_is_built(client, keys):
    activity = _newest_activity(client, keys, "ath_1")
    body = get(client, keys, f"/v1/activities/{activity}/issues").json()
    assert body["checked"] is False and body["issues"] == []
