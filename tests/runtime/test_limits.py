"""Allowlist, rate limits, per-call key policy, watchdogs and eviction, through the API."""

from __future__ import annotations

import pytest

from hold_agent.telnyx.bodies import encode_client_state
from tests.support.harness import DEMO_CALL, Harness, make_settings, open_harness

pytestmark = pytest.mark.anyio


async def test_destination_allowlist() -> None:
    h, _ = await open_harness(make_settings(destination_allowlist="+1555123, +442071838750"))
    async with h.client:
        assert (await h.client.post("/calls/outbound", json=DEMO_CALL)).status_code == 201
        exact = await h.client.post("/calls/outbound", json={**DEMO_CALL, "to": "+442071838750"})
        assert exact.status_code == 201
        refused = await h.client.post("/calls/outbound", json={**DEMO_CALL, "to": "+15559876543"})
        assert refused.status_code == 403 and refused.json()["error"] == "destination_not_allowed"
        assert len(h.telnyx.sent("dial")) == 2
        assert (await h.client.get("/sessions")).json()["count"] == 2  # nothing recorded for the refusal
    await h.service.aclose()


def test_allowlist_entries_must_be_numbers_or_prefixes() -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        make_settings(destination_allowlist="+1555, 1800")


async def test_concurrent_call_limit() -> None:
    h, _ = await open_harness(make_settings(max_concurrent_calls=2))
    async with h.client:
        first = await h.place_call()
        await h.place_call()
        refused = await h.client.post("/calls/outbound", json=DEMO_CALL)
        assert refused.status_code == 429 and refused.json()["error"] == "too_many_active_calls"
        assert int(refused.headers["retry-after"]) > 0
        await h.webhook("call.hangup", first["call_control_id"], {"hangup_cause": "normal_clearing"})
        assert (await h.client.post("/calls/outbound", json=DEMO_CALL)).status_code == 201
        assert len(h.telnyx.sent("dial")) == 3
    await h.service.aclose()


async def test_calls_per_minute_limit() -> None:
    h, _ = await open_harness(make_settings(max_calls_per_minute=2))
    async with h.client:
        await h.place_call()
        h.clock.advance(20)
        await h.place_call()
        h.clock.advance(10)
        refused = await h.client.post("/calls/outbound", json=DEMO_CALL)
        assert refused.status_code == 429 and refused.json()["error"] == "too_many_calls_per_minute"
        assert refused.headers["retry-after"] == "30"
        h.clock.advance(30)
        assert (await h.client.post("/calls/outbound", json=DEMO_CALL)).status_code == 201
    await h.service.aclose()


async def test_per_call_key_policy(harness: Harness) -> None:
    h = harness
    created = await h.place_call(allowed_digits="123#")
    await h.webhook("call.answered", created["call_control_id"])
    assert (await h.tool("send-dtmf", {"digits": "1w2#"})).status_code == 200
    refused = await h.tool("send-dtmf", {"digits": "9"})
    assert refused.status_code == 422
    assert refused.json()["message"] == "This call is not allowed to press 9."
    assert [r.body["digits"] for r in h.telnyx.sent("send_dtmf")] == ["1w2#"]


@pytest.mark.parametrize(
    ("setting", "steps", "outcome"),
    [
        ("max_ivr_seconds", ["answer"], "ivr_timeout"),
        ("max_hold_seconds", ["answer", "hold"], "hold_timeout"),
        ("max_call_seconds", [], "call_timeout"),
        ("max_call_seconds", ["answer", "hold", "unhold"], "call_timeout"),
    ],
)
async def test_watchdogs_hang_up_stuck_calls(setting: str, steps: list[str], outcome: str) -> None:
    h, _ = await open_harness(make_settings(**{setting: 300}))
    async with h.client:
        created = await h.place_call()
        call = created["call_control_id"]
        for event in steps:
            await h.webhook({"answer": "call.answered", "hold": "call.hold", "unhold": "call.unhold"}[event], call)
        h.clock.advance(299)
        assert await h.service.check_timers() == 0
        h.clock.advance(1)
        assert await h.service.check_timers() == 1
        await h.settle()
        session = await h.session(created["session_id"])
        assert session["state"] == "ended" and session["outcome"] == outcome
        assert h.telnyx.sent()[-1].path.endswith("/hangup")
        assert await h.service.check_timers() == 0  # once
    await h.service.aclose()


async def test_ended_sessions_are_forgotten_after_retention() -> None:
    h, _ = await open_harness(make_settings(session_retention_seconds=600))
    async with h.client:
        old = await h.place_call()
        await h.webhook("call.hangup", old["call_control_id"], {"hangup_cause": "user_busy"})
        active = await h.place_call()
        h.clock.advance(601)
        await h.service.check_timers()
        assert (await h.client.get(f"/sessions/{old['session_id']}")).status_code == 404
        assert (await h.client.get(f"/sessions/{active['session_id']}")).status_code == 200
        late = await h.webhook("call.hangup", old["call_control_id"])
        assert late.json()["status"] == "ignored"
    await h.service.aclose()


async def test_assistant_start_failure_is_retried_once_then_the_call_ends(harness: Harness) -> None:
    h = harness
    created = await h.place_call()
    call = created["call_control_id"]
    await h.webhook("call.answered", call)
    failed = {"reason": "service_error", "client_state": encode_client_state(created["session_id"], "ivr")}
    await h.webhook("call.conversation.start_failed", call, failed, event_id="f1")
    assert len(h.telnyx.sent("ai_assistant_start")) == 2
    assert (await h.session(created["session_id"]))["state"] == "ivr"
    await h.webhook("call.conversation.start_failed", call, failed, event_id="f2")
    session = await h.session(created["session_id"])
    assert session["state"] == "ended" and session["outcome"] == "assistant_failed"
    assert h.telnyx.sent()[-1].path.endswith("/hangup")


async def test_a_webhook_from_the_future_does_not_stop_eviction() -> None:
    from datetime import timedelta

    h, _ = await open_harness(make_settings(session_retention_seconds=600))
    async with h.client:
        odd = await h.place_call()
        await h.webhook("call.hangup", odd["call_control_id"], occurred_at=h.clock.now + timedelta(days=365 * 900))
        normal = await h.place_call()
        await h.webhook("call.hangup", normal["call_control_id"])
        h.clock.advance(601)
        await h.service.check_timers()
        assert len(h.service.store) == 0
    await h.service.aclose()


async def test_a_session_is_not_evicted_while_its_dial_is_in_flight() -> None:
    import asyncio
    from typing import Any

    from hold_agent.telnyx.client import DialResult
    from hold_agent.telnyx.dry_run import DryRunCallControl

    release = asyncio.Event()

    class SlowDial(DryRunCallControl):
        async def dial(self, body: dict[str, Any]) -> DialResult:
            await release.wait()
            return await super().dial(body)

    h, _ = await open_harness(make_settings(session_retention_seconds=0), SlowDial())
    async with h.client:
        placing = asyncio.create_task(h.client.post("/calls/outbound", json=DEMO_CALL))
        while not h.service.store.active():
            await asyncio.sleep(0)
        await h.client.post("/tools/end-call", json={"reason": "never mind"})
        h.clock.advance(5)
        await h.service.check_timers()
        release.set()
        created = await placing
        assert created.status_code == 201
        await h.settle()
        assert [r.path.rsplit("/", 1)[-1] for r in h.telnyx.sent()] == ["calls", "hangup"]
    await h.service.aclose()
