"""`python app.py` in live mode (TELNYX_DRY_RUN=false) against a local Telnyx stand-in.

Every request the service sends must conform to the official SDK's parameter types, carry a
`command_id`, and the representative assistant must get the task, the approved context and
the hold time in fields the model reads. Webhooks are signed with a key made here, so
signature verification runs for real.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from nacl.signing import SigningKey

from fake_company.telnyx_api import TelnyxStandIn
from hold_agent.signing import public_key_b64, sign
from tests.conftest import DEMO_CALL, SPEC_COMMANDS
from tests.sdk_conformance import PARAMS_BY_ACTION, check
from tests.servers import AppProcess, ThreadedServer

API_KEY = "live-test-key"


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_live_mode_requests_conform_to_the_sdk() -> None:
    key = SigningKey.generate()
    standin = TelnyxStandIn(API_KEY)
    with ThreadedServer(standin.app) as telnyx:
        agent = AppProcess(
            {
                "TELNYX_DRY_RUN": "false",
                "TELNYX_API_KEY": API_KEY,
                "TELNYX_API_BASE": f"{telnyx.url}/v2",
                "TELNYX_CONNECTION_ID": "connection-1",
                "TELNYX_FROM_NUMBER": "+15550001111",
                "TELNYX_IVR_ASSISTANT_ID": "assistant-ivr",
                "TELNYX_REPRESENTATIVE_ASSISTANT_ID": "assistant-rep",
                "TELNYX_PUBLIC_KEY": public_key_b64(key),
            },
            public=True,
        )
        with agent, httpx.Client(base_url=agent.url, timeout=10) as client:
            health = client.get("/health").json()
            assert health["mode"] == "live" and health["status"] == "ok" and health["signature_verification"]

            def webhook(event_type: str, payload: dict[str, Any], event_id: str) -> httpx.Response:
                body = json.dumps(
                    {"data": {"event_type": event_type, "id": event_id, "payload": {"call_control_id": call, **payload}}}
                ).encode()
                return client.post(
                    "/webhooks/telnyx", content=body, headers={"content-type": "application/json", **sign(body, key)}
                )

            created = client.post("/calls/outbound", json=DEMO_CALL)
            assert created.status_code == 201, created.text
            call = created.json()["call_control_id"]
            assert call in standin.calls

            unsigned = client.post("/webhooks/telnyx", json={"data": {"event_type": "call.answered", "payload": {"call_control_id": call}}})
            assert unsigned.status_code == 401

            assert webhook("call.answered", {}, "e1").json()["state"] == "ivr"
            wait_for(lambda: standin.actions().count("transcription_start") == 1)
            assert client.post("/tools/send-dtmf", json={"digits": "1", "call_control_id": call}).json()["ok"]
            webhook("call.transcription", {"transcription_data": {"transcript": "Please hold, your call is important to us.", "is_final": True}}, "e2")
            time.sleep(1.2)  # let real time pass on hold
            webhook("call.transcription", {"transcription_data": {"transcript": "Hi, thanks for holding, this is Sarah with reservations.", "is_final": True}}, "e3")
            wait_for(lambda: standin.actions().count("ai_assistant_start") == 2)
            assert client.post("/tools/end-call", json={"reason": "booked", "call_control_id": call}).json()["ok"]
            session = client.get(created.json()["session_url"]).json()
            assert session["state"] == "ended" and session["outcome"] == "completed"

    sent = [request for request in standin.requests if request.headers.get("authorization")]
    assert [r.action for r in sent] == ["dial", *SPEC_COMMANDS]
    for request in sent:
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
        assert isinstance(request.body.get("command_id"), str) and request.body["command_id"]
        problems = check(request.body, PARAMS_BY_ACTION[request.action])
        assert problems == [], f"{request.action}: {problems}"

    dial = sent[0].body
    assert dial["webhook_url"] == f"{agent.url}/webhooks/telnyx" and dial["to"] == DEMO_CALL["to"]
    representative = sent[5].body
    assert representative["assistant"]["id"] == "assistant-rep"
    variables = representative["assistant"]["dynamic_variables"]
    assert variables["objective"] == DEMO_CALL["objective"]
    assert variables["target_company"] == DEMO_CALL["target_company"]
    assert variables["guest_name"] == "Alex Morgan" and variables["party_size"] == 2
    assert variables["hold_seconds"] >= 1
    history = " ".join(message["content"] for message in representative["message_history"])
    assert DEMO_CALL["objective"] in history and "Alex Morgan" in history and "Sarah" in history
    assert len({request.body["command_id"] for request in sent}) == len(sent)
