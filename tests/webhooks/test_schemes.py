"""The verification schemes: the generic HMAC helpers (RFC 4231 vector), WHOOP's base64/milliseconds scheme,
Oura's upper-case hex of timestamp + body, Strava's unsigned subscription check, and the handshakes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from ingestion.registry import discover
from ingestion.sources.whoop.webhook import SIGNATURE_HEADER as WHOOP_SIGNATURE_HEADER
from ingestion.sources.whoop.webhook import TIMESTAMP_HEADER as WHOOP_TIMESTAMP_HEADER
from ingestion.webhooks.schemes import (
    WebhookRejected,
    WebhookRequest,
    hmac_sha256,
    is_fresh,
    sign_timestamped,
    verify_timestamped_hmac,
)

from .conftest import OURA_SECRET, STRAVA_SUBSCRIPTION, VERIFY_TOKEN, oura_event, oura_request, strava_event

# RFC 4231, test case 2: HMAC-SHA256(key="Jefe", "what do ya want for nothing?")
RFC4231_KEY, RFC4231_DATA = b"Jefe", b"what do ya want for nothing?"
RFC4231_HEX = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def _post(body: bytes, headers: dict[str, str]) -> WebhookRequest:
    return WebhookRequest("POST", {k.lower(): v for k, v in headers.items()}, {}, body)


def test_hmac_helpers_match_rfc4231() -> None:
    assert hmac_sha256(RFC4231_KEY, RFC4231_DATA) == RFC4231_HEX
    assert hmac_sha256(RFC4231_KEY, RFC4231_DATA, "hex_upper") == RFC4231_HEX.upper()
    assert (
        hmac_sha256(RFC4231_KEY, RFC4231_DATA, "base64")
        == base64.b64encode(bytes.fromhex(RFC4231_HEX)).decode()
    )
    # timestamp + body: the timestamp is a prefix of the signed message
    assert sign_timestamped(RFC4231_KEY, "what do ya ", b"want for nothing?") == RFC4231_HEX


def test_timestamped_hmac_accepts_and_rejects() -> None:
    body, ts = b'{"a": 1}', str(int(time.time()))
    good = sign_timestamped("s3cret", ts, body)
    verified = verify_timestamped_hmac("s3cret", body, ts, good)
    assert verified.sent_at == float(ts) and len(verified.delivery_key) == 64
    # the same signature is the same delivery (the replay key), another body another
    assert verify_timestamped_hmac("s3cret", body, ts, good.upper()).delivery_key == verified.delivery_key
    for secret, b, t, sig in (
        ("other", body, ts, good),  # wrong secret
        ("s3cret", b'{"a": 2}', ts, good),  # tampered body
        ("s3cret", body, str(int(ts) + 1), good),  # tampered timestamp
        ("s3cret", body, ts, None),  # no signature
        ("s3cret", body, None, good),  # no timestamp
        (None, body, ts, good),  # no secret configured
        ("s3cret", body, "yesterday", good),
    ):
        with pytest.raises(WebhookRejected) as excinfo:
            verify_timestamped_hmac(secret, b, t, sig)
        assert "s3cret" not in str(excinfo.value) and good not in str(excinfo.value)


def test_whoop_scheme_base64_of_ms_timestamp_and_body(home, monkeypatch) -> None:
    secret = "whoop-client-secret"
    monkeypatch.setenv("OPENFIT_WHOOP_CLIENT_SECRET", secret)
    webhook = discover()["whoop"].webhook
    body = json.dumps(
        {
            "user_id": 10129,
            "id": "ecfc6a15-4661-442f-a9a4-f160dd7afae8",
            "type": "recovery.updated",
            "trace_id": "e369c784-5100-49e8-8098-75d35c47b31b",
        }
    ).encode()
    ts_ms = str(int(time.time() * 1000))
    # computed independently of the helpers
    signature = base64.b64encode(
        hmac.new(secret.encode(), ts_ms.encode() + body, hashlib.sha256).digest()
    ).decode()
    request = _post(body, {WHOOP_SIGNATURE_HEADER: signature, WHOOP_TIMESTAMP_HEADER: ts_ms})
    verified = webhook.verify(request)
    assert verified.sent_at == pytest.approx(int(ts_ms) / 1000)
    assert is_fresh(verified.sent_at)
    [note] = webhook.parse(request)
    assert (note.provider_user_id, note.data_type, note.event_type) == (
        "10129",
        "recovery",
        "recovery.updated",
    )
    assert webhook.collections(frozenset({"recovery", "workout"})) == ("cycle", "recovery", "workout")
    assert webhook.collections(frozenset({"unknown"})) == ()
    hex_signature = hmac_sha256(secret, ts_ms.encode() + body)  # hex is not WHOOP's encoding
    for bad in (hex_signature, base64.b64encode(b"x" * 32).decode()):
        with pytest.raises(WebhookRejected):
            webhook.verify(_post(body, {WHOOP_SIGNATURE_HEADER: bad, WHOOP_TIMESTAMP_HEADER: ts_ms}))
    with pytest.raises(WebhookRejected):  # a timestamp in seconds is not WHOOP's unit: far in the past
        webhook.verify(_post(body, {WHOOP_SIGNATURE_HEADER: signature, WHOOP_TIMESTAMP_HEADER: ts_ms[:-3]}))
    monkeypatch.setenv("OPENFIT_WHOOP_CLIENT_SECRET", "another-secret")
    with pytest.raises(WebhookRejected):
        webhook.verify(request)


def test_oura_scheme(home) -> None:
    webhook = discover()["oura"].webhook
    body, headers = oura_request(oura_event())
    verified = webhook.verify(_post(body, headers))
    assert verified.sent_at == float(headers["x-oura-timestamp"])
    # computed independently: upper-case hex HMAC-SHA256(client secret, timestamp + body)
    expected = hmac.new(OURA_SECRET.encode(), headers["x-oura-timestamp"].encode() + body, hashlib.sha256)
    assert headers["x-oura-signature"] == expected.hexdigest().upper()
    [note] = webhook.parse(_post(body, headers))
    assert (note.provider_user_id, note.data_type, note.object_id, note.event_type) == (
        "oura-user-0001",
        "sleep",
        "obj-1",
        "update",
    )
    forged_body, forged = oura_request(oura_event(), secret="not-the-client-secret")
    with pytest.raises(WebhookRejected):
        webhook.verify(_post(forged_body, forged))
    with pytest.raises(WebhookRejected):  # a valid signature over another body
        webhook.verify(_post(body.replace(b"sleep", b"workout"), headers))
    assert webhook.collections(frozenset({"sleep", "tag", "daily_activity"})) == ("daily_activity", "sleep")
    assert webhook.collections(frozenset({"tag"})) == ()


def test_oura_handshake(home) -> None:
    handshake = discover()["oura"].webhook.handshake
    assert handshake({"verification_token": VERIFY_TOKEN, "challenge": "c-123"}) == {"challenge": "c-123"}
    for query in (
        {"verification_token": "wrong", "challenge": "c"},
        {"challenge": "c"},
        {"verification_token": VERIFY_TOKEN},
    ):
        with pytest.raises(WebhookRejected):
            handshake(query)


def test_strava_scheme(home, monkeypatch) -> None:
    webhook = discover()["strava"].webhook
    event = strava_event()
    body = json.dumps(event).encode()
    verified = webhook.verify(_post(body, {}))
    assert verified.sent_at == event["event_time"]
    # key order does not make another delivery: the event is its identity
    reordered = json.dumps(dict(reversed(list(event.items())))).encode()
    assert webhook.verify(_post(reordered, {})).delivery_key == verified.delivery_key
    [note] = webhook.parse(_post(body, {}))
    assert (note.provider_user_id, note.data_type, note.event_type) == ("4242001", "activity", "create")
    with pytest.raises(WebhookRejected):  # another application's subscription
        webhook.verify(_post(json.dumps(strava_event(subscription_id=STRAVA_SUBSCRIPTION + 1)).encode(), {}))
    with pytest.raises(WebhookRejected):
        webhook.verify(_post(b'{"object_type": "activity"}', {}))
    with pytest.raises(WebhookRejected):
        webhook.verify(_post(b"not json", {}))
    monkeypatch.delenv("OPENFIT_STRAVA_WEBHOOK_SUBSCRIPTION_ID")
    with pytest.raises(WebhookRejected):  # nothing configured: nothing accepted
        webhook.verify(_post(body, {}))
    assert webhook.collections(frozenset({"activity"})) is None


def test_strava_handshake(home) -> None:
    handshake = discover()["strava"].webhook.handshake
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "15f7d1a91c1f40f8a748fd134752feb3",
    }
    assert handshake(query) == {"hub.challenge": "15f7d1a91c1f40f8a748fd134752feb3"}
    for bad in ({**query, "hub.verify_token": "nope"}, {**query, "hub.mode": "unsubscribe"}):
        with pytest.raises(WebhookRejected):
            handshake(bad)


def test_freshness_window() -> None:
    now = time.time()
    assert is_fresh(now - 299, now) and is_fresh(now + 299, now) and is_fresh(None, now)
    assert not is_fresh(now - 301, now) and not is_fresh(now + 301, now)


def test_oura_loaded_data_types_are_oura_webhook_data_types(shared_fixtures) -> None:
    """Every data type the scheme maps to a collection is one Oura's API description lists for webhooks."""
    from ingestion.sources.oura.webhook import LOADED_DATA_TYPES

    spec_path = shared_fixtures / "api" / "oura" / "ex_oura" / "openapi" / "openapi-1.29.json"
    if not spec_path.exists():
        pytest.skip("the Oura API description is not in ../shared/fixtures")
    spec = json.loads(spec_path.read_text())
    data_types = set(spec["components"]["schemas"]["ExtApiV2DataType"]["enum"])
    assert set(LOADED_DATA_TYPES) <= data_types
    subscription = spec["components"]["schemas"]["CreateWebhookSubscriptionRequest"]
    assert {"callback_url", "verification_token", "event_type", "data_type"} <= set(subscription["required"])
