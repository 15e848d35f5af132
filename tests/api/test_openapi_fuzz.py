"""OpenAPI-driven fuzzing (schemathesis): whatever the generated input, no endpoint answers 5xx.

Runs on a snapshot that includes the marts, so a 503 "not built yet" cannot hide a crash; bounded to a
few examples per operation to stay well under a minute. Every date parameter is also fed hostile dates
(outside the supported range, the ends of the calendar with time-zone offsets, text after a valid date):
each must be refused with a 4xx in the error envelope.
"""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta, timezone

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from query.dates import MAX_DATE, MIN_DATE

pytestmark = pytest.mark.slow

_offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda minutes: timezone(timedelta(minutes=minutes)))
_out_of_range_dates = st.one_of(
    st.dates(max_value=MIN_DATE - timedelta(days=1)), st.dates(min_value=MAX_DATE + timedelta(days=1))
)
_out_of_range_times = st.one_of(
    st.datetimes(max_value=datetime(MIN_DATE.year - 1, 12, 31, 23, 59), timezones=_offsets),
    st.datetimes(min_value=datetime(MAX_DATE.year + 1, 1, 1), timezones=_offsets),
)
_valid_dates = st.dates(min_value=MIN_DATE, max_value=MAX_DATE).map(date.isoformat)
_garbage = st.text(
    alphabet=string.ascii_letters + string.punctuation.replace("-", ""), min_size=1, max_size=12
)
HOSTILE_DATES = st.one_of(
    st.sampled_from(
        [
            "9999-12-31",
            "0001-01-01",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "2024-01-01garbage",
            "2024-02-30",
            "0000-01-01",
        ]
    ),
    _out_of_range_dates.map(date.isoformat),
    _out_of_range_times.map(datetime.isoformat),
    st.builds(str.__add__, _valid_dates, _garbage),
)


def _date_parameters(operation) -> list[str]:
    """Query parameters whose schema is a date or date-time (also inside anyOf)."""
    found = []
    for parameter in operation.definition.raw.get("parameters", []):
        text = str(parameter.get("schema", {}))
        if parameter.get("in") == "query" and ("'date'" in text or "'date-time'" in text):
            found.append(parameter["name"])
    return found


def test_no_server_errors(marts_home):
    app_settings, keys = marts_home
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(app_settings, rate_limit_per_minute=None)
    )
    headers = keys.auth(keys.ath_1)
    operations = [result.ok() for result in schema.get_all_operations()]
    # export is exercised by the round-trip tests; fuzzing a ZIP download adds nothing but time.
    operations = [op for op in operations if op.path != "/v1/export"]
    assert len(operations) >= 18
    dated = [op for op in operations if _date_parameters(op)]
    assert len(dated) >= 12, [op.path for op in dated]
    for operation in operations:
        date_parameters = _date_parameters(operation)

        @given(
            case=operation.as_strategy(),
            hostile=HOSTILE_DATES,
            which=st.sampled_from(date_parameters or [None]),
        )
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_5xx(case, hostile, which):
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                case.query,
                response.text[:300],
            )
            if response.status_code >= 400:
                assert set(response.json()["error"]) == {"code", "message", "details"}
            if which is None:
                return
            case.query = {**(case.query or {}), which: hostile}
            response = case.call(headers=headers)
            assert 400 <= response.status_code < 500, (case.formatted_path, case.query, response.text[:300])
            assert set(response.json()["error"]) == {"code", "message", "details"}

        no_5xx()
