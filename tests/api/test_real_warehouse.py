"""The API over the real fixture warehouse (synthetic cohort -> dlt -> dbt -> published snapshot).

Checks that the read layer fits the contract as built: every endpoint answers for an authorised key, refuses
another athlete's data, and the marts endpoints answer 200 or, while a mart is not built, 503 not_built_yet.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore
from api.sql_sandbox import run_sql
from query import reads
from query.scope import AthleteScope
from query.snapshot import SnapshotReader

pytestmark = pytest.mark.slow


@pytest.fixture
def real(fixture_warehouse, tmp_path, monkeypatch):
    """The fixture warehouse's settings, with keys stored in a private folder (the fixture home is read-only)."""
    settings = fixture_warehouse
    reader = SnapshotReader(settings.snapshot_path)
    try:
        with reader.cursor() as cur:
            athletes = [a.athlete_id for a in reads.list_athletes(cur, AthleteScope.everyone())]
            first_activity = {
                a: reads.list_activities(cur, AthleteScope.everyone(), athlete_id=a, limit=1).items
                for a in athletes
            }
    finally:
        reader.close()
    assert len(athletes) >= 2
    store = KeyStore(tmp_path / "api_keys.json")
    keys = {a: store.create([a])[0] for a in athletes}
    monkeypatch.setattr("api.deps.key_store", lambda _settings: store)
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        yield client, settings, athletes, keys, first_activity


def test_every_endpoint_answers_on_the_real_snapshot(real):
    client, _, athletes, keys, first_activity = real
    me, other = athletes[0], athletes[1]
    auth = {"Authorization": f"Bearer {keys[me]}"}
    assert [a["athlete_id"] for a in client.get("/v1/athletes", headers=auth).json()] == [me]
    assert client.get("/v1/sources", headers=auth).status_code == 200
    page = client.get("/v1/activities", headers=auth, params={"limit": 5}).json()
    assert page["items"] and {a["athlete_id"] for a in page["items"]} == {me}
    activity = page["items"][0]["activity_id"]
    detail = client.get(f"/v1/activities/{activity}", headers=auth).json()
    assert detail["recordings"], "every activity has at least one recording"
    assert (
        client.get(f"/v1/activities/{activity}/streams", headers=auth, params={"max_points": 100}).status_code
        == 200
    )
    for url in ["/v1/sleep", "/v1/wellness", "/v1/metrics/resting_hr", "/v1/analytics/trends", "/health"]:
        assert client.get(url, headers=auth).status_code == 200, url
    sleep = client.get("/v1/sleep", headers=auth, params={"limit": 1}).json()
    if sleep:
        assert client.get(f"/v1/sleep/{sleep[0]['sleep_id']}", headers=auth).status_code == 200
    for url in [
        "/v1/analytics/training-load",
        "/v1/analytics/personal-records",
        "/v1/analytics/power-curve",
        "/v1/analytics/cross-device",
        "/v1/metrics/correlate?metrics=resting_hr,hrv,sleep_score",
    ]:
        response = client.get(url, headers=auth)
        assert response.status_code in (200, 503), (url, response.text[:300])
        if response.status_code == 503:
            assert response.json()["error"]["code"] == "not_built_yet"
    # Another athlete's activity is a 404.
    if first_activity[other]:
        theirs = first_activity[other][0].activity_id
        assert client.get(f"/v1/activities/{theirs}", headers=auth).status_code == 404


def test_sandbox_on_the_real_snapshot_is_scoped(real):
    _, settings, athletes, _, _ = real
    result = run_sql(
        settings.snapshot_path, "SELECT DISTINCT athlete_id FROM openfit.activities", athletes=[athletes[0]]
    )
    assert result.rows == [[athletes[0]]]


def test_daily_merge_endpoints_on_the_real_snapshot(real):
    """The chosen daily values, every source's values, the cross-device mart and the daily summary agree, and a
    multi-device activity names the device behind each merged field."""
    client, _, athletes, keys, _ = real
    me = athletes[0]
    auth = {"Authorization": f"Bearer {keys[me]}"}
    days = client.get("/v1/wellness", headers=auth, params={"limit": 5000}).json()
    assert days and len({d["date"] for d in days}) == len(days)  # one row per day
    day = next(d for d in days if d["resting_hr"] is not None and d["hrv_rmssd_ms"] is not None)
    by_source = client.get(
        "/v1/wellness/by-source", headers=auth, params={"from": day["date"], "to": day["date"]}
    )
    chosen_rhr = [r for r in by_source.json() if r["device_id"] == day["resting_hr_source"]]
    assert [r["resting_hr"] for r in chosen_rhr] == [day["resting_hr"]]
    cross = client.get(
        "/v1/analytics/cross-device",
        headers=auth,
        params={"metric": "resting_hr", "from": day["date"], "to": day["date"]},
    ).json()
    assert [r["device_id"] for r in cross["rows"] if r["chosen"]] == [day["resting_hr_source"]]
    assert len(cross["rows"]) == len([r for r in by_source.json() if r["resting_hr"] is not None])
    summary = client.get(
        "/v1/analytics/daily-summary", headers=auth, params={"from": day["date"], "to": day["date"]}
    ).json()["rows"]
    assert [(s["resting_hr"], s["hrv_rmssd_ms"]) for s in summary] == [
        (day["resting_hr"], day["hrv_rmssd_ms"])
    ]
    merged = client.get("/v1/activities", headers=auth, params={"limit": 200}).json()["items"]
    multi = next(a for a in merged if (a["recording_count"] or 0) > 1)
    detail = client.get(f"/v1/activities/{multi['activity_id']}", headers=auth).json()
    devices = {r["device_id"] for r in detail["recordings"]}
    assert detail["hr_source"] in devices and detail["field_sources"]["hr"] == detail["hr_source"]
    assert set(detail["field_sources"]) <= {"hr", "power", "gps", "distance"}


def test_activity_issues_on_the_real_snapshot(real):
    """The synthetic cohort's injected sensor faults come back through /v1/activities/{id}/issues, to the owner
    only, as marts.activity_data_issues holds them."""
    client, settings, athletes, keys, _ = real
    reader = SnapshotReader(settings.snapshot_path)
    try:
        with reader.cursor() as cur:
            rows = cur.rows(
                "select activity_id, athlete_id, list(kind order by issue_index) as kinds "
                "from marts.activity_data_issues group by all order by activity_id"
            )
    finally:
        reader.close()
    assert rows, "the fixture cohort carries labelled sensor faults"
    for row in rows[:5]:
        owner = {"Authorization": f"Bearer {keys[row['athlete_id']]}"}
        body = client.get(f"/v1/activities/{row['activity_id']}/issues", headers=owner).json()
        assert body["checked"] is True and [i["kind"] for i in body["issues"]] == row["kinds"]
        assert all(i["explanation"] and i["samples"] > 0 for i in body["issues"])
        stranger = next(a for a in athletes if a != row["athlete_id"])
        denied = client.get(
            f"/v1/activities/{row['activity_id']}/issues",
            headers={"Authorization": f"Bearer {keys[stranger]}"},
        )
        assert denied.status_code == 404
