"""The per-snapshot response cache (api/cache.py): repeats are answered from it, but never across scopes,
snapshots, revoked keys or rate limits, and only for complete 200 JSON answers."""

from __future__ import annotations

import pytest
from api_testkit import make_home, make_keys, use_home
from fastapi.testclient import TestClient
from snapshot_factory import build_snapshot

from api.app import create_app
from api.cache import ResponseCache
from api.keys import KeyStore


@pytest.fixture
def private(tmp_path, monkeypatch):
    home = make_home(tmp_path / "home")
    return use_home(monkeypatch, home), make_keys(home)


def cache_state(response) -> str | None:
    return response.headers.get("x-openfit-cache")


def test_a_repeat_is_a_hit_with_the_same_body_and_headers(client, keys):
    headers = keys.auth(keys.ath_1)
    first = client.get("/v1/activities", headers=headers, params={"limit": 7, "sport": "running"})
    second = client.get("/v1/activities", headers=headers, params={"limit": 7, "sport": "running"})
    assert first.status_code == second.status_code == 200
    assert cache_state(second) == "hit"
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]
    # The security headers wrap replayed answers too.
    assert second.headers["cache-control"] == "no-store"
    assert second.headers["x-content-type-options"] == "nosniff"


def test_scopes_never_share_an_answer(client, keys):
    url = "/v1/activities?limit=5"
    one = client.get(url, headers=keys.auth(keys.ath_1))
    assert client.get(url, headers=keys.auth(keys.ath_1)).headers["x-openfit-cache"] == "hit"
    two = client.get(url, headers=keys.auth(keys.ath_2))
    admin = client.get(url, headers=keys.auth(keys.admin))
    assert cache_state(two) == "miss" and cache_state(admin) == "miss"
    assert {a["athlete_id"] for a in one.json()["items"]} == {"ath_1"}
    assert {a["athlete_id"] for a in two.json()["items"]} == {"ath_2"}
    # Another athlete's activity stays a 404 even after its owner's answer is cached.
    assert client.get("/v1/activities/act_2_3", headers=keys.auth(keys.ath_2)).status_code == 200
    assert client.get("/v1/activities/act_2_3", headers=keys.auth(keys.ath_1)).status_code == 404


def test_a_key_revoked_after_a_hit_is_refused(private):
    settings, _ = private
    store = KeyStore.for_home(settings.home_dir)
    key, record = store.create(["ath_1"], name="soon revoked")
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        client.get("/v1/athletes", headers={"Authorization": f"Bearer {key}"})
        assert cache_state(client.get("/v1/athletes", headers={"Authorization": f"Bearer {key}"})) == "hit"
        store.revoke(record.key_id)
        refused = client.get("/v1/athletes", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"


def test_a_published_snapshot_is_seen_at_once(private):
    settings, keys = private
    headers = keys.auth(keys.ath_1)
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        before = client.get("/v1/activities", headers=headers, params={"limit": 500}).json()
        assert cache_state(client.get("/v1/activities", headers=headers, params={"limit": 500})) == "hit"
        build_snapshot(settings.snapshot_path, days=45, tag="v2")
        after = client.get("/v1/activities", headers=headers, params={"limit": 500})
    assert cache_state(after) == "miss"
    assert len(before["items"]) == 30 and len(after.json()["items"]) == 45


def test_errors_and_streams_of_files_are_not_cached(client, keys):
    headers = keys.auth(keys.ath_1)
    for _ in range(2):
        missing = client.get("/v1/activities/act_9_9", headers=headers)
        assert missing.status_code == 404 and cache_state(missing) == "miss"
    with client.stream("GET", "/v1/export", headers=headers) as export:
        assert export.status_code == 200 and cache_state(export) is None


def test_a_rate_limited_key_is_limited_on_hits_too(settings, keys):
    with TestClient(create_app(settings, rate_limit_per_minute=60, rate_limit_burst=2)) as client:
        codes = [client.get("/v1/athletes", headers=keys.auth(keys.ath_1)).status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]


def test_the_cache_can_be_switched_off(settings, keys):
    with TestClient(create_app(settings, rate_limit_per_minute=None, response_cache_mb=0)) as client:
        for _ in range(2):
            response = client.get("/v1/athletes", headers=keys.auth(keys.ath_1))
            assert response.status_code == 200 and cache_state(response) is None


def test_least_recently_used_answers_go_first_within_the_budget():
    cache = ResponseCache(max_bytes=100, max_entry_bytes=60)
    headers = [(b"content-type", b"application/json")]
    cache.put(("snap-1", None, "/a"), headers, b"a" * 40)
    cache.put(("snap-1", None, "/b"), headers, b"b" * 40)
    assert cache.get(("snap-1", None, "/a")) is not None  # /a is now the most recently used
    cache.put(("snap-1", None, "/c"), headers, b"c" * 40)
    assert cache.get(("snap-1", None, "/b")) is None
    assert cache.get(("snap-1", None, "/a")) is not None and cache.get(("snap-1", None, "/c")) is not None
    cache.put(("snap-1", None, "/big"), headers, b"x" * 61)  # larger than one entry may be
    assert cache.get(("snap-1", None, "/big")) is None
    cache.put(("snap-2", None, "/a"), headers, b"n" * 10)  # a new snapshot drops the old answers
    assert len(cache) == 1
