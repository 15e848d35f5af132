"""Contract tests: what the mock servers answer and what our sources request, checked against
(a) our own small contract file (always) and (b) the providers' real specs in ../shared/fixtures/api
(Strava swagger from stravalib, Oura OpenAPI 1.29, Withings responses recorded by aiowithings, WHOOP OpenAPI v2)
when present; skipped cleanly otherwise. The WHOOP document is not among the fixtures: it is read from
../shared/fixtures/api/whoop/tryagi_whoop/openapi.yaml or from the path in OPENFIT_WHOOP_OPENAPI
(tests/providers/mock_servers/WHOOP_OPENAPI.md says where it comes from)."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.oura import OuraSettings, sync_oura
from ingestion.sources.oura import make_client as oura_client
from ingestion.sources.strava import StravaSettings, sync_strava
from ingestion.sources.strava import make_client as strava_client
from ingestion.sources.whoop import WhoopSettings, sync_whoop
from ingestion.sources.whoop import make_client as whoop_client
from ingestion.sources.whoop.settings import DEFAULT_SCOPES as WHOOP_SCOPES

from .conftest import FIXTURES
from .mock_servers.oura import COLLECTIONS, OuraMock
from .mock_servers.strava import StravaMock
from .mock_servers.whoop import COLLECTIONS as WHOOP_COLLECTIONS
from .mock_servers.whoop import WhoopMock

CONTRACTS = json.loads((Path(__file__).parent / "fixtures" / "contracts.json").read_text())
STRAVA_SWAGGER = FIXTURES / "strava" / "stravalib" / "strava_swagger.json"
OURA_OPENAPI = FIXTURES / "oura" / "ex_oura" / "openapi" / "openapi-1.29.json"
WHOOP_OPENAPI = FIXTURES / "whoop" / "tryagi_whoop" / "openapi.yaml"


def _get(mock, token: str, path: str, **params: Any) -> Any:
    resp = httpx.get(
        f"{mock.base_url}{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert resp.status_code == 200, (path, resp.status_code, resp.text[:200])
    return resp.json()


def _template_match(templates: list[str], path: str) -> str | None:
    for template in templates:
        pattern = "^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    return None


# -- Strava ----------------------------------------------------------------------------------------------
@pytest.fixture
def strava_samples(strava_mock: StravaMock) -> dict[str, Any]:
    token = strava_mock.issue_tokens()["access_token"]
    aid = strava_mock.activity_ids[0]
    return {
        "SummaryActivity": _get(strava_mock, token, "/api/v3/athlete/activities", per_page=5)[0],
        "DetailedActivity": _get(strava_mock, token, f"/api/v3/activities/{aid}"),
        "Lap": _get(strava_mock, token, f"/api/v3/activities/{aid}/laps")[0],
        "DetailedAthlete": _get(strava_mock, token, "/api/v3/athlete"),
        "Zones": _get(strava_mock, token, "/api/v3/athlete/zones"),
        "StreamSet": _get(
            strava_mock,
            token,
            f"/api/v3/activities/{aid}/streams",
            keys=",".join(CONTRACTS["strava"]["stream_keys"]),
            key_by_type="true",
        ),
    }


@pytest.fixture
def strava_requests(strava_mock: StravaMock) -> list[tuple[str, str, dict[str, str]]]:
    token = strava_mock.issue_tokens()
    TokenStore.from_settings().save(
        "strava", "me", {k: token[k] for k in ("access_token", "refresh_token", "expires_at")}
    )
    settings = StravaSettings()
    client = strava_client(settings, "me")
    try:
        sync_strava(provider_pipeline("strava"), "me", settings, client=client, chunk_activities=10)
    finally:
        client.close()
    return list(strava_mock.requests_log)


def test_strava_mock_payloads_carry_the_contract_fields(strava_samples: dict[str, Any]) -> None:
    for model, fields in CONTRACTS["strava"]["required"].items():
        missing = set(fields) - set(strava_samples[model])
        assert not missing, (model, missing)
    for key, stream in strava_samples["StreamSet"].items():
        assert key in CONTRACTS["strava"]["stream_keys"]
        assert set(CONTRACTS["strava"]["stream_fields"]) <= set(stream)
        assert len(stream["data"]) == stream["original_size"]


def test_strava_requests_follow_the_contract(strava_requests) -> None:
    endpoints = CONTRACTS["strava"]["endpoints"]
    assert strava_requests
    for method, path, query in strava_requests:
        template = _template_match(list(endpoints), path)
        assert method == "GET" and template, path
        assert set(query) <= set(endpoints[template]), (path, query)
        if template.endswith("/streams"):
            assert set(query["keys"].split(",")) <= set(CONTRACTS["strava"]["stream_keys"])


def _swagger() -> dict[str, Any]:
    if not STRAVA_SWAGGER.exists():
        pytest.skip("../shared/fixtures/api/strava is absent")
    return json.loads(STRAVA_SWAGGER.read_text())


def _compatible(expected: Any, actual: Any) -> bool:
    if expected is None or actual is None:
        return True  # nullable in practice
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) == isinstance(actual, bool)
    if isinstance(expected, int | float):
        return isinstance(actual, int | float)
    return type(expected) is type(actual)


def test_strava_mock_payloads_match_the_swagger_examples(strava_samples: dict[str, Any]) -> None:
    swagger = _swagger()

    def example(path: str) -> Any:
        return swagger["paths"][path]["get"]["responses"]["200"]["examples"]["application/json"]

    cases = {
        "SummaryActivity": example("/athlete/activities")[0],
        "DetailedActivity": example("/activities/{id}"),
        "Lap": example("/activities/{id}/laps")[0],
        "DetailedAthlete": example("/athlete"),
    }
    for model, sample in cases.items():
        ours = strava_samples[model]
        missing = set(sample) - set(ours)
        assert not missing, (model, sorted(missing))
        wrong = [k for k in sample if not _compatible(sample[k], ours[k])]
        assert not wrong, (model, wrong)
    stream_enum = next(
        p
        for p in swagger["paths"]["/activities/{id}/streams"]["get"]["parameters"]
        if p.get("name") == "keys"
    )
    assert set(strava_samples["StreamSet"]) <= set(stream_enum["items"]["enum"])


def test_strava_requests_are_declared_in_the_swagger(strava_requests) -> None:
    swagger = _swagger()
    base = swagger["basePath"]
    assert base == CONTRACTS["strava"]["base_path"]
    for method, path, query in strava_requests:
        template = _template_match(list(swagger["paths"]), path)
        assert template, path
        operation = swagger["paths"][template][method.lower()]
        declared = set()
        for param in operation.get("parameters", []):
            if "$ref" in param:
                param = swagger["parameters"][param["$ref"].split("/")[-1]]
            declared.add(param["name"])
        assert set(query) <= declared, (template, set(query) - declared)
        if template.endswith("/streams"):
            enum = next(p for p in operation["parameters"] if p.get("name") == "keys")["items"]["enum"]
            assert set(query["keys"].split(",")) <= set(enum)


# -- Oura ------------------------------------------------------------------------------------------------
@pytest.fixture
def oura_responses(oura_mock: OuraMock) -> dict[str, Any]:
    token = oura_mock.issue_tokens()["access_token"]
    params = {"start_date": oura_mock.cfg.first_day.isoformat(), "end_date": oura_mock.last_day.isoformat()}
    out = {name: _get(oura_mock, token, f"/v2/usercollection/{name}", **params) for name in COLLECTIONS}
    out["personal_info"] = _get(oura_mock, token, "/v2/usercollection/personal_info")
    start = f"{oura_mock.cfg.first_day.isoformat()}T00:00:00+00:00"
    end = f"{(oura_mock.cfg.first_day + timedelta(days=1)).isoformat()}T00:00:00+00:00"
    out["heartrate"] = _get(
        oura_mock, token, "/v2/usercollection/heartrate", start_datetime=start, end_datetime=end
    )
    return out


def test_oura_mock_responses_carry_the_contract_fields(oura_responses: dict[str, Any]) -> None:
    contract = CONTRACTS["oura"]
    for name, fields in contract["required"].items():
        body = oura_responses[name]
        if name == "personal_info":
            assert set(fields) <= set(body)
            continue
        assert set(contract["envelope"]) <= set(body), name
        assert body["data"], name
        for doc in body["data"]:
            assert set(fields) <= set(doc), (name, set(fields) - set(doc))


def test_oura_mock_responses_validate_against_the_openapi_schemas(oura_responses: dict[str, Any]) -> None:
    if not OURA_OPENAPI.exists():
        pytest.skip("../shared/fixtures/api/oura is absent")
    import jsonschema

    spec = json.loads(OURA_OPENAPI.read_text())
    for name, body in oura_responses.items():
        operation = spec["paths"][f"/v2/usercollection/{name}"]["get"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        # the first alternative is the fully typed model (the second, a loose dict, accepts anything)
        typed = schema["anyOf"][0] if "anyOf" in schema else schema
        validator = jsonschema.Draft202012Validator({**typed, "components": spec["components"]})
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, (name, [f"{list(e.path)}: {e.message}" for e in errors[:5]])


def test_oura_requests_are_declared_in_the_openapi(oura_mock: OuraMock, openfit_home, monkeypatch) -> None:
    token = oura_mock.issue_tokens()
    TokenStore.from_settings().save(
        "oura", "me", {k: token[k] for k in ("access_token", "refresh_token", "expires_at")}
    )
    monkeypatch.setenv("OPENFIT_OURA_BACKFILL_SINCE", oura_mock.cfg.first_day.isoformat())
    settings = OuraSettings()
    client = oura_client(settings, "me")
    try:
        sync_oura(provider_pipeline("oura"), "me", settings, client=client, today=oura_mock.last_day)
    finally:
        client.close()
    requests = oura_mock.requests_log
    assert {p.strip("/") for _m, p, _q in requests} == set(COLLECTIONS) | {"personal_info", "heartrate"}
    contract = CONTRACTS["oura"]
    for _method, path, query in requests:
        allowed = contract["datetime_params"] if path == "/heartrate" else contract["date_params"]
        assert set(query) <= set(allowed), (path, query)
    if not OURA_OPENAPI.exists():
        pytest.skip("../shared/fixtures/api/oura is absent (self-contained checks passed)")
    spec = json.loads(OURA_OPENAPI.read_text())
    for method, path, query in requests:
        operation = spec["paths"][f"{contract['base_path']}{path}"][method.lower()]
        declared = {p["name"] for p in operation.get("parameters", [])}
        assert set(query) <= declared, (path, set(query) - declared)


# -- Withings --------------------------------------------------------------------------------------------
WITHINGS_FIXTURES = FIXTURES / "withings"
WITHINGS_ACTIONS = {  # contract key -> (path, action, list key in the body)
    "measuregrps": ("/measure", "getmeas", "measuregrps"),
    "activities": ("/v2/measure", "getactivity", "activities"),
    "sleep_summary": ("/v2/sleep", "getsummary", "series"),
    "workouts": ("/v2/measure", "getworkouts", "series"),
}
WITHINGS_RECORDED = {  # contract key -> recorded aiowithings fixture of the same action
    "measuregrps": "measurement.json",
    "activities": "activity.json",
    "sleep_summary": "sleep_summary.json",
    "workouts": "workouts.json",
}


def _withings_post(mock, token: str, path: str, **form: Any) -> Any:
    resp = httpx.post(
        f"{mock.base_url}{path}", data=form, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert resp.status_code == 200, (path, resp.status_code)  # Withings answers HTTP 200, errors included
    return resp.json()


@pytest.fixture
def withings_responses(withings_mock) -> dict[str, Any]:
    token = withings_mock.issue_tokens()["access_token"]
    first, last = withings_mock.cfg.first_day, withings_mock.last_day
    out = {}
    for key, (path, action, _items) in WITHINGS_ACTIONS.items():
        if action == "getmeas":
            window = {"startdate": 0, "enddate": 2**31}
        else:
            window = {"startdateymd": first.isoformat(), "enddateymd": last.isoformat()}
        out[key] = _withings_post(withings_mock, token, path, action=action, **window)
    return out


def test_withings_mock_answers_carry_the_contract_fields(withings_responses: dict[str, Any]) -> None:
    contract = CONTRACTS["withings"]
    for key, (_path, _action, items) in WITHINGS_ACTIONS.items():
        answer = withings_responses[key]
        assert set(contract["envelope"]) <= set(answer) and answer["status"] == 0, key
        assert set(contract["paging"]) <= set(answer["body"]), key
        docs = answer["body"][items]
        assert docs, key
        for doc in docs:
            assert set(contract["required"][key]) <= set(doc), (
                key,
                set(contract["required"][key]) - set(doc),
            )
        if key == "measuregrps":
            for group in docs:
                for measure in group["measures"]:
                    assert set(contract["required"]["measure"]) <= set(measure)


def test_withings_mock_documents_match_the_recorded_responses(withings_responses: dict[str, Any]) -> None:
    if not WITHINGS_FIXTURES.exists():
        pytest.skip("../shared/fixtures/api/withings is absent")
    for key, (_path, _action, items) in WITHINGS_ACTIONS.items():
        recorded = json.loads((WITHINGS_FIXTURES / WITHINGS_RECORDED[key]).read_text())
        assert set(recorded) == {"status", "body"} and recorded["status"] == 0
        sample = recorded["body"][items][0]
        ours = withings_responses[key]["body"][items][0]
        missing = set(sample) - set(ours)
        assert not missing, (key, sorted(missing))
        wrong = [k for k in sample if not _compatible(sample[k], ours[k])]
        assert not wrong, (key, wrong)
        if "data" in sample:  # sleep and workout totals: every recorded field, same types
            missing = set(sample["data"]) - set(ours["data"])
            assert not missing, (key, sorted(missing))
            assert not [k for k in sample["data"] if not _compatible(sample["data"][k], ours["data"][k])]
        recorded_paging = set(recorded["body"]) & {"more", "offset"}
        assert recorded_paging <= set(withings_responses[key]["body"]), key


def test_withings_token_endpoint_wraps_and_refuses_a_reused_refresh_token(withings_mock) -> None:
    contract = CONTRACTS["withings"]
    refresh = withings_mock.issue_tokens()["refresh_token"]
    form = {
        "action": "requesttoken",
        "grant_type": "refresh_token",
        "client_id": withings_mock.config.client_id,
        "client_secret": withings_mock.config.client_secret,
        "refresh_token": refresh,
    }
    first = httpx.post(f"{withings_mock.base_url}/v2/oauth2", data=form, timeout=10).json()
    assert first["status"] == 0 and set(contract["token_body"]) <= set(first["body"])
    assert first["body"]["refresh_token"] != refresh  # rotated
    again = httpx.post(f"{withings_mock.base_url}/v2/oauth2", data=form, timeout=10)
    assert again.status_code == 200 and again.json()["status"] != 0  # the used one is dead


def test_withings_requests_follow_the_contract(withings_mock, openfit_home, monkeypatch) -> None:
    from ingestion.sources.withings import WithingsSettings, sync_withings
    from ingestion.sources.withings import make_client as withings_client

    token = withings_mock.issue_tokens()
    TokenStore.from_settings().save(
        "withings", "me", {k: token[k] for k in ("access_token", "refresh_token", "expires_at")}
    )
    monkeypatch.setenv("OPENFIT_WITHINGS_BACKFILL_SINCE", withings_mock.cfg.first_day.isoformat())
    settings = WithingsSettings()
    client = withings_client(settings, "me")
    try:
        sync_withings(
            provider_pipeline("withings"), "me", settings, client=client, today=withings_mock.last_day
        )
    finally:
        client.close()
    endpoints = CONTRACTS["withings"]["endpoints"]
    seen = set()
    for method, path, query in withings_mock.requests_log:
        endpoint = f"{path} {query.get('action')}"
        assert method == "POST" and endpoint in endpoints, endpoint
        assert set(query) <= set(endpoints[endpoint]), (endpoint, set(query) - set(endpoints[endpoint]))
        seen.add(endpoint)
    assert seen == set(endpoints)


# -- WHOOP -----------------------------------------------------------------------------------------------
def _whoop_openapi() -> dict[str, Any] | None:
    path = Path(os.environ.get("OPENFIT_WHOOP_OPENAPI") or WHOOP_OPENAPI)
    if not path.exists():
        return None
    import yaml

    return yaml.safe_load(path.read_text())  # the document is JSON under a .yaml name; YAML reads both


@pytest.fixture
def whoop_responses(whoop_mock: WhoopMock) -> dict[str, Any]:
    token = whoop_mock.issue_tokens(scope=WHOOP_SCOPES)["access_token"]
    params = {"start": f"{whoop_mock.cfg.first_day.isoformat()}T00:00:00.000Z", "limit": 25}
    out = {path: _get(whoop_mock, token, f"/developer{path}", **params) for path in WHOOP_COLLECTIONS}
    for path in ("/v2/user/profile/basic", "/v2/user/measurement/body"):
        out[path] = _get(whoop_mock, token, f"/developer{path}")
    return out


def test_whoop_mock_responses_carry_the_contract_fields(whoop_responses: dict[str, Any]) -> None:
    contract = CONTRACTS["whoop"]
    singles = {"/v2/user/profile/basic": "profile", "/v2/user/measurement/body": "body_measurement"}
    for path, body in whoop_responses.items():
        if path in singles:
            assert set(contract["required"][singles[path]]) <= set(body), path
            continue
        name = WHOOP_COLLECTIONS[path]
        assert set(contract["envelope"]) <= set(body) and 0 < len(body["records"]) <= contract["max_limit"]
        for record in body["records"]:
            assert set(contract["required"][name]) <= set(record), (
                name,
                set(contract["required"][name]) - set(record),
            )
            if record["score_state"] == "SCORED":
                assert set(contract["scores"][name]) <= set(record["score"]), name


def test_whoop_mock_answers_like_the_documented_api(whoop_mock: WhoopMock) -> None:
    token = whoop_mock.issue_tokens(scope=WHOOP_SCOPES)["access_token"]
    too_many = httpx.get(
        f"{whoop_mock.base_url}/developer/v2/cycle",
        params={"limit": 26},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert too_many.status_code == 400
    bad = httpx.get(f"{whoop_mock.base_url}/developer/v2/cycle", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    # paging: records newest first, next_token until the last page, every record exactly once
    seen, query = [], {"limit": 25}
    while True:
        page = _get(whoop_mock, token, "/developer/v2/cycle", **query)
        seen += [r["id"] for r in page["records"]]
        if not page.get("next_token"):
            break
        query = {"limit": 25, "nextToken": page["next_token"]}
    assert seen == sorted({c["id"] for c in whoop_mock.docs["cycle"]}, reverse=True)


def test_whoop_mock_sends_429_with_retry_after_beyond_the_documented_limit(openfit_home) -> None:
    import time

    with WhoopMock() as mock:  # the documented limits: 100 per minute, 10,000 per day
        token = mock.issue_tokens(scope=WHOOP_SCOPES)["access_token"]
        if time.time() % 60 > 50:  # keep the burst inside one minute window
            time.sleep(61 - time.time() % 60)
        with httpx.Client(
            base_url=mock.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as http:
            answers = [http.get("/developer/v2/user/measurement/body") for _ in range(102)]
    assert [a.status_code for a in answers] == [200] * 100 + [429] * 2
    assert all(0 < float(a.headers["Retry-After"]) <= 60 for a in answers[100:])
    assert answers[0].headers["X-RateLimit-Limit"] == "100, 100;window=60, 10000;window=86400"
    assert answers[99].headers["X-RateLimit-Remaining"] == "0"


def test_whoop_mock_responses_validate_against_the_openapi_schemas(whoop_responses: dict[str, Any]) -> None:
    spec = _whoop_openapi()
    if spec is None:
        pytest.skip("the WHOOP OpenAPI document is absent (set OPENFIT_WHOOP_OPENAPI)")
    import jsonschema

    for path, body in whoop_responses.items():
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        validator = jsonschema.Draft4Validator({**schema, "components": spec["components"]})
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, (path, [f"{list(e.path)}: {e.message}" for e in errors[:5]])


def test_whoop_requests_follow_the_contract_and_the_openapi(whoop_mock: WhoopMock, monkeypatch) -> None:
    token = whoop_mock.issue_tokens(scope=WHOOP_SCOPES)
    TokenStore.from_settings().save(
        "whoop",
        "me",
        {k: token[k] for k in ("access_token", "refresh_token", "scope")} | {"expires_at": None},
    )
    monkeypatch.setenv("OPENFIT_WHOOP_BACKFILL_SINCE", whoop_mock.cfg.first_day.isoformat())
    settings = WhoopSettings()
    client = whoop_client(settings, "me")
    try:
        sync_whoop(provider_pipeline("whoop"), "me", settings, client=client, today=whoop_mock.last_day)
    finally:
        client.close()
    requests = whoop_mock.requests_log
    contract = CONTRACTS["whoop"]
    assert {p for _m, p, _q in requests} == set(contract["endpoints"])
    for method, path, query in requests:
        assert method == "GET" and set(query) <= set(contract["endpoints"][path]), (path, query)
        if "limit" in query:
            assert 1 <= int(query["limit"]) <= contract["max_limit"]
    spec = _whoop_openapi()
    if spec is None:
        pytest.skip("the WHOOP OpenAPI document is absent (self-contained checks passed)")
    assert spec["servers"][0]["url"].endswith(contract["base_path"])
    for method, path, query in requests:
        operation = spec["paths"][path][method.lower()]
        declared = {p["name"]: p for p in operation.get("parameters", [])}
        assert set(query) <= set(declared), (path, set(query) - set(declared))
        if "limit" in query:
            assert int(query["limit"]) <= declared["limit"]["schema"]["maximum"]
