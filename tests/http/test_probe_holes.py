"""The holes issue 11's probe found, each closed: every test here failed before its fix."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from hold_agent.http.logs import QueryRedaction, RepeatLimiter
from tests.support.harness import DEMO_CALL, REAL_MODE, Harness, make_settings, open_harness

pytestmark = pytest.mark.anyio


async def answered(h: Harness) -> tuple[str, str]:
    created = await h.place_call()
    await h.webhook("call.answered", created["call_control_id"])
    return created["session_id"], created["call_control_id"]


async def test_a_401_digit_confidence_is_a_422_not_a_500(harness: Harness) -> None:
    _, call = await answered(harness)
    data = {"transcript": "hello", "is_final": True, "confidence": "HUGE"}
    envelope = {
        "data": {"event_type": "call.transcription", "payload": {"call_control_id": call, "transcription_data": data}}
    }
    body = json.dumps(envelope).replace('"HUGE"', "9" * 401)
    reply = await harness.client.post("/webhooks/telnyx", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 422 and "confidence" in reply.json()["message"]
    for absurd in (1e300, -0.5, 7):
        payload = {"transcription_data": {"transcript": "hello", "is_final": True, "confidence": absurd}}
        assert (await harness.webhook("call.transcription", call, payload)).status_code == 422
    assert (await harness.client.get("/health")).status_code == 200


async def test_a_far_future_occurred_at_is_replaced_by_our_clock(harness: Harness) -> None:
    created = await harness.place_call()
    call = created["call_control_id"]
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert (await harness.webhook("call.answered", call, occurred_at=far)).status_code == 200
    listing = await harness.client.get("/sessions")
    assert listing.status_code == 200
    session = await harness.session(created["session_id"])
    assert session["state"] == "ivr"
    assert any("in the future; our clock used" in note["text"] for note in session["notes"])
    # Later webhooks, on a sane clock, still move the call: the absurd time set no baseline.
    await harness.webhook("call.hold", call, occurred_at=datetime.now(UTC) + timedelta(seconds=1))
    assert (await harness.session(created["session_id"]))["state"] == "hold"
    assert await harness.service.check_timers() == 0


async def test_a_timestamp_from_before_the_call_is_not_believed(harness: Harness) -> None:
    created = await harness.place_call()
    ancient = datetime(1970, 1, 1, tzinfo=UTC)
    await harness.webhook("call.answered", created["call_control_id"], occurred_at=ancient)
    session = await harness.session(created["session_id"])
    assert session["state"] == "ivr" and session["answered_at"] != "1970-01-01T00:00:00Z"
    assert any("before the call; our clock used" in note["text"] for note in session["notes"])
    assert json.dumps(session)  # and the session is still readable


@pytest.mark.parametrize("number", ["+19005551234", "+448712345678", "+447012345678", "+881612345678", "+979123456789"])
async def test_premium_and_special_rate_numbers_are_refused_unless_listed(harness: Harness, number: str) -> None:
    reply = await harness.client.post("/calls/outbound", json={**DEMO_CALL, "to": number})
    assert reply.status_code == 403 and reply.json()["error"] == "special_rate_number"
    assert harness.service.store.active_count() == 0


async def test_a_broad_allowlist_does_not_allow_special_rates() -> None:
    h, _ = await open_harness(make_settings(destination_allowlist="+1"))
    async with h.client:
        reply = await h.client.post("/calls/outbound", json={**DEMO_CALL, "to": "+19005551234"})
        assert reply.status_code == 403 and reply.json()["error"] == "special_rate_number"
        assert (await h.client.post("/calls/outbound", json={**DEMO_CALL, "to": "+12125551234"})).status_code == 201
    await h.service.aclose()


async def test_a_listed_premium_number_may_be_dialled() -> None:
    h, _ = await open_harness(make_settings(destination_allowlist="+1900"))
    async with h.client:
        reply = await h.client.post("/calls/outbound", json={**DEMO_CALL, "to": "+19005551234"})
        assert reply.status_code == 201
        ordinary = await h.client.post("/calls/outbound", json={**DEMO_CALL, "to": "+12125551234"})
        assert ordinary.status_code == 403 and ordinary.json()["error"] == "destination_not_allowed"
    await h.service.aclose()


async def test_the_fake_company_is_off_in_real_mode_unless_asked() -> None:
    from app import build_app

    real = {**REAL_MODE, "allow_insecure": True}
    for settings, served in (
        (make_settings(**real), False),
        (make_settings(**real, fake_company_pages=True), True),
        (make_settings(), True),
    ):
        transport = httpx.ASGITransport(app=build_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
            status = (await client.post("/fake-company/texml")).status_code
        assert (status == 200) is served, (settings.telnyx_dry_run, settings.fake_company_pages, status)


def test_a_token_in_a_query_string_never_reaches_the_access_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/sessions?token=secret-token-123", "1.1", 401),
        None,
    )
    assert QueryRedaction().filter(record)
    assert "secret-token-123" not in record.getMessage() and "/sessions?[query hidden]" in record.getMessage()


def test_one_error_repeated_is_logged_a_few_times_then_summed_up() -> None:
    now = [0.0]
    limiter = RepeatLimiter(burst=3, window=60, clock=lambda: now[0])

    def record() -> logging.LogRecord:
        return logging.LogRecord("asyncio", logging.ERROR, "", 0, "socket.accept() out of system resource", (), None)

    kept = [limiter.filter(record()) for _ in range(1000)]
    assert sum(kept) == 3
    now[0] = 61.0
    summary = record()
    assert limiter.filter(summary) and "997 more like it" in summary.getMessage()
