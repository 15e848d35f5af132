"""Polar AccessLink contract tests: what the mock answers and what the source requests, checked against our
contract file (fixtures/contracts.json, always) and against the official OpenAPI document when it is at hand:
../shared/fixtures/api/polar/tryagi_polar/openapi.yaml or the path in OPENFIT_POLAR_OPENAPI (its licence keeps
it out of the fixtures; skipped cleanly otherwise; mock_servers/POLAR_ACCESSLINK.md says where it comes from).
(Beside test_contracts.py, in a file of its own, so that providers added in parallel do not edit the same
lines.)"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import FIXTURES
from .mock_servers.polar import PolarMock
from .test_contracts import CONTRACTS, _get
from .test_polar_sync import _connect_directly, _sync

CONTRACT = CONTRACTS["polar"]
POLAR_OPENAPI = FIXTURES / "polar" / "tryagi_polar" / "openapi.yaml"


def _document() -> dict[str, Any]:
    path = Path(os.environ.get("OPENFIT_POLAR_OPENAPI") or POLAR_OPENAPI)
    if not path.exists():
        pytest.skip(f"the Polar AccessLink OpenAPI document is absent ({path})")
    import yaml

    return yaml.safe_load(path.read_text())


@pytest.fixture
def polar_responses(polar_mock: PolarMock) -> dict[str, Any]:
    token = _connect_directly(polar_mock)["access_token"]
    today = polar_mock.cfg.today
    window = {"from": (today - timedelta(days=27)).isoformat(), "to": today.isoformat()}
    return {
        "user": _get(polar_mock, token, f"/v3/users/{polar_mock.cfg.user_id}"),
        "exercise": _get(polar_mock, token, "/v3/exercises", samples="true", zones="true", route="true"),
        "sleep": _get(polar_mock, token, "/v3/users/sleep")["nights"],
        "nightly-recharge": _get(polar_mock, token, "/v3/users/nightly-recharge")["recharges"],
        "activity-summary-with-all-samples": _get(polar_mock, token, "/v3/users/activities", **window),
        "continuous-heartrate": _get(polar_mock, token, "/v3/users/continuous-heart-rate", **window)[
            "heart_rates"
        ],
    }


def test_polar_mock_responses_carry_the_contract_fields(polar_responses: dict[str, Any]) -> None:
    assert set(CONTRACT["required"]["user"]) <= set(polar_responses["user"])
    for name in ("exercise", "sleep", "nightly-recharge", "activity-summary-with-all-samples",
                 "continuous-heartrate"):  # fmt: skip
        docs = polar_responses[name]
        assert docs, name
        for doc in docs:
            assert set(CONTRACT["required"][name]) <= set(doc), name
    exercise = polar_responses["exercise"][0]
    assert re.fullmatch(r"PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?", exercise["duration"])
    assert {"average", "maximum"} <= set(exercise["heart_rate"])
    assert all({"recording-rate", "sample-type", "data"} <= set(s) for s in exercise["samples"])


def test_polar_mock_documents_use_the_documents_schemas(polar_responses: dict[str, Any]) -> None:
    schemas = _document()["components"]["schemas"]
    pairs = {
        "user": [polar_responses["user"]],
        "exerciseHashId": polar_responses["exercise"],
        "sleep": polar_responses["sleep"],
        "nightly-recharge": polar_responses["nightly-recharge"],
        "activity-summary-with-all-samples": polar_responses["activity-summary-with-all-samples"],
        "continuous-heartrate": polar_responses["continuous-heartrate"],
    }
    for schema, docs in pairs.items():
        declared = set(schemas[schema]["properties"])
        for doc in docs:
            assert set(doc) <= declared, (schema, set(doc) - declared)
    # our contract names only fields the document declares
    for name, schema in (("exercise", "exerciseHashId"), ("sleep", "sleep"), ("user", "user")):
        assert set(CONTRACT["required"][name]) <= set(schemas[schema]["properties"]), name
    assert set(schemas["sample"]["properties"]) == {"recording-rate", "sample-type", "data"}
    assert set(schemas["location"]["properties"]) >= {"latitude", "longitude", "time"}


def test_the_source_requests_only_documented_paths_and_parameters(polar_mock: PolarMock, monkeypatch) -> None:
    _connect_directly(polar_mock)
    _sync(polar_mock, monkeypatch)
    templates = list(CONTRACT["endpoints"])
    for method, path, query in polar_mock.requests_log:
        full = f"/v3{path}"
        # a literal path first: /v3/users/sleep is not /v3/users/{user-id}
        template = (
            full
            if full in templates
            else next((t for t in templates if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", t), full)), None)
        )
        assert method == "GET" and template, full
        assert set(query) <= set(CONTRACT["endpoints"][template]), (full, query)
        if "from" in query:
            start, end = (polar_mock.cfg.today.fromisoformat(query[k]) for k in ("from", "to"))
            assert (end - start).days < CONTRACT["max_range_days"]
            assert (polar_mock.cfg.today - start).days < CONTRACT["max_age_days"]
    paths = _document_paths()
    if paths is not None:
        for template in templates:
            assert template in paths or any(p.startswith(template + "/") for p in paths), template


def _document_paths() -> set[str] | None:
    path = Path(os.environ.get("OPENFIT_POLAR_OPENAPI") or POLAR_OPENAPI)
    if not path.exists():
        return None
    import yaml

    return set(yaml.safe_load(path.read_text())["paths"])


def test_polar_mock_refuses_like_the_documented_api(polar_mock: PolarMock) -> None:
    token = polar_mock.issue_tokens()["access_token"]
    unregistered = httpx.get(
        f"{polar_mock.base_url}/v3/exercises", headers={"Authorization": f"Bearer {token}"}
    )
    assert unregistered.status_code == 403  # not registered yet: "has not accepted all mandatory consents"
    polar_mock.register_directly()
    bad = httpx.get(f"{polar_mock.base_url}/v3/exercises", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    too_long = httpx.get(f"{polar_mock.base_url}/v3/users/activities", headers=auth,
                         params={"from": "2024-01-01", "to": "2024-03-01"})  # fmt: skip
    assert too_long.status_code == 400 and set(too_long.json()) == {"timestamp", "status", "errorType",
                                                                     "message", "corrId"}  # fmt: skip
    registered = httpx.post(f"{polar_mock.base_url}/v3/users", headers=auth, json={"member-id": "x"})
    assert registered.status_code == 409
