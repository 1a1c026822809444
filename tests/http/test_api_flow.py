"""The HTTP API end to end (in-process, dry-run Call Control): the spec's flow, tool routing,
unreliable webhook delivery, signatures, and bad input."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nacl.signing import SigningKey

from hold_agent.telnyx.bodies import encode_client_state
from hold_agent.telnyx.client import CallControlError, DialResult
from hold_agent.telnyx.dry_run import DryRunCallControl
from hold_agent.telnyx.signing import public_key_b64, sign
from tests.support.harness import DEMO_CALL, SPEC_COMMANDS, SPEC_PATH, Harness, make_settings, open_harness, transitions

pytestmark = pytest.mark.anyio


def actions(h: Harness) -> list[str]:
    return [request.path.rsplit("/", 1)[-1] for request in h.telnyx.sent()]


async def answered_call(h: Harness, **overrides: Any) -> tuple[str, str]:
    created = await h.place_call(**overrides)
    await h.webhook("call.answered", created["call_control_id"])
    return created["session_id"], created["call_control_id"]


# --- the spec's flow ----------------------------------------------------------------------


async def test_whole_call_walks_every_state(harness: Harness) -> None:
    h = harness
    created = await h.place_call()
    assert created["state"] == "dialing" and created["dry_run"] is True
    session_id, call = created["session_id"], created["call_control_id"]
    assert call.startswith("v3:dry-run-")

    response = await h.webhook("call.answered", call, event_id="evt-answer")
    assert response.json()["state"] == "ivr"

    dtmf = await h.tool("send-dtmf", {"digits": "1", "reason": "reservations menu option"})
    assert dtmf.status_code == 200 and dtmf.json() == {"ok": True, "message": "Pressed 1.", "state": "ivr"}

    h.clock.advance(5)
    hold = await h.tool(
        "hold-detected", {"reason": "please hold for the next available representative", "confidence": 0.95}
    )
    assert hold.json()["state"] == "hold"

    h.clock.advance(95)
    pickup = await h.webhook(
        "call.transcription", call, {"transcript": "thanks for holding, this is Sarah with reservations"}
    )
    assert pickup.json()["state"] == "representative"

    end = await h.tool("end-call", {"reason": "reservation booked"})
    assert end.json() == {"ok": True, "message": "Ending the call now. Goodbye.", "state": "ended"}

    session = await h.session(session_id)
    assert transitions(session) == SPEC_PATH
    assert session["outcome"] == "completed"
    assert session["hold_seconds"] == pytest.approx(95)
    assert session["transcript"][-1]["text"] == "thanks for holding, this is Sarah with reservations"
    assert [c["action"] for c in session["commands"]] == SPEC_COMMANDS
    assert all(c["status"] == "ok" for c in session["commands"])
    assert actions(h) == ["calls", *SPEC_COMMANDS]

    # The representative start carries the task in fields the model reads.
    rep_start = h.telnyx.sent("ai_assistant_start")[-1].body
    variables = rep_start["assistant"]["dynamic_variables"]
    assert variables["objective"] == DEMO_CALL["objective"]
    assert variables["guest_name"] == "Alex Morgan" and variables["hold_seconds"] == 95
    assert any("Sarah" in m["content"] for m in rep_start["message_history"])

    # After the end, a late hangup webhook is recorded and sends nothing.
    before = len(h.telnyx.sent())
    await h.webhook("call.hangup", call, {"hangup_cause": "normal_clearing", "hangup_source": "caller"})
    session = await h.session(session_id)
    assert session["state"] == "ended" and session["outcome"] == "completed"
    assert session["hangup_cause"] == "normal_clearing"
    assert len(h.telnyx.sent()) == before


async def test_hold_from_transcript_and_pickup_from_unhold(harness: Harness) -> None:
    h = harness
    session_id, call = await answered_call(h)
    await h.transcript(call, "All of our agents are busy. Please stay on the line.")
    assert (await h.session(session_id))["state"] == "hold"
    await h.webhook("call.unhold", call)
    session = await h.session(session_id)
    assert session["state"] == "representative"
    assert session["history"][-1]["why"] == "call.unhold"


async def test_hangup_while_on_hold_ends_with_a_clear_outcome(harness: Harness) -> None:
    h = harness
    session_id, call = await answered_call(h)
    await h.webhook("call.hold", call)
    await h.webhook("call.hangup", call, {"hangup_cause": "normal_clearing", "hangup_source": "callee"})
    session = await h.session(session_id)
    assert session["state"] == "ended" and session["outcome"] == "hung_up_by_company"


async def test_interim_transcripts_are_never_stored(harness: Harness) -> None:
    h = harness
    session_id, call = await answered_call(h)
    await h.webhook("call.hold", call)
    await h.transcript(call, "hi this is", is_final=False)
    session = await h.session(session_id)
    assert session["transcript"] == [] and session["state"] == "hold"


# --- unreliable delivery -------------------------------------------------------------------


async def test_duplicate_answer_starts_one_assistant(harness: Harness) -> None:
    h = harness
    created = await h.place_call()
    first = await h.webhook("call.answered", created["call_control_id"], event_id="evt-1")
    second = await h.webhook("call.answered", created["call_control_id"], event_id="evt-1")
    assert first.json()["status"] == "processed"
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    assert actions(h).count("ai_assistant_start") == 1


async def test_concurrent_duplicates_start_one_assistant(harness: Harness) -> None:
    h = harness
    created = await h.place_call()
    responses = await asyncio.gather(
        *[h.webhook("call.answered", created["call_control_id"], event_id="evt-same") for _ in range(8)]
    )
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["duplicate"] * 7 + ["processed"]
    assert actions(h).count("ai_assistant_start") == 1


async def test_same_event_type_with_new_ids_is_still_applied_once(harness: Harness) -> None:
    """Two different webhooks both saying 'answered': the second is ignored by state, not id."""
    h = harness
    created = await h.place_call()
    await asyncio.gather(
        h.webhook("call.answered", created["call_control_id"], event_id="a"),
        h.webhook("call.answered", created["call_control_id"], event_id="b"),
    )
    assert actions(h).count("ai_assistant_start") == 1


async def test_answer_after_hangup_sends_nothing(harness: Harness) -> None:
    h = harness
    created = await h.place_call()
    call = created["call_control_id"]
    await h.webhook("call.hangup", call, {"hangup_cause": "no_answer"}, event_id="h1")
    before = actions(h)
    response = await h.webhook("call.answered", call, event_id="a1")
    assert response.status_code == 200 and response.json()["state"] == "ended"
    assert actions(h) == before == ["calls"]
    session = await h.session(created["session_id"])
    assert session["outcome"] == "no_answer"
    assert any("already ended" in note["text"] for note in session["notes"])


async def test_nothing_restarts_an_ended_call(harness: Harness) -> None:
    h = harness
    session_id, call = await answered_call(h)
    await h.tool("end-call", {"reason": "done"})
    before = actions(h)
    await h.webhook("call.hold", call)
    await h.webhook("call.unhold", call)
    await h.transcript(call, "Hi, this is Sarah, how can I help you?")
    dtmf = await h.tool("send-dtmf", {"digits": "1", "call_control_id": call})
    assert dtmf.status_code == 409 and dtmf.json()["ok"] is False
    assert actions(h) == before
    assert (await h.session(session_id))["state"] == "ended"


async def test_queued_commands_are_not_sent_once_the_call_hangs_up() -> None:
    gate = asyncio.Event()

    class SlowDryRun(DryRunCallControl):
        async def action(self, call_control_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
            await gate.wait()
            return await super().action(call_control_id, action, body)

    h, _ = await open_harness(make_settings(), SlowDryRun())
    async with h.client:
        created = await h.place_call()
        call = created["call_control_id"]
        # The answer queues two commands; the first is stuck in flight while the call hangs up.
        await h.client.post(
            "/webhooks/telnyx",
            json={"data": {"event_type": "call.answered", "payload": {"call_control_id": call}}},
        )
        await h.client.post(
            "/webhooks/telnyx",
            json={
                "data": {
                    "event_type": "call.hangup",
                    "payload": {"call_control_id": call, "hangup_cause": "normal_clearing"},
                }
            },
        )
        gate.set()
        await h.settle()
        session = await h.session(created["session_id"])
        statuses = {c["action"]: c["status"] for c in session["commands"]}
        assert statuses == {"ai_assistant_start": "ok", "transcription_start": "skipped"}
        assert actions(h) == ["calls", "ai_assistant_start"]
    await h.service.aclose()


async def test_webhook_that_overtakes_the_dial_is_routed_by_client_state() -> None:
    """Telnyx may send call.answered before our dial request has returned."""
    release = asyncio.Event()
    early: dict[str, Any] = {}

    class SlowDial(DryRunCallControl):
        async def dial(self, body: dict[str, Any]) -> DialResult:
            result = await super().dial(body)
            early["call"] = result.call_control_id
            early["client_state"] = body["client_state"]
            await release.wait()
            return result

    h, _ = await open_harness(make_settings(), SlowDial())
    async with h.client:
        placing = asyncio.create_task(h.client.post("/calls/outbound", json=DEMO_CALL))
        while "call" not in early:
            await asyncio.sleep(0)
        response = await h.webhook(
            "call.answered", early["call"], {"client_state": early["client_state"]}, event_id="early"
        )
        assert response.json()["status"] == "processed" and response.json()["state"] == "ivr"
        release.set()
        created = (await placing).json()
        assert created["call_control_id"] == early["call"]
        session = await h.session(created["session_id"])
        assert session["state"] == "ivr"
    await h.service.aclose()


async def test_late_unhold_does_not_end_a_newer_hold(harness: Harness) -> None:
    from datetime import timedelta

    h = harness
    session_id, call = await answered_call(h)
    t = h.clock.now
    await h.webhook("call.hold", call, event_id="hold-2", occurred_at=t + timedelta(seconds=100))
    await h.webhook("call.unhold", call, event_id="unhold-1", occurred_at=t + timedelta(seconds=50))
    session = await h.session(session_id)
    assert session["state"] == "hold"
    assert any("late" in note["text"] for note in session["notes"])


# --- unknown and ignored webhooks ----------------------------------------------------------


async def test_unknown_call_and_unknown_event_are_answered_200(harness: Harness) -> None:
    h = harness
    unknown_call = await h.webhook("call.answered", "v3:nobody")
    assert unknown_call.status_code == 200
    assert unknown_call.json()["status"] == "ignored" and "unknown call" in unknown_call.json()["reason"]
    created = await h.place_call()
    unknown_event = await h.webhook("call.bridged", created["call_control_id"])
    assert unknown_event.status_code == 200 and unknown_event.json()["status"] == "ignored"


async def test_client_state_cannot_hijack_another_call(harness: Harness) -> None:
    h = harness
    first = await h.place_call()
    response = await h.webhook(
        "call.answered", "v3:intruder", {"client_state": encode_client_state(first["session_id"], "dialing")}
    )
    assert response.json()["status"] == "ignored"
    assert (await h.session(first["session_id"]))["state"] == "dialing"


# --- tool routing -------------------------------------------------------------------------


async def test_tool_routing_by_body_header_and_single_call(harness: Harness) -> None:
    h = harness
    _, first = await answered_call(h)
    single = await h.tool("send-dtmf", {"digits": "1"})
    assert single.status_code == 200

    _, second = await answered_call(h)
    ambiguous = await h.tool("send-dtmf", {"digits": "2"})
    assert ambiguous.status_code == 409 and ambiguous.json()["error"] == "ambiguous_call"
    assert "several calls" in ambiguous.json()["message"].lower()

    by_body = await h.tool("send-dtmf", {"digits": "3", "call_control_id": second})
    by_header = await h.tool("send-dtmf", {"digits": "4"}, headers={"x-telnyx-call-control-id": first})
    assert by_body.status_code == by_header.status_code == 200
    sent = [(r.path.split("/")[2], r.body["digits"]) for r in h.telnyx.sent("send_dtmf")]
    assert sent == [(first, "1"), (second, "3"), (first, "4")]


async def test_tool_routing_errors(harness: Harness) -> None:
    h = harness
    none_active = await h.tool("hold-detected", {"reason": "music"})
    assert none_active.status_code == 404 and none_active.json()["error"] == "no_active_call"

    _, call = await answered_call(h)
    unknown = await h.tool("send-dtmf", {"digits": "1", "call_control_id": "v3:other"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_call"
    conflicting = await h.tool(
        "send-dtmf", {"digits": "1", "call_control_id": call}, headers={"x-telnyx-call-control-id": "v3:other"}
    )
    assert conflicting.status_code == 400
    template = await h.tool("send-dtmf", {"digits": "1", "call_control_id": "{{call_control_id}}"})
    assert template.status_code == 400 and "preset body field" in template.json()["message"]


async def test_tool_refusals_are_speakable(harness: Harness) -> None:
    h = harness
    _, call = await answered_call(h)
    bad = await h.tool("send-dtmf", {"digits": "nine", "reason": "menu"})
    assert bad.status_code == 422
    assert bad.json() == {
        "ok": False,
        "message": "I can only press the keys 0 to 9, star, pound, and A to D, with w or W for a pause.",
        "state": "ivr",
    }
    unsure = await h.tool("hold-detected", {"reason": "maybe music", "confidence": 0.1})
    assert unsure.status_code == 200 and unsure.json()["ok"] is False and unsure.json()["state"] == "ivr"
    await h.webhook("call.hold", call)
    on_hold = await h.tool("send-dtmf", {"digits": "1"})
    assert on_hold.status_code == 409 and "on hold" in on_hold.json()["message"]
    number = await h.tool("hold-detected", {"reason": "x"})
    assert number.json()["message"].startswith("We are already on hold")


async def test_tool_replies_never_carry_telnyx_responses(harness: Harness) -> None:
    h = harness
    await answered_call(h)
    for name, body in (("send-dtmf", {"digits": "1"}), ("hold-detected", {}), ("end-call", {})):
        reply = (await h.tool(name, body)).json()
        assert set(reply) == {"ok", "message", "state"}
        assert "conversation_id" not in json.dumps(reply) and "v3:" not in json.dumps(reply)


async def test_failed_command_is_reported_honestly() -> None:
    class RefusingDtmf(DryRunCallControl):
        async def action(self, call_control_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
            if action == "send_dtmf":
                raise CallControlError("digits is invalid", status=422)
            return await super().action(call_control_id, action, body)

    h, _ = await open_harness(make_settings(), RefusingDtmf())
    async with h.client:
        session_id, _ = await answered_call(h)
        reply = await h.tool("send-dtmf", {"digits": "1"})
        assert reply.status_code == 502 and reply.json()["ok"] is False
        assert "did not go through" in reply.json()["message"]
        command = (await h.session(session_id))["commands"][-1]
        assert command["status"] == "failed" and "422" in command["result"]
    await h.service.aclose()


# --- placing calls ------------------------------------------------------------------------


async def test_dial_rejected_by_telnyx_is_a_502_and_ends_the_session() -> None:
    class Refusing(DryRunCallControl):
        async def dial(self, body: dict[str, Any]) -> DialResult:
            raise CallControlError("Invalid destination", status=422)

    h, _ = await open_harness(make_settings(), Refusing())
    async with h.client:
        response = await h.client.post("/calls/outbound", json=DEMO_CALL)
        assert response.status_code == 502
        assert response.json()["error"] == "dial_failed" and "Invalid destination" in response.json()["message"]
        (session,) = (await h.client.get("/sessions")).json()["sessions"]
        assert session["state"] == "ended" and session["outcome"] == "dial_failed"
    await h.service.aclose()


async def test_real_mode_without_settings_is_503_naming_them() -> None:
    h, _ = await open_harness(make_settings(telnyx_dry_run=False, telnyx_api_key="k", allow_insecure=True))
    async with h.client:
        response = await h.client.post("/calls/outbound", json=DEMO_CALL)
        assert response.status_code == 503
        body = response.json()
        assert body["missing"] == [
            "TELNYX_CONNECTION_ID",
            "TELNYX_FROM_NUMBER",
            "TELNYX_IVR_ASSISTANT_ID",
            "TELNYX_REPRESENTATIVE_ASSISTANT_ID",
            "PUBLIC_BASE_URL",
        ]
        assert "TELNYX_CONNECTION_ID" in body["message"]
        health = (await h.client.get("/health")).json()
        assert health["status"] == "misconfigured" and health["mode"] == "live"
        assert health["missing"] == body["missing"]
        assert any("NOT verified" in warning for warning in health["warnings"])
        assert health["insecure"] is True and health["api_auth"] == "open"
    await h.service.aclose()


async def test_sessions_api(harness: Harness) -> None:
    h = harness
    first = await h.place_call()
    h.clock.advance(1)
    second = await h.place_call(to="+442071838750")
    listing = (await h.client.get("/sessions")).json()
    assert listing["count"] == 2
    assert [s["session_id"] for s in listing["sessions"]] == [second["session_id"], first["session_id"]]
    limited = (await h.client.get("/sessions", params={"limit": 1})).json()
    assert [s["session_id"] for s in limited["sessions"]] == [second["session_id"]]
    session = await h.session(first["session_id"])
    for field in (
        "session_id",
        "call_control_id",
        "state",
        "outcome",
        "to",
        "target_company",
        "objective",
        "context",
        "created_at",
        "updated_at",
        "hold_seconds",
        "transcript",
        "history",
        "commands",
    ):
        assert field in session
    missing = await h.client.get("/sessions/does-not-exist")
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_session"


# --- signatures at the edge ---------------------------------------------------------------


@pytest.fixture
async def signed() -> AsyncIterator[tuple[Harness, SigningKey]]:
    key = SigningKey.generate()
    h, _ = await open_harness(make_settings(telnyx_public_key=public_key_b64(key)))
    async with h.client:
        yield h, key
    await h.service.aclose()


async def test_signed_webhooks(signed: tuple[Harness, SigningKey]) -> None:
    h, key = signed
    created = await h.place_call()
    body = json.dumps(
        {
            "data": {
                "event_type": "call.answered",
                "id": "e1",
                "payload": {"call_control_id": created["call_control_id"]},
            }
        }
    ).encode()

    async def post(headers: dict[str, str], content: bytes = body) -> Any:
        return await h.client.post(
            "/webhooks/telnyx", content=content, headers={"content-type": "application/json", **headers}
        )

    assert (await post({})).status_code == 401
    tampered = await post(sign(body, key), content=body.replace(b"call.answered", b"call.hangup"))
    assert tampered.status_code == 401 and tampered.json()["error"] == "invalid_signature"
    stale = await post(sign(body, key, timestamp=int(time.time()) - 301))
    assert stale.status_code == 401 and "300" in stale.json()["message"]
    foreign = await post(sign(body, SigningKey.generate()))
    assert foreign.status_code == 401
    assert (await h.session(created["session_id"]))["state"] == "dialing"
    good = await post(sign(body, key))
    assert good.status_code == 200 and good.json()["state"] == "ivr"
    health = (await h.client.get("/health")).json()
    assert health["signature_verification"] is True


# --- bad input ----------------------------------------------------------------------------

MALFORMED: list[tuple[str, str, Any, int]] = [
    ("POST", "/calls/outbound", b"not json", 400),
    ("POST", "/calls/outbound", b"[1, 2]", 422),
    ("POST", "/calls/outbound", b"", 422),
    ("POST", "/calls/outbound", {"to": "5551234567", "objective": "x", "target_company": "y"}, 422),
    ("POST", "/calls/outbound", {"to": 15551234567, "objective": "x", "target_company": "y"}, 422),
    ("POST", "/calls/outbound", {"objective": "x", "target_company": "y"}, 422),
    ("POST", "/calls/outbound", {**DEMO_CALL, "context": {"nested": {"a": 1}}}, 422),
    ("POST", "/calls/outbound", {**DEMO_CALL, "context": {"objective": "override"}}, 422),
    ("POST", "/calls/outbound", {**DEMO_CALL, "context": {"bad key": "x"}}, 422),
    ("POST", "/calls/outbound", {**DEMO_CALL, "context": ["a"]}, 422),
    ("POST", "/calls/outbound", {**DEMO_CALL, "objective": ""}, 422),
    ("POST", "/calls/outbound", {**DEMO_CALL, "objective": "x" * 5000}, 422),
    ("POST", "/calls/outbound", {**DEMO_CALL, "surprise": 1}, 422),
    ("POST", "/webhooks/telnyx", b"\xff\xfe not json", 400),
    ("POST", "/webhooks/telnyx", b"[]", 422),
    ("POST", "/webhooks/telnyx", {"data": {"payload": {}}}, 422),
    ("POST", "/webhooks/telnyx", {"data": {"event_type": "call.answered", "payload": {"call_control_id": 1}}}, 422),
    ("POST", "/tools/send-dtmf", b"{", 400),
    ("POST", "/tools/send-dtmf", {}, 422),
    ("POST", "/tools/send-dtmf", {"digits": ["1"]}, 422),
    ("POST", "/tools/send-dtmf", {"digits": None}, 422),
    ("POST", "/tools/hold-detected", {"confidence": "sure"}, 422),
    ("POST", "/tools/hold-detected", {"confidence": 7}, 422),
    ("POST", "/tools/end-call", b"null", 422),
    ("POST", "/tools/end-call", {"reason": {"a": 1}}, 422),
    ("GET", "/sessions?limit=0", None, 422),
    ("GET", "/sessions?limit=abc", None, 422),
    ("GET", "/sessions/%00%ff", None, 404),
    ("GET", "/nowhere", None, 404),
    ("DELETE", "/sessions", None, 405),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"), MALFORMED, ids=[f"{m} {p} {str(b)[:30]}" for m, p, b, _ in MALFORMED]
)
async def test_malformed_requests_get_a_clear_4xx(
    harness: Harness, method: str, path: str, body: Any, status: int
) -> None:
    kwargs: dict[str, Any] = {}
    if isinstance(body, bytes):
        kwargs = {"content": body, "headers": {"content-type": "application/json"}}
    elif body is not None:
        kwargs = {"json": body}
    response = await harness.client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["ok"] is False and isinstance(payload["message"], str) and payload["message"]


async def test_validation_errors_name_the_field(harness: Harness) -> None:
    response = await harness.client.post("/calls/outbound", json={**DEMO_CALL, "to": "555-1234"})
    body = response.json()
    assert body["details"][0]["field"] == "to"
    assert "E.164" in body["message"]
    nested = await harness.client.post("/calls/outbound", json={**DEMO_CALL, "context": {"a": {"b": 1}}})
    assert nested.json()["details"][0]["field"].startswith("context")


async def test_a_bug_while_processing_a_webhook_is_200_and_noted(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hold_agent.core import machine
    from hold_agent.core.events import CallAnswered

    real_step = machine.step

    def broken_step(session: Any, event: Any, now: Any) -> Any:
        if isinstance(event, CallAnswered):
            raise RuntimeError("a bug")
        return real_step(session, event, now)

    monkeypatch.setattr(machine, "step", broken_step)
    created = await harness.place_call()
    response = await harness.webhook("call.answered", created["call_control_id"])
    assert response.status_code == 200 and response.json()["status"] == "error"
    session = await harness.session(created["session_id"])
    assert session["notes"][-1]["text"] == "processing call.answered failed: RuntimeError"


async def test_dial_carries_a_time_limit_backstop() -> None:
    h, _ = await open_harness(make_settings(max_call_seconds=600))
    async with h.client:
        await h.place_call()
        assert h.telnyx.sent("dial")[0].body["time_limit_secs"] == 660
    await h.service.aclose()
    h, _ = await open_harness(make_settings(max_call_seconds=0))
    async with h.client:
        await h.place_call()
        assert "time_limit_secs" not in h.telnyx.sent("dial")[0].body
    await h.service.aclose()
