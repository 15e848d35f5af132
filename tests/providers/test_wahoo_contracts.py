"""Wahoo contract tests: what the mock answers and what the source requests, checked against our contract file
(fixtures/contracts.json, always) and against the samples of Wahoo's own API documentation when
../shared/fixtures/api/wahoo/wahoo_slate_docs is present (skipped cleanly otherwise). Wahoo publishes no
OpenAPI document; mock_servers/WAHOO_API.md says what the mock was built from. (Beside test_contracts.py, in a
file of its own, so that providers added in parallel do not edit the same lines.)"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.wahoo import WahooSettings, make_client, sync_wahoo
from ingestion.sources.wahoo.settings import DEFAULT_SCOPES

from .conftest import FIXTURES
from .mock_servers.wahoo import WahooMock
from .test_contracts import CONTRACTS, _get

SAMPLES = FIXTURES / "wahoo" / "wahoo_slate_docs" / "samples"
CONTRACT = CONTRACTS["wahoo"]


def _sample(name: str) -> dict[str, Any]:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"Wahoo's documented samples are absent ({path})")
    return json.loads(path.read_text())


@pytest.fixture
def wahoo_responses(wahoo_mock: WahooMock) -> dict[str, Any]:
    token = wahoo_mock.issue_tokens(scope=DEFAULT_SCOPES)["access_token"]
    return {
        "/user": _get(wahoo_mock, token, "/v1/user"),
        "/workouts": _get(wahoo_mock, token, "/v1/workouts"),
    }


def _is_decimal_string(value: Any) -> bool:
    if value is None:
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


def test_wahoo_mock_responses_carry_the_contract_fields(wahoo_responses: dict[str, Any]) -> None:
    user = wahoo_responses["/user"]
    assert set(CONTRACT["required"]["user"]) <= set(user)
    page = wahoo_responses["/workouts"]
    assert set(CONTRACT["envelope"]) <= set(page)
    assert page["page"] == 1 and page["per_page"] == CONTRACT["default_per_page"]
    assert (page["order"], page["sort"]) == ("descending", "starts")
    assert 0 < len(page["workouts"]) <= CONTRACT["default_per_page"]
    for workout in page["workouts"]:
        assert set(CONTRACT["required"]["workout"]) <= set(workout)
        summary = workout["workout_summary"]
        if summary is None:
            continue
        assert set(CONTRACT["required"]["workout_summary"]) <= set(summary)
        assert summary["file"]["url"].endswith(".fit")
        for field in CONTRACT["decimal_strings"]:
            if field in summary:
                assert _is_decimal_string(summary[field]), (field, summary[field])
    for field in ("height", "weight"):
        assert _is_decimal_string(user[field])


def test_wahoo_mock_documents_have_the_documented_samples_keys(wahoo_responses: dict[str, Any]) -> None:
    index = _sample("workouts__index.json")
    show = _sample("workouts__show.json")
    user = _sample("users__show.json")
    summary_sample = _sample("workout_summaries__show.json")
    page = wahoo_responses["/workouts"]
    assert set(index) == set(page)
    completed = next(w for w in page["workouts"] if w["workout_summary"])
    assert set(show) == set(completed)
    assert set(summary_sample) == set(completed["workout_summary"])
    assert set(user) == set(wahoo_responses["/user"])
    # the contract holds for the documented samples too (decimals as strings)
    assert set(CONTRACT["required"]["workout_summary"]) <= set(show["workout_summary"])
    for field in CONTRACT["decimal_strings"]:
        for doc in (show["workout_summary"], user):
            if field in doc:
                assert _is_decimal_string(doc[field]), (field, doc[field])


def test_wahoo_mock_pages_newest_first_and_refuses_like_the_documented_api(wahoo_mock: WahooMock) -> None:
    token = wahoo_mock.issue_tokens(scope=DEFAULT_SCOPES)["access_token"]
    seen, page = [], 1
    while True:
        body = _get(wahoo_mock, token, "/v1/workouts", page=page, per_page=7)
        assert body["total"] == len(wahoo_mock.workouts) and body["page"] == page
        if not body["workouts"]:
            break
        seen += body["workouts"]
        page += 1
    assert [w["id"] for w in seen] == [
        w["id"] for w in sorted(wahoo_mock.workouts, key=lambda w: w["starts"])
    ][::-1]
    bad = httpx.get(
        f"{wahoo_mock.base_url}/v1/workouts", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert bad.status_code == 401
    no_user_read = wahoo_mock.issue_tokens(scope="workouts_read")["access_token"]
    forbidden = httpx.get(
        f"{wahoo_mock.base_url}/v1/workouts", headers={"Authorization": f"Bearer {no_user_read}"}, timeout=10
    )
    assert forbidden.status_code == 403  # documented: user_read is required


def test_wahoo_mock_sends_429_beyond_the_documented_five_minute_limit(openfit_home) -> None:
    with WahooMock() as mock:  # the documented production limits: 200 per 5 minutes, 5,000 per day
        token = mock.issue_tokens(scope=DEFAULT_SCOPES)["access_token"]
        if time.time() % 300 > 280:  # keep the burst inside one five-minute window
            time.sleep(301 - time.time() % 300)
        with httpx.Client(
            base_url=mock.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as http:
            answers = [http.get("/v1/user") for _ in range(202)]
    assert [a.status_code for a in answers] == [200] * 200 + [429] * 2
    assert answers[0].headers["X-RateLimit-Limit"] == "5000, 1000, 200"  # day, hour, 5 min
    assert answers[0].headers["X-RateLimit-Remaining"] == "4999, 999, 199"
    assert answers[199].headers["X-RateLimit-Remaining"].endswith(", 0")
    assert 0 < float(answers[200].headers["Retry-After"]) <= 300


def test_wahoo_requests_follow_the_contract(wahoo_mock: WahooMock, monkeypatch) -> None:
    token = wahoo_mock.issue_tokens(scope=DEFAULT_SCOPES)
    TokenStore.from_settings().save(
        "wahoo",
        "me",
        {k: token[k] for k in ("access_token", "refresh_token", "scope")} | {"expires_at": None},
    )
    monkeypatch.setenv("OPENFIT_WAHOO_BACKFILL_SINCE", wahoo_mock.cfg.first_day.isoformat())
    monkeypatch.setenv("OPENFIT_WAHOO_PER_PAGE", "10")
    settings = WahooSettings()
    client = make_client(settings, "me")
    try:
        sync_wahoo(provider_pipeline("wahoo"), "me", settings, client=client)
    finally:
        client.close()
    requests = wahoo_mock.requests_log
    assert {p for _m, p, _q in requests} == set(CONTRACT["endpoints"])
    for method, path, query in requests:
        assert method == "GET" and set(query) <= set(CONTRACT["endpoints"][path]), (path, query)
        if path == "/workouts":
            assert int(query["page"]) >= 1 and int(query["per_page"]) == 10
    # the real base URL plus the contract's base path is the documented https://api.wahooligan.com/v1
    assert WahooSettings.model_fields["api_base_url"].default + CONTRACT["base_path"] == (
        "https://api.wahooligan.com/v1"
    )
