"""A flaky Telnyx: 5xx, 429, timeouts and 'call gone' during a real call flow.

The real client (HttpCallControl) talks over HTTP to the Telnyx stand-in, which answers from
the shared Call Control model; each test puts the failures it needs in front of one action
(`TelnyxStandIn.before`). Each logical command must reach Telnyx with one command_id (the
identical body on every attempt) and be recorded once, as done or failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.responses import JSONResponse

from fake_company.telnyx_api import Hook, TelnyxStandIn, failure
from hold_agent.runtime.retry import Retrier, RetryPolicy
from hold_agent.telnyx.client import HttpCallControl
from tests.support.clock import VirtualTime
from tests.support.harness import REAL_MODE, Harness, make_settings, open_harness

# The whole app over HTTP, with real waits: not in the fast loop.
pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

API = REAL_MODE["telnyx_api_base"]
REAL = make_settings(
    **{**REAL_MODE, "telnyx_api_key": "KEY"}, allow_insecure=True, api_auth_token="api-token-0123456789abcdef"
)


@dataclass
class Flaky:
    h: Harness
    telnyx: TelnyxStandIn
    time: VirtualTime

    def bodies(self, action: str) -> list[dict[str, Any]]:
        """Every attempt of `action` that reached Telnyx, in order."""
        return [r.body for r in self.telnyx.requests if r.action == action]


def in_turn(*answers: JSONResponse | None) -> Hook:
    """Answer the first attempts with these (None: let Telnyx answer), then let Telnyx answer."""
    queue = list(answers)

    async def hook(body: dict[str, Any]) -> JSONResponse | None:
        return queue.pop(0) if queue else None

    return hook


def always(make: Any) -> Hook:
    async def hook(body: dict[str, Any]) -> JSONResponse | None:
        answer: JSONResponse = make()
        return answer

    return hook


async def _open(retrier: Retrier) -> tuple[Harness, TelnyxStandIn]:
    telnyx = TelnyxStandIn(api_key="KEY")
    transport = httpx.ASGITransport(app=telnyx.app)
    h, _ = await open_harness(REAL, HttpCallControl(API, "KEY", transport=transport), retrier=retrier)
    return h, telnyx


@pytest.fixture
async def flaky() -> AsyncIterator[Flaky]:
    time = VirtualTime()
    retrier = Retrier(RetryPolicy(attempt_timeout=0.2, deadline=20.0), sleep=time.sleep, monotonic=time.monotonic)
    h, telnyx = await _open(retrier)
    async with h.client:
        yield Flaky(h, telnyx, time)
    await h.service.aclose()


async def answered(h: Harness) -> tuple[str, str]:
    """(session id, call control id) of a call placed and answered."""
    created = await h.place_call()
    await h.webhook("call.answered", created["call_control_id"])
    return created["session_id"], created["call_control_id"]


async def command(h: Harness, session_id: str, action: str) -> dict[str, Any]:
    (record,) = [c for c in (await h.session(session_id))["commands"] if c["action"] == action]
    return record


async def test_5xx_then_success(flaky: Flaky) -> None:
    flaky.telnyx.before["ai_assistant_start"] = in_turn(failure(500), failure(503))
    session_id, _ = await answered(flaky.h)
    sent = flaky.bodies("ai_assistant_start")
    assert len(sent) == 3 and sent[0] == sent[1] == sent[2]
    record = await command(flaky.h, session_id, "ai_assistant_start")
    assert record["status"] == "ok" and record["attempts"] == 3
    assert (await flaky.h.session(session_id))["state"] == "ivr"


async def test_repeated_5xx_past_the_deadline(flaky: Flaky) -> None:
    session_id, _ = await answered(flaky.h)
    flaky.telnyx.before["send_dtmf"] = always(lambda: failure(503, "busy"))
    reply = await flaky.h.tool("send-dtmf", {"digits": "1"})
    assert reply.status_code == 502 and "did not go through" in reply.json()["message"]
    sent = flaky.bodies("send_dtmf")
    assert len(sent) > 2 and all(body == sent[0] for body in sent)
    assert flaky.time.now <= 20.0
    record = await command(flaky.h, session_id, "send_dtmf")
    assert record["status"] == "failed" and record["attempts"] == len(sent)
    assert "gave up" in record["result"]
    session = await flaky.h.session(session_id)
    assert any("send_dtmf failed" in note["text"] for note in session["notes"])
    assert session["state"] == "ivr"  # a failed keypress does not end the call


async def test_429_with_retry_after(flaky: Flaky) -> None:
    flaky.telnyx.before["transcription_start"] = in_turn(failure(429, headers={"Retry-After": "2"}))
    session_id, _ = await answered(flaky.h)
    assert 2.0 in flaky.time.sleeps
    assert len(flaky.bodies("transcription_start")) == 2
    assert (await command(flaky.h, session_id, "transcription_start"))["status"] == "ok"


async def test_timeout_then_answer(flaky: Flaky) -> None:
    session_id, _ = await answered(flaky.h)
    attempts = 0

    async def slow_first(body: dict[str, Any]) -> JSONResponse | None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await asyncio.sleep(5)  # longer than the attempt timeout: the retrier re-sends
        return None

    flaky.telnyx.before["hangup"] = slow_first
    reply = await flaky.h.tool("end-call", {"reason": "done"})
    assert reply.json()["ok"] is True
    sent = flaky.bodies("hangup")
    assert len(sent) == 2 and sent[0] == sent[1]
    record = await command(flaky.h, session_id, "hangup")
    assert record["status"] == "ok" and record["attempts"] == 2


async def test_call_gone_stops_retrying_and_ends_the_session(flaky: Flaky) -> None:
    session_id, call = await answered(flaky.h)
    flaky.telnyx.before["send_dtmf"] = always(lambda: failure(422, "Call has already ended", code="90018"))
    reply = await flaky.h.tool("send-dtmf", {"digits": "1"})
    assert reply.json()["ok"] is False and "no longer connected" in reply.json()["message"]
    assert len(flaky.bodies("send_dtmf")) == 1
    session = await flaky.h.session(session_id)
    assert session["state"] == "ended" and session["outcome"] == "disconnected"
    before = len(flaky.telnyx.requests)
    await flaky.h.webhook("call.hold", call)
    assert len(flaky.telnyx.requests) == before


async def test_dial_is_retried_with_the_same_command_id(flaky: Flaky) -> None:
    flaky.telnyx.before["dial"] = in_turn(failure(502))
    created = await flaky.h.place_call()
    assert created["call_control_id"] in flaky.telnyx.calls
    sent = flaky.bodies("dial")
    assert len(sent) == 2 and sent[0] == sent[1]
    assert len(flaky.telnyx.calls) == 1
    assert len((await flaky.h.client.get("/sessions")).json()["sessions"]) == 1


async def test_every_command_of_a_flaky_call_is_delivered_once_each(flaky: Flaky) -> None:
    """Every action fails its first attempt; the whole call still completes."""
    seen: set[str] = set()

    async def first_attempt_fails(body: dict[str, Any]) -> JSONResponse | None:
        if body["command_id"] not in seen:
            seen.add(body["command_id"])
            return failure(500)
        return None

    for action in ("ai_assistant_start", "ai_assistant_stop", "transcription_start", "send_dtmf", "hangup"):
        flaky.telnyx.before[action] = first_attempt_fails
    session_id, call = await answered(flaky.h)
    await flaky.h.tool("send-dtmf", {"digits": "1"})
    await flaky.h.tool("hold-detected", {"reason": "music"})
    await flaky.h.transcript(call, "Hi, this is Sarah with reservations, how can I help you?")
    await flaky.h.tool("end-call", {"reason": "booked"})
    session = await flaky.h.session(session_id)
    assert session["state"] == "ended" and session["outcome"] == "completed"
    assert all(c["status"] == "ok" and c["attempts"] == 2 for c in session["commands"])
    ids = [c["command_id"] for c in session["commands"]]
    assert sorted(ids) == sorted(seen) and len(ids) == len(set(ids)) == 6
    assert all(flaky.telnyx.applied[command_id] == 1 for command_id in ids), "each took effect exactly once"


async def test_webhooks_do_not_wait_for_a_slow_api() -> None:
    """With Telnyx not answering at all, webhooks are still answered; commands wait."""
    release = asyncio.Event()

    async def stuck(body: dict[str, Any]) -> JSONResponse | None:
        await release.wait()
        return None

    h, telnyx = await _open(Retrier(RetryPolicy(attempt_timeout=60, deadline=60)))
    for action in ("ai_assistant_start", "transcription_start", "ai_assistant_stop"):
        telnyx.before[action] = stuck
    async with h.client:
        created = await h.place_call()
        call = created["call_control_id"]
        # Posted directly: Harness.webhook waits for the outbox, which is the point here.
        answer = await asyncio.wait_for(h.client.post("/webhooks/telnyx", json=event("call.answered", call, "a")), 5)
        assert answer.status_code == 200 and answer.json()["state"] == "ivr"
        hold = await asyncio.wait_for(h.client.post("/webhooks/telnyx", json=event("call.hold", call, "b")), 5)
        assert hold.json()["state"] == "hold"
        session = await h.session(created["session_id"])
        assert [c["status"] for c in session["commands"]] == ["pending", "pending", "pending"]
        release.set()
        await h.settle()
        session = await h.session(created["session_id"])
        assert [c["status"] for c in session["commands"]] == ["ok", "ok", "ok"]
    await h.service.aclose()


def event(event_type: str, call: str, event_id: str) -> dict[str, Any]:
    return {"data": {"event_type": event_type, "id": event_id, "payload": {"call_control_id": call}}}


@pytest.fixture
async def stubborn() -> AsyncIterator[tuple[Harness, TelnyxStandIn]]:
    """Telnyx refuses ai_assistant_start with 503 forever; retries run on a real (short) clock."""
    retrier = Retrier(RetryPolicy(attempt_timeout=1.0, base_delay=0.02, max_delay=0.02, deadline=30.0))
    h, telnyx = await _open(retrier)
    telnyx.before["ai_assistant_start"] = always(lambda: failure(503))
    async with h.client:
        yield h, telnyx
    await h.service.aclose()


def attempts_of(telnyx: TelnyxStandIn, action: str) -> int:
    return sum(1 for r in telnyx.requests if r.action == action)


async def test_a_hangup_does_not_wait_behind_retries_and_stops_them(stubborn: tuple[Harness, TelnyxStandIn]) -> None:
    h, telnyx = stubborn
    created = await h.place_call()
    await h.client.post(
        "/webhooks/telnyx",
        json={"data": {"event_type": "call.answered", "payload": {"call_control_id": created["call_control_id"]}}},
    )
    while attempts_of(telnyx, "ai_assistant_start") < 3:  # the start is being retried
        await asyncio.sleep(0.01)
    reply = await asyncio.wait_for(h.client.post("/tools/end-call", json={"reason": "changed my mind"}), timeout=2)
    assert reply.status_code == 200 and reply.json()["ok"] is True
    assert attempts_of(telnyx, "hangup") == 1
    await asyncio.wait_for(h.settle(), timeout=2)  # the retries stop instead of running to their deadline
    attempts = attempts_of(telnyx, "ai_assistant_start")
    await asyncio.sleep(0.1)
    assert attempts_of(telnyx, "ai_assistant_start") == attempts
    start = await command(h, created["session_id"], "ai_assistant_start")
    assert start["status"] == "skipped" and "retries stopped" in start["result"]


async def test_keys_that_cannot_go_out_in_time_are_withdrawn_and_said_so(flaky: Flaky) -> None:
    """Telnyx is down longer than the tool may wait: the tool says the keys were not pressed,
    and they are never pressed later, when the menu has moved on."""
    flaky.h.service.tool_wait_seconds = 0.2
    session_id, _ = await answered(flaky.h)
    outage = asyncio.Event()

    async def down(body: dict[str, Any]) -> JSONResponse | None:
        if not outage.is_set():
            await asyncio.sleep(0.1)
            return failure(503, "Service unavailable")
        return None

    flaky.telnyx.before["send_dtmf"] = down
    reply = await asyncio.wait_for(flaky.h.client.post("/tools/send-dtmf", json={"digits": "1"}), timeout=5)
    assert reply.status_code == 502 and reply.json()["ok"] is False
    assert "did not press" in reply.json()["message"]
    outage.set()  # Telnyx is back
    await flaky.h.settle()
    record = await command(flaky.h, session_id, "send_dtmf")
    assert record["status"] == "skipped" and "withdrawn" in record["result"]
    assert not any(flaky.telnyx.applied[c] for c in flaky.telnyx.applied if c.endswith("send_dtmf"))


async def test_a_tool_answers_within_its_bound_when_telnyx_is_slow(stubborn: tuple[Harness, TelnyxStandIn]) -> None:
    h, telnyx = stubborn
    h.service.tool_wait_seconds = 0.2
    created = await h.place_call()
    await h.client.post(
        "/webhooks/telnyx",
        json={"data": {"event_type": "call.answered", "payload": {"call_control_id": created["call_control_id"]}}},
    )
    telnyx.before["hangup"] = always(lambda: failure(503))
    reply = await asyncio.wait_for(h.client.post("/tools/end-call", json={}), timeout=2)
    assert reply.status_code == 202 and reply.json()["ok"] is False
    assert "may still go through" in reply.json()["message"]


async def test_a_404_that_may_not_mean_the_call_still_hangs_up(flaky: Flaky) -> None:
    flaky.telnyx.before["ai_assistant_start"] = always(lambda: failure(404, "Assistant not found"))
    session_id, _ = await answered(flaky.h)
    session = await flaky.h.session(session_id)
    assert session["state"] == "ended" and session["outcome"] == "disconnected"
    assert attempts_of(flaky.telnyx, "hangup") == 1
    assert flaky.h.service.store.active_count() == 0


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
