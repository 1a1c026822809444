"""A flaky Telnyx (respx): 5xx, 429, timeouts and 'call gone' during a real call flow.

Each logical command must reach Telnyx with one command_id (the identical body on every
attempt) and be recorded once, as done or failed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from hold_agent.runtime.retry import Retrier, RetryPolicy
from hold_agent.telnyx.client import HttpCallControl
from tests.support.clock import VirtualTime
from tests.support.harness import REAL_MODE, Harness, make_settings, open_harness

# The whole app over HTTP, with real waits: not in the fast loop.
pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

API = REAL_MODE["telnyx_api_base"]
CALL = "v3:flaky-call"
REAL = make_settings(
    **{**REAL_MODE, "telnyx_api_key": "KEY"}, allow_insecure=True, api_auth_token="api-token-0123456789abcdef"
)


def ok() -> httpx.Response:
    return httpx.Response(200, json={"data": {"result": "ok"}})


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[Harness, respx.MockRouter, VirtualTime]]:
    time = VirtualTime()
    retrier = Retrier(RetryPolicy(attempt_timeout=0.2, deadline=20.0), sleep=time.sleep, monotonic=time.monotonic)
    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post("/calls").mock(return_value=httpx.Response(200, json={"data": {"call_control_id": CALL}}))
        for action in ("ai_assistant_start", "ai_assistant_stop", "transcription_start", "send_dtmf", "hangup"):
            router.post(f"/calls/{CALL}/actions/{action}", name=action).mock(side_effect=lambda request: ok())
        h, _ = await open_harness(REAL, HttpCallControl(API, "KEY"), retrier=retrier)
        async with h.client:
            yield h, router, time
        await h.service.aclose()


def bodies(router: respx.MockRouter, name: str) -> list[dict[str, Any]]:
    return [json.loads(call.request.content) for call in router[name].calls]


async def answered(h: Harness) -> str:
    created = await h.place_call()
    await h.webhook("call.answered", CALL)
    return created["session_id"]


async def command(h: Harness, session_id: str, action: str) -> dict[str, Any]:
    (record,) = [c for c in (await h.session(session_id))["commands"] if c["action"] == action]
    return record


async def test_5xx_then_success(flaky: tuple[Harness, respx.MockRouter, VirtualTime]) -> None:
    h, router, _ = flaky
    router["ai_assistant_start"].side_effect = [httpx.Response(500), httpx.Response(503), ok()]
    session_id = await answered(h)
    sent = bodies(router, "ai_assistant_start")
    assert len(sent) == 3 and sent[0] == sent[1] == sent[2]
    record = await command(h, session_id, "ai_assistant_start")
    assert record["status"] == "ok" and record["attempts"] == 3
    assert (await h.session(session_id))["state"] == "ivr"


async def test_repeated_5xx_past_the_deadline(flaky: tuple[Harness, respx.MockRouter, VirtualTime]) -> None:
    h, router, time = flaky
    session_id = await answered(h)
    router["send_dtmf"].side_effect = lambda request: httpx.Response(503, json={"errors": [{"detail": "busy"}]})
    reply = await h.tool("send-dtmf", {"digits": "1"})
    assert reply.status_code == 502 and "did not go through" in reply.json()["message"]
    sent = bodies(router, "send_dtmf")
    assert len(sent) > 2 and all(body == sent[0] for body in sent)
    assert time.now <= 20.0
    record = await command(h, session_id, "send_dtmf")
    assert record["status"] == "failed" and record["attempts"] == len(sent)
    assert "gave up" in record["result"]
    session = await h.session(session_id)
    assert any("send_dtmf failed" in note["text"] for note in session["notes"])
    assert session["state"] == "ivr"  # a failed keypress does not end the call


async def test_429_with_retry_after(flaky: tuple[Harness, respx.MockRouter, VirtualTime]) -> None:
    h, router, time = flaky
    router["transcription_start"].side_effect = [httpx.Response(429, headers={"Retry-After": "2"}), ok()]
    session_id = await answered(h)
    assert 2.0 in time.sleeps
    assert len(bodies(router, "transcription_start")) == 2
    assert (await command(h, session_id, "transcription_start"))["status"] == "ok"


async def test_timeout_then_answer(flaky: tuple[Harness, respx.MockRouter, VirtualTime]) -> None:
    h, router, _ = flaky
    session_id = await answered(h)
    sent: list[dict[str, Any]] = []

    async def slow_first(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        if len(sent) == 1:
            await asyncio.sleep(5)  # longer than the attempt timeout: the retrier re-sends
        return ok()

    router["hangup"].side_effect = slow_first
    reply = await h.tool("end-call", {"reason": "done"})
    assert reply.json()["ok"] is True
    assert len(sent) == 2 and sent[0] == sent[1]
    record = await command(h, session_id, "hangup")
    assert record["status"] == "ok" and record["attempts"] == 2


async def test_call_gone_stops_retrying_and_ends_the_session(
    flaky: tuple[Harness, respx.MockRouter, VirtualTime],
) -> None:
    h, router, _ = flaky
    session_id = await answered(h)
    router["send_dtmf"].side_effect = lambda request: httpx.Response(
        422, json={"errors": [{"code": "90018", "title": "Call has already ended"}]}
    )
    reply = await h.tool("send-dtmf", {"digits": "1"})
    assert reply.json()["ok"] is False and "no longer connected" in reply.json()["message"]
    assert len(bodies(router, "send_dtmf")) == 1
    session = await h.session(session_id)
    assert session["state"] == "ended" and session["outcome"] == "disconnected"
    before = len(router.calls)
    await h.webhook("call.hold", CALL)
    assert len(router.calls) == before


async def test_dial_is_retried_with_the_same_command_id(flaky: tuple[Harness, respx.MockRouter, VirtualTime]) -> None:
    h, router, _ = flaky
    dial = router.routes[0]
    dial.side_effect = [httpx.Response(502), httpx.Response(200, json={"data": {"call_control_id": CALL}})]
    created = await h.place_call()
    assert created["call_control_id"] == CALL
    sent = [json.loads(call.request.content) for call in dial.calls]
    assert len(sent) == 2 and sent[0] == sent[1]
    assert len((await h.client.get("/sessions")).json()["sessions"]) == 1


async def test_every_command_of_a_flaky_call_is_delivered_once_each(
    flaky: tuple[Harness, respx.MockRouter, VirtualTime],
) -> None:
    """Every action fails its first attempt; the whole call still completes."""
    h, router, _ = flaky
    seen: set[str] = set()

    def first_attempt_fails(request: httpx.Request) -> httpx.Response:
        command_id = json.loads(request.content)["command_id"]
        if command_id not in seen:
            seen.add(command_id)
            return httpx.Response(500)
        return ok()

    for name in ("ai_assistant_start", "ai_assistant_stop", "transcription_start", "send_dtmf", "hangup"):
        router[name].side_effect = first_attempt_fails
    session_id = await answered(h)
    await h.tool("send-dtmf", {"digits": "1"})
    await h.tool("hold-detected", {"reason": "music"})
    await h.transcript(CALL, "Hi, this is Sarah with reservations, how can I help you?")
    await h.tool("end-call", {"reason": "booked"})
    session = await h.session(session_id)
    assert session["state"] == "ended" and session["outcome"] == "completed"
    assert all(c["status"] == "ok" and c["attempts"] == 2 for c in session["commands"])
    ids = [c["command_id"] for c in session["commands"]]
    assert sorted(ids) == sorted(seen) and len(ids) == len(set(ids)) == 6


async def test_webhooks_do_not_wait_for_a_slow_api() -> None:
    """With Telnyx not answering at all, webhooks are still answered; commands wait."""
    release = asyncio.Event()

    async def stuck(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return ok()

    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post("/calls").mock(return_value=httpx.Response(200, json={"data": {"call_control_id": CALL}}))
        router.post(url__regex=r"/actions/").mock(side_effect=stuck)
        retrier = Retrier(RetryPolicy(attempt_timeout=60, deadline=60))
        h, _ = await open_harness(REAL, HttpCallControl(API, "KEY"), retrier=retrier)
        async with h.client:
            created = await h.place_call()
            answer = await asyncio.wait_for(
                h.client.post(
                    "/webhooks/telnyx",
                    json={"data": {"event_type": "call.answered", "id": "a", "payload": {"call_control_id": CALL}}},
                ),
                timeout=5,
            )
            assert answer.status_code == 200 and answer.json()["state"] == "ivr"
            hold = await asyncio.wait_for(
                h.client.post(
                    "/webhooks/telnyx",
                    json={"data": {"event_type": "call.hold", "id": "b", "payload": {"call_control_id": CALL}}},
                ),
                timeout=5,
            )
            assert hold.json()["state"] == "hold"
            session = await h.session(created["session_id"])
            assert [c["status"] for c in session["commands"]] == ["pending", "pending", "pending"]
            release.set()
            await h.settle()
            session = await h.session(created["session_id"])
            assert [c["status"] for c in session["commands"]] == ["ok", "ok", "ok"]
        await h.service.aclose()


@pytest.fixture
async def stubborn() -> AsyncIterator[tuple[Harness, respx.MockRouter]]:
    """Telnyx refuses ai_assistant_start with 503 forever; retries run on a real (short) clock."""
    retrier = Retrier(RetryPolicy(attempt_timeout=1.0, base_delay=0.02, max_delay=0.02, deadline=30.0))
    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post("/calls").mock(return_value=httpx.Response(200, json={"data": {"call_control_id": CALL}}))
        router.post(f"/calls/{CALL}/actions/ai_assistant_start", name="ai_assistant_start").mock(
            side_effect=lambda request: httpx.Response(503)
        )
        for action in ("transcription_start", "hangup"):
            router.post(f"/calls/{CALL}/actions/{action}", name=action).mock(side_effect=lambda request: ok())
        h, _ = await open_harness(REAL, HttpCallControl(API, "KEY"), retrier=retrier)
        async with h.client:
            yield h, router
        await h.service.aclose()


async def test_a_hangup_does_not_wait_behind_retries_and_stops_them(stubborn: tuple[Harness, respx.MockRouter]) -> None:
    h, router = stubborn
    created = await h.place_call()
    await h.client.post(
        "/webhooks/telnyx", json={"data": {"event_type": "call.answered", "payload": {"call_control_id": CALL}}}
    )
    while len(router["ai_assistant_start"].calls) < 3:  # the start is being retried
        await asyncio.sleep(0.01)
    reply = await asyncio.wait_for(h.client.post("/tools/end-call", json={"reason": "changed my mind"}), timeout=2)
    assert reply.status_code == 200 and reply.json()["ok"] is True
    assert len(router["hangup"].calls) == 1
    await asyncio.wait_for(h.settle(), timeout=2)  # the retries stop instead of running to their deadline
    attempts = len(router["ai_assistant_start"].calls)
    await asyncio.sleep(0.1)
    assert len(router["ai_assistant_start"].calls) == attempts
    start = await command(h, created["session_id"], "ai_assistant_start")
    assert start["status"] == "skipped" and "retries stopped" in start["result"]


async def test_a_tool_answers_within_its_bound_when_telnyx_is_slow(stubborn: tuple[Harness, respx.MockRouter]) -> None:
    h, router = stubborn
    h.service.tool_wait_seconds = 0.2
    await h.place_call()
    await h.client.post(
        "/webhooks/telnyx", json={"data": {"event_type": "call.answered", "payload": {"call_control_id": CALL}}}
    )
    router.post(f"/calls/{CALL}/actions/send_dtmf").mock(side_effect=lambda request: httpx.Response(503))
    reply = await asyncio.wait_for(h.client.post("/tools/send-dtmf", json={"digits": "1"}), timeout=2)
    assert reply.status_code == 202 and reply.json()["ok"] is False
    assert "may still go through" in reply.json()["message"]
    await h.client.post("/tools/end-call", json={})


async def test_a_404_that_may_not_mean_the_call_still_hangs_up(
    flaky: tuple[Harness, respx.MockRouter, VirtualTime],
) -> None:
    h, router, _ = flaky
    router["ai_assistant_start"].side_effect = lambda request: httpx.Response(
        404, json={"errors": [{"detail": "Assistant not found"}]}
    )
    session_id = await answered(h)
    session = await h.session(session_id)
    assert session["state"] == "ended" and session["outcome"] == "disconnected"
    assert len(router["hangup"].calls) == 1
    assert h.service.store.active_count() == 0


def test_retry_after_zero_still_backs_off() -> None:
    import asyncio as aio

    from hold_agent.telnyx.client import CallControlError

    time = VirtualTime()
    calls = 0

    async def send() -> str:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise CallControlError("slow down", status=429, retry_after=0.0)
        return "ok"

    retrier = Retrier(RetryPolicy(base_delay=0.25), sleep=time.sleep, monotonic=time.monotonic, jitter=lambda: 0.0)
    assert aio.run(retrier.run(send)).ok
    assert time.sleeps == [0.125, 0.25, 0.5]
