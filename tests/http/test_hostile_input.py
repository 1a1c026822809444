"""Input built to break things: it gets a clear 4xx and leaves every later answer intact."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey

from hold_agent.telnyx.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, public_key_b64, sign
from tests.support.harness import DEMO_CALL, Harness, make_settings, open_harness

pytestmark = pytest.mark.anyio

JSON = {"content-type": "application/json"}


async def post_raw(h: Harness, path: str, raw: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return await h.client.post(path, content=raw, headers=headers or JSON)


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        (
            "/webhooks/telnyx",
            b'{"data":{"event_type":"call.transcription","payload":{"call_control_id":"x","transcript":"hi \\ud83d there"}}}',
        ),
        ("/webhooks/telnyx", b'{"data":{"event_type":"x\\ud800","payload":{}}}'),
        ("/webhooks/telnyx", b"[" * 1500),
        ("/calls/outbound", b"[" * 1500),
        ("/calls/outbound", b'{"to":"+15551234567","objective":"x","target_company":"y","context":{"n":NaN}}'),
        ("/calls/outbound", b'{"to":"+15551234567","objective":"\\udfff","target_company":"y"}'),
        ("/tools/send-dtmf", b'{"digits":"1","reason":"\\ud800"}'),
        ("/tools/hold-detected", b'{"confidence": Infinity}'),
        ("/webhooks/telnyx", b"\xff\xfe\xfd"),
    ],
)
async def test_unencodable_or_runaway_json_is_400(harness: Harness, path: str, raw: bytes) -> None:
    response = await post_raw(harness, path, raw)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_json"


async def test_a_bad_transcript_cannot_poison_the_sessions_api(harness: Harness) -> None:
    h = harness
    created = await h.place_call()
    call = created["call_control_id"]
    await h.webhook("call.answered", call)
    raw = (
        b'{"data":{"event_type":"call.transcription","payload":{"call_control_id":"'
        + call.encode()
        + b'","transcript":"a \\ud83d b"}}}'
    )
    assert (await post_raw(h, "/webhooks/telnyx", raw)).status_code == 400
    assert (await h.client.get("/sessions")).status_code == 200
    assert (await h.client.get(f"/sessions/{created['session_id']}")).status_code == 200


async def test_huge_floats_become_infinity_and_are_refused(harness: Harness) -> None:
    raw = b'{"to":"+15551234567","objective":"x","target_company":"y","context":{"n":1e400}}'
    response = await post_raw(harness, "/calls/outbound", raw)
    assert response.status_code == 422 and response.json()["details"][0]["field"].startswith("context")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**DEMO_CALL, "to": "+1\u0665\u0665\u0665\u0661\u0662\u0663\u0664\u0665\u0666\u0667"}, "to"),
        ({**DEMO_CALL, "to": "+1555123456"}, "to"),
        ({**DEMO_CALL, "to": "+999123456789"}, "to"),
        ({**DEMO_CALL, "context": {"note": "x" * 501}}, "context"),
        ({**DEMO_CALL, "context": {f"f{i}": i for i in range(31)}}, "context"),
        ({**DEMO_CALL, "allowed_digits": "12x"}, "allowed_digits"),
        ({**DEMO_CALL, "target_company": "y" * 201}, "target_company"),
    ],
)
async def test_out_of_bounds_fields_are_named(harness: Harness, body: dict[str, Any], field: str) -> None:
    response = await harness.client.post("/calls/outbound", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["details"][0]["field"].startswith(field)


@pytest.mark.parametrize("digits", [True, -5, 1.5, None, {"d": 1}])
async def test_digits_that_are_not_keys(harness: Harness, digits: Any) -> None:
    await harness.place_call()
    response = await harness.tool("send-dtmf", {"digits": digits})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "digits"


async def test_a_number_is_taken_as_its_digits(harness: Harness) -> None:
    created = await harness.place_call()
    await harness.webhook("call.answered", created["call_control_id"])
    response = await harness.tool("send-dtmf", {"digits": 42})
    assert response.status_code == 200 and response.json()["message"] == "Pressed 4 2."


async def test_json_without_its_content_type_says_so(harness: Harness) -> None:
    response = await harness.client.post(
        "/calls/outbound",
        content=b'{"to": "+15551234567"}',
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["message"]


async def test_oversized_bodies_get_413() -> None:
    h, _ = await open_harness(make_settings(max_body_bytes=2048))
    async with h.client:
        big = {**DEMO_CALL, "objective": "x" * 4000}
        declared = await h.client.post("/calls/outbound", json=big)
        assert declared.status_code == 413 and declared.json()["error"] == "payload_too_large"

        async def chunks() -> Any:
            for _ in range(10):
                yield b" " * 512

        streamed = await h.client.post("/webhooks/telnyx", content=chunks(), headers=JSON)
        assert streamed.status_code == 413
        assert (await h.client.post("/calls/outbound", json=DEMO_CALL)).status_code == 201
    await h.service.aclose()


@pytest.mark.parametrize("timestamp", ["9" * 400, "1_700_000_000", "\u0661\u0667\u0660\u0660", "-5", " ", "1.5e9"])
async def test_malformed_signature_timestamps_are_401(timestamp: str) -> None:
    key = SigningKey.generate()
    h, _ = await open_harness(make_settings(telnyx_public_key=public_key_b64(key)))
    async with h.client:
        body = b'{"data":{"event_type":"call.answered","payload":{"call_control_id":"x"}}}'
        headers = {k.encode(): v.encode() for k, v in {**JSON, **sign(body, key)}.items()}
        headers[TIMESTAMP_HEADER.encode()] = timestamp.encode()
        response = await h.client.post("/webhooks/telnyx", content=body, headers=headers)
        assert response.status_code == 401
        good = {k.encode(): v.encode() for k, v in {**JSON, **sign(body, key, timestamp=int(time.time()))}.items()}
        good[SIGNATURE_HEADER.encode()] = "\u00e9".encode() * 10
        assert (await h.client.post("/webhooks/telnyx", content=body, headers=good)).status_code == 401
    await h.service.aclose()


@pytest.mark.parametrize("header", ["v3:\u00e9t\u00e9", "x" * 300, "{{call_control_id}}"])
async def test_odd_call_id_headers(harness: Harness, header: str) -> None:
    response = await harness.client.post(
        "/tools/end-call", json={}, headers={b"x-telnyx-call-control-id": header.encode("utf-8")}
    )
    assert 400 <= response.status_code < 500


async def test_two_content_types_cannot_smuggle_bad_json(harness: Harness) -> None:
    response = await harness.client.post(
        "/calls/outbound",
        content=b'{"to":"+15551234567","objective":"\\ud800","target_company":"y"}',
        headers=[("content-type", "application/json"), ("content-type", "text/plain")],
    )
    assert response.status_code == 400
