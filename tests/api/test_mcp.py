"""The MCP server through the SDK's in-memory Client: tools, annotations, results, errors, resources."""

from __future__ import annotations

import asyncio
import json

import pytest
from mcp import Client

from api.mcp.server import build_mcp_server
from openfit.settings import get_settings
from query.scope import AthleteScope

EXPECTED_TOOLS = {
    "list_athletes",
    "list_activities",
    "get_activity",
    "get_activity_streams",
    "get_activity_issues",
    "get_training_load",
    "get_wellness",
    "get_sleep",
    "correlate_metrics",
    "get_personal_records",
    "get_power_curve",
    "compare_devices",
    "get_daily_summary",
    "get_anomalies",
    "get_readiness",
    "get_race_predictions",
    "describe_schema",
    "query_sql",
}


def run(coro):
    return asyncio.run(coro)


def server_for(athletes: tuple[str, ...] | None):
    return build_mcp_server(get_settings, AthleteScope(athletes))


async def _call(server, name: str, arguments: dict | None = None):
    async with Client(server) as client:
        return await client.call_tool(name, arguments or {})


def call(server, name, arguments=None):
    return run(_call(server, name, arguments))


def ok(result) -> dict:
    assert result.is_error is False, result.content
    return result.structured_content


def test_every_tool_is_listed_typed_and_read_only(settings):
    async def list_tools():
        async with Client(server_for(None)) as client:
            return (await client.list_tools()).tools

    tools = run(list_tools())
    assert {t.name for t in tools} == EXPECTED_TOOLS
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.read_only_hint is True, tool.name
        assert tool.annotations.destructive_hint is False, tool.name
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.output_schema is not None, tool.name
        assert tool.input_schema["type"] == "object", tool.name


def test_results_are_scoped_to_the_callers_athletes(settings):
    one = server_for(("ath_1",))
    assert [a["athlete_id"] for a in ok(call(one, "list_athletes"))["result"]] == ["ath_1"]
    page = ok(call(one, "list_activities", {"limit": 5, "sport": "cycling"}))
    assert len(page["items"]) == 5 and {a["athlete_id"] for a in page["items"]} == {"ath_1"}
    assert page["next_cursor"]
    refused = call(one, "get_activity", {"activity_id": "act_2_3"})
    assert refused.is_error is True and "not_found" in refused.content[0].text
    sql = ok(call(one, "query_sql", {"sql": "SELECT DISTINCT athlete_id FROM openfit.activities"}))
    assert sql["rows"] == [["ath_1"]]


def test_activity_tools(settings):
    server = server_for(None)
    detail = ok(call(server, "get_activity", {"activity_id": "act_2_3"}))
    assert detail["athlete_id"] == "ath_2" and len(detail["recordings"]) == 2
    streams = ok(
        call(
            server,
            "get_activity_streams",
            {"activity_id": "act_2_3", "max_points": 50, "channels": ["heart_rate", "power_w"]},
        )
    )
    assert streams["points"] == 50 and set(streams["channels"]) == {"time", "heart_rate", "power_w"}


def test_daily_tools(settings):
    server = server_for(("ath_1",))
    wellness = ok(call(server, "get_wellness", {"from_date": "2026-06-01", "to_date": "2026-06-30"}))[
        "result"
    ]
    assert len(wellness) == 30
    # one row per day, each metric with the device it was chosen from
    assert {(w["resting_hr_source"], w["steps_source"]) for w in wellness} == {("ath_1_ring", "ath_1_watch")}
    sleep = ok(call(server, "get_sleep", {"limit": 3}))["result"]
    assert [s["local_date"] for s in sleep] == ["2026-06-30", "2026-06-29", "2026-06-28"]
    corr = ok(
        call(
            server,
            "correlate_metrics",
            {
                "metrics": ["resting_hr", "hrv"],
                "from_date": "2026-06-01",
                "to_date": "2026-06-30",
                "max_lag_days": 0,
            },
        )
    )
    assert corr["correlations"][0]["r"] == pytest.approx(-1.0, abs=1e-3)


def test_errors_are_raised_as_tool_errors_with_reasons(settings):
    server = server_for(("ath_1",))
    attack = call(server, "query_sql", {"sql": "SELECT * FROM read_csv('/etc/passwd')"})
    assert (
        attack.is_error is True
        and "rejected" in attack.content[0].text
        and "read_csv" in attack.content[0].text
    )
    missing_mart = call(server, "get_training_load")
    assert missing_mart.is_error is True and "not_built_yet" in missing_mart.content[0].text
    bad_date = call(server, "get_wellness", {"from_date": "last tuesday"})
    assert bad_date.is_error is True and "ISO 8601" in bad_date.content[0].text
    bad_args = call(server, "list_activities", {"limit": 100000})
    assert bad_args.is_error is True


def test_a_server_without_a_scope_refuses(settings):
    refused = call(build_mcp_server(get_settings, None), "list_athletes")
    assert refused.is_error is True and "not authorised" in refused.content[0].text


def test_mart_tools(marts_home):
    server = server_for(("ath_2",))
    load = ok(call(server, "get_training_load", {"from_date": "2026-06-30"}))
    assert load["rows"] == [
        {
            "athlete_id": "ath_2",
            "date": "2026-06-30",
            "load": pytest.approx(3600 / 36),
            "ctl": 40.0,
            "atl": 45.0,
            "tsb": -5.0,
        }
    ]
    curve = ok(call(server, "get_power_curve"))["rows"]  # all_time by default
    assert [r["duration_s"] for r in curve] == [1, 5, 60, 300, 1200] and {r["window"] for r in curve} == {
        "all_time"
    }
    assert {r["sport"] for r in ok(call(server, "get_personal_records", {"sport": "cycling"}))["rows"]} == {
        "cycling"
    }
    devices = ok(call(server, "compare_devices", {"from_date": "2026-06-30", "metric": "resting_hr"}))
    assert devices["table"] == "marts.cross_device_daily"
    assert sorted((r["device_id"], r["chosen"], r["deviation"]) for r in devices["rows"]) == [
        ("ath_2_ring", True, pytest.approx(-1.0)),
        ("ath_2_watch", False, pytest.approx(1.0)),
    ]
    unknown = call(server, "compare_devices", {"metric": "mood"})
    assert unknown.is_error is True and "mood" in unknown.content[0].text
    [day] = ok(call(server, "get_daily_summary", {"from_date": "2026-06-30"}))["rows"]
    assert (day["athlete_id"], day["ctl"], day["tsb"]) == ("ath_2", 40.0, -5.0)
    assert day["resting_hr"] == next(r["value"] for r in devices["rows"] if r["chosen"])


def test_anomaly_and_readiness_tools(marts_home):
    server = server_for(("ath_2",))
    flags = ok(call(server, "get_anomalies"))
    assert flags["table"] == "marts.anomalies"
    assert [(r["athlete_id"], r["kind"], r["severity"]) for r in flags["rows"]] == [
        ("ath_2", "sleep_short", "moderate"),
        ("ath_2", "resting_hr_elevated", "high"),
    ]
    assert ok(call(server, "get_anomalies", {"kind": "sleep_short", "from_date": "2026-06-30"}))["rows"] == []
    bad = call(server, "get_anomalies", {"kind": "flu"})
    assert bad.is_error is True and "flu" in bad.content[0].text
    [day] = ok(call(server, "get_readiness", {"from_date": "2026-06-30"}))["rows"]
    assert (day["athlete_id"], day["score"], day["coverage"]) == ("ath_2", 80.0, 0.6)
    hidden = call(server, "get_readiness", {"athlete_id": "ath_1"})
    assert hidden.is_error is True


def test_activity_issues_tool(marts_home):
    server = server_for(("ath_2",))
    [newest, older] = ok(call(server, "list_activities", {"limit": 2}))["items"]
    found = ok(call(server, "get_activity_issues", {"activity_id": newest["activity_id"]}))
    assert (found["athlete_id"], found["checked"]) == ("ath_2", True)
    assert [(i["kind"], i["severity"]) for i in found["issues"]] == [
        ("hr_spike", "high"),
        ("gps_jump", "moderate"),
    ]
    assert all(i["explanation"] for i in found["issues"])
    assert ok(call(server, "get_activity_issues", {"activity_id": older["activity_id"]}))["issues"] == []
    hidden = call(server_for(("ath_1",)), "get_activity_issues", {"activity_id": newest["activity_id"]})
    assert hidden.is_error is True and "not_found" in hidden.content[0].text


def test_schema_tool_and_resources(settings):
    server = server_for(None)
    tables = ok(call(server, "describe_schema"))["result"]
    names = {(t["schema_name"], t["table"]) for t in tables}
    assert ("openfit", "activities") in names and ("meta", "build_info") in names

    async def resources():
        async with Client(server) as client:
            listed = {str(r.uri) for r in (await client.list_resources()).resources}
            metrics = await client.read_resource("openfit://metrics")
            schema = await client.read_resource("openfit://schema")
            return listed, metrics, schema

    listed, metrics, schema = run(resources())
    assert listed == {"openfit://schema", "openfit://metrics"}
    catalogue = json.loads(metrics.contents[0].text)
    assert {"resting_hr", "hrv", "sleep_score", "training_load"} <= {
        d["name"] for d in catalogue["daily_metrics"]
    }
    assert catalogue["algorithm_defaults"]["pmc"] == get_settings().algo_pmc
    assert any(t["table"] == "activities" for t in json.loads(schema.contents[0].text))


def test_a_huge_id_is_not_echoed_into_the_tool_error(settings):
    refused = call(server_for(("ath_1",)), "get_activity", {"activity_id": "x" * 100_000})
    assert refused.is_error is True and "not_found" in refused.content[0].text
    assert len(refused.content[0].text) < 2_000


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("list_activities", {"to_date": "9999-12-31"}),
        ("list_activities", {"from_date": "0001-01-01T00:00:00+05:00"}),
        ("correlate_metrics", {"metrics": ["resting_hr", "hrv"], "to_date": "0001-01-01"}),
        ("get_wellness", {"from_date": "2024-01-01garbage"}),
        ("get_sleep", {"to_date": "2024-01-01T00:00:00"}),
    ],
)
def test_bad_dates_are_tool_errors_that_say_why(settings, tool, arguments):
    refused = call(server_for(("ath_1",)), tool, arguments)
    assert refused.is_error is True
    assert "invalid_request" in refused.content[0].text
    assert "1900-01-01" in refused.content[0].text or "nothing after it" in refused.content[0].text


def test_query_sql_answers_oversized_results_with_a_short_tool_error(settings, monkeypatch):
    monkeypatch.setenv("OPENFIT_API_SQL_MAX_RESULT_MB", "1")
    # the size limit is under test: a busy machine must not reach the 10 s time limit first (CI, stop 29)
    monkeypatch.setenv("OPENFIT_API_SQL_TIMEOUT_S", "120")
    get_settings.cache_clear()
    server = server_for(("ath_1",))
    big = call(server, "query_sql", {"sql": "SELECT string_agg(repeat('x', 1000000), '') FROM range(50)"})
    assert big.is_error is True and "exceeds the limit of 1 MB" in big.content[0].text
    assert len(big.content[0].text) < 1_000 and not big.structured_content
    huge = call(server, "query_sql", {"sql": "SELECT repeat('x', 300000000)"})
    assert huge.is_error is True and "literal length" in huge.content[0].text
    deep = call(server, "query_sql", {"sql": "SELECT " + "(" * 6000 + "1" + ")" * 6000})
    assert deep.is_error is True and "nested too deeply" in deep.content[0].text


def test_race_predictions_tool(marts_home):
    server = server_for(("ath_2",))
    found = ok(call(server, "get_race_predictions", {"target_distance_m": 21097.5}))
    assert found["table"] == "marts.race_predictions"
    assert {(r["athlete_id"], r["target_distance_m"]) for r in found["rows"]} == {("ath_2", 21097.5)}
    assert [r["source_distance_m"] for r in found["rows"]] == [400.0, 1000.0, 5000.0]
    # Riegel was stated for 3.5-230 min: the 400 m source (2:13) lies below it; 1 km (5:33) and 5 km qualify.
    assert [r["riegel_in_range"] for r in found["rows"]] == [False, True, True]
    assert [r["vdot_in_range"] for r in found["rows"]] == [False, False, True]  # VDOT: 1500 m and up
    assert call(server, "get_race_predictions", {"athlete_id": "ath_1"}).is_error is True
