"""`python app.py` in live mode (TELNYX_DRY_RUN=false) against a local Telnyx stand-in.

Every request the service sends must conform to the official SDK's parameter types, carry a
`command_id`, and the representative assistant must get the task, the approved context and
the hold time in fields the model reads. Webhooks are signed with a key made here, so
signature verification runs for real, and the API and tool tokens are enforced.

The second test makes the stand-in as unreliable as Telnyx may be (first attempts fail,
429s, answers slower than our patience): the call must still complete with every command
taking effect exactly once.
"""

from __future__ import annotations

import time

import pytest

from fake_company.telnyx_api import Faults
from tests.support.harness import DEMO_CALL, SPEC_COMMANDS
from tests.support.live import API_KEY, TOOL_TOKEN, LiveAgent, wait_for
from tests.support.sdk_conformance import PARAMS_BY_ACTION, check

pytestmark = pytest.mark.e2e  # real processes and servers: not in the fast loop


def run_spec_call(live: LiveAgent) -> dict:
    """The spec's call, start to end, as Telnyx and the assistants would drive it."""
    created = live.place_call()
    call = created["call_control_id"]
    assert live.webhook("call.answered", call).json()["state"] == "ivr"
    assert live.tool("send-dtmf", {"digits": "1", "call_control_id": call}).json()["ok"]
    live.transcript(call, "Please hold, your call is important to us.")
    time.sleep(1.1)  # real time passes on hold
    live.transcript(call, "Hi, thanks for holding, this is Sarah with reservations.")
    wait_for(lambda: live.session(created["session_id"])["commands"][-1]["status"] != "pending")
    assert live.tool("end-call", {"reason": "booked", "call_control_id": call}).json()["ok"]
    wait_for(lambda: all(c["status"] != "pending" for c in live.session(created["session_id"])["commands"]))
    return live.session(created["session_id"])


def test_live_mode_requests_conform_to_the_sdk() -> None:
    with LiveAgent() as live:
        health = live.client.get("/health").json()
        assert health["mode"] == "live" and health["status"] == "ok" and health["signature_verification"]
        assert health["api_auth"] == health["tool_auth"] == "required" and not health["insecure"]
        assert live.client.post("/calls/outbound", json=DEMO_CALL).status_code == 401
        unsigned = live.client.post(
            "/webhooks/telnyx", json={"data": {"event_type": "call.answered", "payload": {"call_control_id": "x"}}}
        )
        assert unsigned.status_code == 401
        assert live.client.post("/tools/end-call", json={}).status_code == 401

        session = run_spec_call(live)
        assert session["state"] == "ended" and session["outcome"] == "completed"
        assert live.client.get(f"/sessions/{session['session_id']}").status_code == 401
        standin, agent_url = live.standin, live.agent.url

    sent = [request for request in standin.requests if request.headers.get("authorization")]
    assert [r.action for r in sent] == ["dial", *SPEC_COMMANDS]
    for request in sent:
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
        assert isinstance(request.body.get("command_id"), str) and request.body["command_id"]
        problems = check(request.body, PARAMS_BY_ACTION[request.action])
        assert problems == [], f"{request.action}: {problems}"

    dial = sent[0].body
    assert dial["webhook_url"] == f"{agent_url}/webhooks/telnyx" and dial["to"] == DEMO_CALL["to"]
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
    assert TOOL_TOKEN not in str([r.body for r in sent])


def test_a_call_survives_a_flaky_telnyx() -> None:
    faults = Faults(fail_first_attempt=True, rate_limit_every=5, retry_after_seconds=1, slow_every=3, slow_seconds=1.5)
    env = {"COMMAND_ATTEMPT_TIMEOUT_SECONDS": "0.5", "COMMAND_DEADLINE_SECONDS": "30"}
    with LiveAgent(faults, env) as live:
        session = run_spec_call(live)
        standin = live.standin
    assert session["state"] == "ended" and session["outcome"] == "completed"
    assert [c["action"] for c in session["commands"]] == SPEC_COMMANDS
    assert all(c["status"] == "ok" for c in session["commands"]), session["commands"]
    assert any(c["attempts"] > 1 for c in session["commands"])
    # Every logical command (and the dial) took effect exactly once, despite the retries.
    expected = {c["command_id"] for c in session["commands"]} | {f"{session['session_id']}-0-dial"}
    assert set(standin.applied) == expected
    assert all(count == 1 for count in standin.applied.values()), standin.applied
    assert standin.faults_injected["500 on first attempt"] == len(expected)
    assert standin.faults_injected["429"] >= 1 and standin.faults_injected["slow answer"] >= 1
