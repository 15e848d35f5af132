"""Contract tests for the Google Health mock and source (the test_contracts.py pattern, in its own file): what
the mock answers and what the source requests, checked against (a) our contract file (fixtures/contracts.json,
always) and (b) Google's discovery document health:v4 rev 20261030 in
../shared/fixtures/api/google_health/google_api_python_client/health.v4.json (or the path in
OPENFIT_GOOGLE_HEALTH_DISCOVERY) when present; skipped cleanly otherwise. The discovery schemas are turned into
JSON Schema with every property declared (no unknown field passes) and every field whose description says
"Required." required."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.google_health import GoogleHealthSettings, make_client, sync_google_health
from ingestion.sources.google_health.settings import DEFAULT_SCOPES

from .conftest import FIXTURES
from .mock_servers.google_health import DATA_TYPES, GoogleHealthMock, GoogleHealthMockConfig

CONTRACT = json.loads((Path(__file__).parent / "fixtures" / "contracts.json").read_text())["google_health"]
DISCOVERY = FIXTURES / "google_health" / "google_api_python_client" / "health.v4.json"


def _discovery() -> dict[str, Any] | None:
    path = Path(os.environ.get("OPENFIT_GOOGLE_HEALTH_DISCOVERY") or DISCOVERY)
    return json.loads(path.read_text()) if path.exists() else None


def _json_schema(discovery: dict[str, Any], root: str) -> dict[str, Any]:
    """A JSON Schema (draft 7) for the discovery schema `root`, its references as definitions."""

    def convert(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return {"$ref": f"#/definitions/{node['$ref']}"}
        kind = node.get("type")
        out: dict[str, Any] = {}
        if kind == "object":
            props = node.get("properties", {})
            out = {"type": "object", "properties": {k: convert(v) for k, v in props.items()}}
            if "additionalProperties" in node:
                out["additionalProperties"] = convert(node["additionalProperties"])
            elif props:
                out["additionalProperties"] = False  # a field the document does not declare is an error
                required = [k for k, v in props.items() if v.get("description", "").startswith("Required.")]
                if required:
                    out["required"] = required
        elif kind == "array":
            out = {"type": "array", "items": convert(node.get("items", {}))}
        elif kind == "string":  # int64, google-duration and google-datetime travel as strings
            out = {"type": "string"}
            if "enum" in node:
                out["enum"] = node["enum"]
        elif kind in ("integer", "number", "boolean"):
            out = {"type": kind}
        elif kind == "any":
            out = {}
        return out

    definitions = {name: convert(schema) for name, schema in discovery["schemas"].items()}
    return {"$ref": f"#/definitions/{root}", "definitions": definitions}


def _get(mock: GoogleHealthMock, token: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{mock.base_url}{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


@pytest.fixture
def responses(google_health_mock: GoogleHealthMock) -> dict[str, Any]:
    token = google_health_mock.issue_tokens(scope=DEFAULT_SCOPES)["access_token"]
    out: dict[str, Any] = {}
    for data_type in DATA_TYPES:
        for suffix in ("", ":reconcile"):
            resp = _get(google_health_mock, token, f"/v4/users/me/dataTypes/{data_type}/dataPoints{suffix}")
            assert resp.status_code == 200, (data_type, resp.text[:200])
            out[f"{data_type}{suffix}"] = resp.json()
    for path in ("/users/me/identity", "/users/me/pairedDevices"):
        out[path] = _get(google_health_mock, token, f"/v4{path}").json()
    return out


def test_mock_answers_carry_the_contract_fields(responses: dict[str, Any]) -> None:
    for data_type, member in CONTRACT["members"].items():
        for suffix in ("", ":reconcile"):
            body = responses[f"{data_type}{suffix}"]
            assert set(CONTRACT["envelope"]) <= set(body) and body["dataPoints"], data_type
            limit = CONTRACT["session_max_page_size"] if data_type in CONTRACT["session_types"] else None
            assert limit is None or len(body["dataPoints"]) <= limit
            for point in body["dataPoints"]:
                assert set(CONTRACT["required"][data_type]) <= set(point[member]), data_type
                assert ("dataSource" in point) == (suffix == ""), point  # reconciled: no data source
    assert responses["/users/me/identity"]["healthUserId"]


def test_mock_answers_validate_against_the_discovery_schemas(responses: dict[str, Any]) -> None:
    discovery = _discovery()
    if discovery is None:
        pytest.skip("the Google Health discovery document is absent (set OPENFIT_GOOGLE_HEALTH_DISCOVERY)")
    import jsonschema

    roots = {"": "ListDataPointsResponse", ":reconcile": "ReconcileDataPointsResponse"}
    checks = [(key, body, roots[":reconcile" if key.endswith(":reconcile") else ""]) for key, body in
              responses.items() if not key.startswith("/")]  # fmt: skip
    checks += [
        ("/users/me/identity", responses["/users/me/identity"], "Identity"),
        ("/users/me/pairedDevices", responses["/users/me/pairedDevices"], "ListPairedDevicesResponse"),
    ]
    for key, body, root in checks:
        validator = jsonschema.Draft7Validator(_json_schema(discovery, root))
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, (key, [f"{list(e.path)}: {e.message}" for e in errors[:5]])


def test_mock_pages_filters_and_errors_like_the_documented_api(google_health_mock: GoogleHealthMock) -> None:
    mock = google_health_mock
    token = mock.issue_tokens(scope=DEFAULT_SCOPES)["access_token"]
    # paging: newest first, nextPageToken until the last page, every point exactly once; pageSize > 25 for
    # exercise is truncated to 25
    seen, query = [], {"pageSize": 100}
    while True:
        page = _get(mock, token, "/v4/users/me/dataTypes/exercise/dataPoints", **query).json()
        assert len(page["dataPoints"]) <= 25
        seen += [p["name"] for p in page["dataPoints"]]
        if not page.get("nextPageToken"):
            break
        query = {"pageSize": 100, "pageToken": page["nextPageToken"]}
    by_start = sorted(
        mock.points["exercise"], key=lambda p: p["exercise"]["interval"]["startTime"], reverse=True
    )
    assert seen == [p["name"] for p in by_start]
    # a filter on a field the data type does not have, or a bad literal: INVALID_ARGUMENT
    for bad in (
        'steps.sample_time.physical_time >= "2024-09-01T00:00:00Z"',
        'steps.interval.start_time >= "x"',
    ):
        resp = _get(mock, token, "/v4/users/me/dataTypes/steps/dataPoints", filter=bad)
        assert resp.status_code == 400 and resp.json()["error"]["status"] == "INVALID_ARGUMENT"
    day = _get(
        mock, token, "/v4/users/me/dataTypes/daily-resting-heart-rate/dataPoints",
        filter='daily_resting_heart_rate.date >= "2024-09-02" AND daily_resting_heart_rate.date < "2024-09-03"',
    ).json()  # fmt: skip
    assert [p["dailyRestingHeartRate"]["date"] for p in day["dataPoints"]] == [
        {"year": 2024, "month": 9, "day": 2}
    ]
    unauthenticated = _get(mock, "nope", "/v4/users/me/identity")
    assert unauthenticated.status_code == 401
    assert set(unauthenticated.json()["error"]) == set(CONTRACT["error_envelope"])


def test_mock_sends_429_with_retry_after_beyond_the_pacing(openfit_home) -> None:
    import time

    with GoogleHealthMock(GoogleHealthMockConfig(days=2)) as mock:  # 60 per minute
        token = mock.issue_tokens(scope=DEFAULT_SCOPES)["access_token"]
        if time.time() % 60 > 50:  # keep the burst inside one minute window
            time.sleep(61 - time.time() % 60)
        with httpx.Client(
            base_url=mock.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as http:
            answers = [http.get("/v4/users/me/identity") for _ in range(62)]
    assert [a.status_code for a in answers] == [200] * 60 + [429] * 2
    assert all(0 < float(a.headers["Retry-After"]) <= 60 for a in answers[60:])
    assert answers[60].json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_source_requests_follow_the_contract_and_the_discovery(
    google_health_mock: GoogleHealthMock, monkeypatch
) -> None:
    mock = google_health_mock
    token = mock.issue_tokens(scope=DEFAULT_SCOPES)
    TokenStore.from_settings().save(
        "google_health", "me", {k: token[k] for k in ("access_token", "refresh_token")} | {"expires_at": None}
    )
    monkeypatch.setenv("OPENFIT_GOOGLE_HEALTH_BACKFILL_SINCE", mock.cfg.first_day.isoformat())
    settings = GoogleHealthSettings()
    with make_client(settings, "me") as client:
        sync_google_health(
            provider_pipeline("google_health"), "me", settings, client=client, today=mock.last_day
        )
    templates = {re.sub(r"\{dataType\}", "([a-z-]+)", t): t for t in CONTRACT["endpoints"]}
    seen_types = set()
    for method, path, query in mock.requests_log:
        assert method == "GET"
        template, data_type = next(
            (t, (m.groups() or [None])[0])
            for pattern, t in templates.items()
            if (m := re.fullmatch(pattern, path))
        )
        assert set(query) <= set(CONTRACT["endpoints"][template]), (path, query)
        if data_type:
            seen_types.add(data_type)
            limit = CONTRACT["session_max_page_size"] if data_type in CONTRACT["session_types"] else CONTRACT["max_page_size"]  # fmt: skip
            assert 1 <= int(query["pageSize"]) <= limit
    assert seen_types == set(CONTRACT["members"])
    discovery = _discovery()
    if discovery is None:
        pytest.skip("the Google Health discovery document is absent (self-contained checks passed)")
    points = discovery["resources"]["users"]["resources"]["dataTypes"]["resources"]["dataPoints"]["methods"]
    for template, query_names in CONTRACT["endpoints"].items():
        method = "reconcile" if template.endswith(":reconcile") else "list"
        if "dataTypes" in template:
            declared = points[method]["parameters"]
        else:
            users = discovery["resources"]["users"]
            declared = (users["methods"]["getIdentity"] if template.endswith("identity") else
                        users["resources"]["pairedDevices"]["methods"]["list"])["parameters"]  # fmt: skip
        queries = {k for k, v in declared.items() if v["location"] == "query"}
        assert set(query_names) <= queries, (template, set(query_names) - queries)
    # the scopes we ask for are the discovery document's own
    assert set(DEFAULT_SCOPES.split()) <= set(discovery["auth"]["oauth2"]["scopes"])
    assert discovery["revision"] == "20261030"
