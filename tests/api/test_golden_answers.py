"""A fixed set of API requests and MCP tool calls over the session's fixture warehouse, answered byte for byte as
the committed golden files say (tests/api/golden/). The synthetic cohort is fixed by its seed and end date
(tests/conftest.py FIXTURE_COHORT), so every answer is too: a refactoring that changes what a reader gets back
(a value, a column, its order, a number's format) fails here. When a change of an answer is intended, refresh the
files with OPENFIT_UPDATE_SNAPSHOTS=1 and review their diff.

Volatile fields, the only ones masked (as "<volatile>"): they state when this warehouse was built, not what it
holds. VOLATILE_KEYS lists them with the reason for each."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mcp import Client

from api.app import create_app
from api.keys import KeyStore
from api.mcp.server import build_mcp_server
from openfit.settings import get_settings
from query import reads
from query.scope import AthleteScope
from query.snapshot import SnapshotReader

pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("OPENFIT_UPDATE_SNAPSHOTS"))

# JSON keys whose values depend on the moment of the build or of the request, never on the data.
VOLATILE_KEYS = {
    "loaded_at": "when dlt loaded the recording's raw rows (activity detail: recordings)",
    "last_loaded_at": "when a source's rows were last loaded (/v1/sources)",
    "elapsed_ms": "how long the SQL sandbox took to answer (query_sql)",
}
# a volatile key with the separator as sent, then its value (a string, a number or null)
MASK = re.compile(
    r'("(?:'
    + "|".join(map(re.escape, sorted(VOLATILE_KEYS)))
    + r')":\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|null)'
)

# Detail requests name the first activity / sleep of the first athlete's lists ({activity}, {sleep}).
# Marts answers cover the cohort's last week (its end date is fixed): small files, every column still there.
WEEK = {"from_date": "2026-06-24", "to_date": "2026-06-30"}
API_REQUESTS = [
    "/v1/athletes",
    "/v1/sources",
    "/v1/activities?limit=5",
    "/v1/activities/{activity}",
    "/v1/activities/{activity}/streams?max_points=50",
    "/v1/sleep?limit=5",
    "/v1/sleep/{sleep}",
    "/v1/wellness?limit=14",
    "/v1/wellness/by-source?limit=14",
    "/v1/metrics/catalogue",
    "/v1/metrics/resting_hr?limit=14",
    "/v1/metrics/correlate?metrics=resting_hr,hrv,sleep_score&from=2026-06-01&to=2026-06-30",
    "/v1/analytics/trends",
    "/v1/analytics/training-load?from=2026-06-24&to=2026-06-30",
    "/v1/analytics/personal-records",
    "/v1/analytics/power-curve",
    "/v1/analytics/pace-curve",
    "/v1/analytics/cross-device?from=2026-06-24&to=2026-06-30&metric=resting_hr",
    "/v1/analytics/daily-summary?from=2026-06-24&to=2026-06-30",
    "/v1/analytics/fitness-estimates?from=2026-06-24&to=2026-06-30",
    "/v1/analytics/anomalies?from=2026-06-24&to=2026-06-30",
    "/v1/analytics/readiness?from=2026-06-24&to=2026-06-30",
]
MCP_CALLS = [
    ("list_athletes", {}),
    ("list_activities", {"limit": 5}),
    ("get_activity", {"activity_id": "{activity}"}),
    ("get_activity_streams", {"activity_id": "{activity}", "max_points": 50}),
    ("get_training_load", WEEK),
    ("get_wellness", {"limit": 14}),
    ("get_daily_summary", WEEK),
    ("get_anomalies", WEEK),
    ("get_readiness", WEEK),
    ("get_sleep", {"limit": 5}),
    ("correlate_metrics", {"metrics": ["resting_hr", "hrv", "sleep_score"]}),
    ("get_personal_records", {}),
    ("get_power_curve", {}),
    ("compare_devices", {**WEEK, "metric": "resting_hr"}),
    ("describe_schema", {}),
    ("query_sql", {"sql": "SELECT sport, count(*) AS n FROM openfit.activities GROUP BY 1 ORDER BY 1"}),
]


def _mask(body: str) -> str:
    return MASK.sub(lambda match: match.group(1) + '"<volatile>"', body)


def _compare(name: str, answers: list[str], out_dir: Path) -> None:
    text = "\n".join(answers) + "\n"
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = dict(_by_request(path.read_text(encoding="utf-8")))
    got = dict(_by_request(text))
    changed = [
        request for request in expected.keys() | got.keys() if expected.get(request) != got.get(request)
    ]
    if changed:  # the new answers beside the test's output, to diff against the golden file
        (out_dir / name).write_text(text, encoding="utf-8")
    assert not changed, f"{name}: {len(changed)} answers changed (new answers in {out_dir / name}): {changed}"


def _by_request(text: str) -> list[tuple[str, str]]:
    """(request line, answer) pairs of a golden file: each answer starts with a line '=== <request>'."""
    blocks = ("\n" + text).split("\n=== ")[1:]
    return [(block.split("\n", 1)[0], block) for block in blocks]


@pytest.fixture
def reader_of_first_athlete(fixture_warehouse, tmp_path, monkeypatch):
    """An API client with a key for the cohort's first athlete (keys stored privately: the home is read only),
    and the ids the detail requests use (the first items the list answers name)."""
    reader = SnapshotReader(fixture_warehouse.snapshot_path)
    try:
        with reader.cursor() as cur:
            me = reads.list_athletes(cur, AthleteScope.everyone())[0].athlete_id
    finally:
        reader.close()
    store = KeyStore(tmp_path / "api_keys.json")
    monkeypatch.setattr("api.deps.key_store", lambda _settings: store)
    auth = {"Authorization": f"Bearer {store.create([me])[0]}"}
    with TestClient(create_app(fixture_warehouse, rate_limit_per_minute=None)) as client:
        ids = {"me": me}
        ids["activity"] = client.get("/v1/activities?limit=1", headers=auth).json()["items"][0]["activity_id"]
        ids["sleep"] = client.get("/v1/sleep?limit=1", headers=auth).json()[0]["sleep_id"]
        yield client, auth, ids


def test_api_answers_of_the_fixed_request_set_are_unchanged(reader_of_first_athlete, tmp_path):
    client, auth, ids = reader_of_first_athlete
    answers = []
    for template in API_REQUESTS:
        url = template.format(**ids)
        response = client.get(url, headers=auth)
        answers.append(f"=== GET {template} -> {response.status_code}\n{_mask(response.text)}")
    _compare("api_answers.txt", answers, tmp_path)


def test_mcp_answers_of_the_fixed_call_set_are_unchanged(reader_of_first_athlete, tmp_path):
    _, _, ids = reader_of_first_athlete
    server = build_mcp_server(get_settings, AthleteScope((ids["me"],)))

    async def call_all() -> list[str]:
        answers = []
        async with Client(server) as client:
            for name, arguments in MCP_CALLS:
                filled = json.loads(json.dumps(arguments).replace("{activity}", ids["activity"]))
                result = await client.call_tool(name, filled)
                body = "\n".join(getattr(part, "text", repr(part)) for part in result.content)
                error = " (error)" if result.is_error else ""
                answers.append(f"=== {name} {json.dumps(arguments, sort_keys=True)}{error}\n{_mask(body)}")
        return answers

    _compare("mcp_answers.txt", asyncio.run(call_all()), tmp_path)
