"""Who may do what: API and tool tokens, signed tool calls, refusing insecure real mode,
and secrets that never reach a log."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest
from nacl.signing import SigningKey
from pydantic import SecretStr, ValidationError

from hold_agent.config import InsecureSettings
from hold_agent.http.app import create_app
from hold_agent.http.auth import bearer_matches
from hold_agent.telnyx.signing import SIGNATURE_HEADER, public_key_b64, sign
from tests.support.harness import DEMO_CALL, REAL_MODE, Harness, make_settings, open_harness

pytestmark = pytest.mark.anyio

API_TOKEN = "api-token-0123456789abcdef"
TOOL_TOKEN = "tool-token-0123456789abcdef"
KEY = SigningKey.generate()


@pytest.fixture
async def locked() -> AsyncIterator[Harness]:
    h, _ = await open_harness(
        make_settings(api_auth_token=API_TOKEN, tool_auth_token=TOOL_TOKEN, telnyx_public_key=public_key_b64(KEY))
    )
    h.client.headers.pop("authorization")  # these tests present (or withhold) credentials themselves
    async with h.client:
        yield h
    await h.service.aclose()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_workflow_endpoints_need_the_api_token(locked: Harness) -> None:
    h = locked
    for headers in ({}, bearer("wrong-token-0123456789"), bearer(TOOL_TOKEN), {"authorization": API_TOKEN}):
        response = await h.client.post("/calls/outbound", json=DEMO_CALL, headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert (await h.client.get("/sessions", headers=headers)).status_code == 401
        assert (await h.client.get("/sessions/anything", headers=headers)).status_code == 401
    assert h.telnyx.sent() == []
    created = await h.client.post("/calls/outbound", json=DEMO_CALL, headers=bearer(API_TOKEN))
    assert created.status_code == 201
    assert (await h.client.get("/sessions", headers=bearer(API_TOKEN))).json()["count"] == 1
    session_url = created.json()["session_url"]
    assert (await h.client.get(session_url, headers=bearer(API_TOKEN))).status_code == 200


async def test_auth_comes_before_validation(locked: Harness) -> None:
    response = await locked.client.post("/calls/outbound", json={"nonsense": True})
    assert response.status_code == 401


async def signed_webhook(h: Harness, event_type: str, call: str) -> None:
    body = json.dumps({"data": {"event_type": event_type, "payload": {"call_control_id": call}}}).encode()
    response = await h.client.post(
        "/webhooks/telnyx", content=body, headers={"content-type": "application/json", **sign(body, KEY)}
    )
    assert response.status_code == 200, response.text
    await h.settle()


async def test_tools_need_the_tool_token_or_a_telnyx_signature(locked: Harness) -> None:
    h = locked
    created = await h.client.post("/calls/outbound", json=DEMO_CALL, headers=bearer(API_TOKEN))
    call = created.json()["call_control_id"]
    await signed_webhook(h, "call.answered", call)

    body = json.dumps({"digits": "1", "call_control_id": call}).encode()
    json_type = {"content-type": "application/json"}
    for headers in ({}, bearer(API_TOKEN), bearer("x" * 30)):
        refused = await h.client.post("/tools/send-dtmf", content=body, headers={**json_type, **headers})
        assert refused.status_code == 401
        assert refused.json()["message"].startswith("I'm not allowed")
    forged = {**json_type, **sign(body, SigningKey.generate())}
    assert (await h.client.post("/tools/send-dtmf", content=body, headers=forged)).status_code == 401
    tampered = {**json_type, **sign(body.replace(b'"1"', b'"9"'), KEY)}
    assert (await h.client.post("/tools/send-dtmf", content=body, headers=tampered)).status_code == 401
    assert h.telnyx.sent("send_dtmf") == []

    by_token = await h.client.post("/tools/send-dtmf", content=body, headers={**json_type, **bearer(TOOL_TOKEN)})
    by_signature = await h.client.post("/tools/send-dtmf", content=body, headers={**json_type, **sign(body, KEY)})
    assert by_token.status_code == by_signature.status_code == 200
    await h.settle()
    assert len(h.telnyx.sent("send_dtmf")) == 2


async def test_health_is_open_and_says_what_is_protected(locked: Harness) -> None:
    health = (await locked.client.get("/health")).json()
    assert health["api_auth"] == health["tool_auth"] == "required" and health["signature_verification"]


async def test_dry_run_without_tokens_is_open_and_says_so(harness: Harness) -> None:
    health = (await harness.client.get("/health")).json()
    assert health["api_auth"] == health["tool_auth"] == "open" and health["insecure"] is False
    assert any("open" in warning for warning in health["warnings"])
    assert (await harness.client.post("/calls/outbound", json=DEMO_CALL)).status_code == 201


REAL = REAL_MODE


@pytest.mark.parametrize(
    ("present", "named"),
    [
        ({}, ["API_AUTH_TOKEN", "TELNYX_PUBLIC_KEY", "TOOL_AUTH_TOKEN"]),
        ({"api_auth_token": API_TOKEN}, ["TELNYX_PUBLIC_KEY", "TOOL_AUTH_TOKEN"]),
        ({"api_auth_token": API_TOKEN, "tool_auth_token": TOOL_TOKEN}, ["TELNYX_PUBLIC_KEY"]),
        ({"telnyx_public_key": public_key_b64(KEY), "tool_auth_token": TOOL_TOKEN}, ["API_AUTH_TOKEN"]),
    ],
)
def test_real_mode_refuses_to_start_without_its_protections(present: dict[str, str], named: list[str]) -> None:
    with pytest.raises(InsecureSettings) as refusal:
        create_app(make_settings(**REAL, **present))
    message = str(refusal.value)
    for name in named:
        assert name in message
    for name in {"API_AUTH_TOKEN", "TELNYX_PUBLIC_KEY", "TOOL_AUTH_TOKEN"} - set(named):
        assert name not in message
    assert "ALLOW_INSECURE=true" in message


async def test_allow_insecure_starts_loudly() -> None:
    app = create_app(make_settings(**REAL, allow_insecure=True), watchdog_interval=None)
    health = app.state.service.settings
    assert health.insecure_reasons() and any("ALLOW_INSECURE" in w for w in health.warnings())


def test_fully_protected_real_mode_starts() -> None:
    create_app(
        make_settings(
            **REAL, api_auth_token=API_TOKEN, tool_auth_token=TOOL_TOKEN, telnyx_public_key=public_key_b64(KEY)
        ),
        watchdog_interval=None,
    )


def test_tokens_must_be_strong() -> None:
    with pytest.raises(ValidationError, match="at least 16"):
        make_settings(api_auth_token="short")


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (f"Bearer {API_TOKEN}", True),
        (f"bearer   {API_TOKEN}", True),
        (f"Bearer {API_TOKEN}x", False),
        (f"Basic {API_TOKEN}", False),
        (API_TOKEN, False),
        ("Bearer", False),
        ("", False),
        (None, False),
    ],
)
def test_bearer_matching(header: str | None, matches: bool) -> None:
    assert bearer_matches(header, SecretStr(API_TOKEN)) is matches


async def test_secrets_and_context_never_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    secret_context = {"account_number": "ACCT-778899", "guest_name": "Zelda Quuxington"}
    h, _ = await open_harness(
        make_settings(api_auth_token=API_TOKEN, tool_auth_token=TOOL_TOKEN, telnyx_public_key=public_key_b64(KEY))
    )
    h.client.headers.pop("authorization")
    with caplog.at_level(logging.DEBUG):
        async with h.client:
            created = await h.client.post(
                "/calls/outbound", json={**DEMO_CALL, "context": secret_context}, headers=bearer(API_TOKEN)
            )
            call = created.json()["call_control_id"]
            await signed_webhook(h, "call.answered", call)
            await h.client.post("/tools/end-call", json={"reason": "done"}, headers=bearer("wrong-token-0123456789"))
            await h.client.post("/tools/end-call", json={"reason": "done"}, headers=bearer(TOOL_TOKEN))
            await h.settle()
        await h.service.aclose()
    text = caplog.text + repr(h.service.settings)
    for secret in (API_TOKEN, TOOL_TOKEN, "wrong-token-0123456789", public_key_b64(KEY), "ACCT-778899", "Zelda"):
        assert secret not in text


def test_a_rejected_secret_is_not_echoed_in_the_start_up_error() -> None:
    with pytest.raises(ValidationError) as refusal:
        make_settings(api_auth_token="MySecretPw123")
    assert "MySecretPw123" not in str(refusal.value)


async def test_real_mode_never_serves_sessions_without_a_token() -> None:
    h, _ = await open_harness(make_settings(**REAL, allow_insecure=True))
    async with h.client:
        created = await h.client.post("/calls/outbound", json={**DEMO_CALL, "context": {"ssn": "123-45-6789"}})
        assert created.status_code == 201  # ALLOW_INSECURE lets calls be placed...
        for path in ("/sessions", created.json()["session_url"]):
            response = await h.client.get(path)  # ...but never lets personal context out
            assert response.status_code == 403 and "123-45-6789" not in response.text
    await h.service.aclose()


async def test_a_captured_webhook_replayed_to_a_tool_ends_no_call(locked: Harness) -> None:
    h = locked
    victim = (await h.client.post("/calls/outbound", json=DEMO_CALL, headers=bearer(API_TOKEN))).json()
    await signed_webhook(h, "call.answered", victim["call_control_id"])
    # Any webhook Telnyx signed, captured from the wire.
    captured = json.dumps(
        {"data": {"event_type": "call.hold", "payload": {"call_control_id": "v3:someone-else"}}}
    ).encode()
    headers = {
        "content-type": "application/json",
        "x-telnyx-call-control-id": victim["call_control_id"],
        **sign(captured, KEY),
    }
    replayed = await h.client.post("/tools/end-call", content=captured, headers=headers)
    assert replayed.status_code == 401
    assert (await h.client.get(f"/sessions/{victim['session_id']}", headers=bearer(API_TOKEN))).json()["state"] == "ivr"
    assert h.telnyx.sent("hangup") == []


async def test_a_signed_tool_request_must_name_its_call_in_the_signed_body(locked: Harness) -> None:
    h = locked
    victim = (await h.client.post("/calls/outbound", json=DEMO_CALL, headers=bearer(API_TOKEN))).json()
    await signed_webhook(h, "call.answered", victim["call_control_id"])
    body = json.dumps({"reason": "done"}).encode()
    headers = {"content-type": "application/json", "x-telnyx-call-control-id": victim["call_control_id"]}
    unnamed = await h.client.post("/tools/end-call", content=body, headers={**headers, **sign(body, KEY)})
    assert unnamed.status_code == 401
    other = json.dumps({"reason": "done", "call_control_id": "v3:another"}).encode()
    mismatched = await h.client.post("/tools/end-call", content=other, headers={**headers, **sign(other, KEY)})
    assert mismatched.status_code == 401
    assert h.telnyx.sent("hangup") == []


async def test_a_signed_tool_request_replayed_acts_once(locked: Harness) -> None:
    h = locked
    created = (await h.client.post("/calls/outbound", json=DEMO_CALL, headers=bearer(API_TOKEN))).json()
    await signed_webhook(h, "call.answered", created["call_control_id"])
    body = json.dumps({"digits": "1", "call_control_id": created["call_control_id"]}).encode()
    headers = {"content-type": "application/json", **sign(body, KEY)}
    replies = [await h.client.post("/tools/send-dtmf", content=body, headers=headers) for _ in range(4)]
    await h.settle()
    assert [r.status_code for r in replies] == [200] * 4 and len({r.text for r in replies}) == 1
    assert len(h.telnyx.sent("send_dtmf")) == 1


async def test_a_tool_request_with_an_idempotency_key_acts_once(harness: Harness) -> None:
    created = await harness.place_call()
    await harness.webhook("call.answered", created["call_control_id"])
    body = {"digits": "2", "call_control_id": created["call_control_id"]}
    for _ in range(3):
        reply = await harness.client.post("/tools/send-dtmf", json=body, headers={"idempotency-key": "press-2-once"})
        assert reply.status_code == 200
    await harness.client.post("/tools/send-dtmf", json=body)  # no key: a new request
    await harness.settle()
    assert len(harness.telnyx.sent("send_dtmf")) == 2


def _respelled(signature_b64: str) -> list[str]:
    """Other base64 spellings of the same 64 bytes: the last character's 4 unused bits."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body, last = signature_b64.rstrip("=")[:-1], signature_b64.rstrip("=")[-1]
    high = alphabet.index(last) & 0b110000
    return [body + alphabet[high | low] + "==" for low in range(16) if alphabet[high | low] != last]


async def test_a_signature_spelled_another_way_is_still_the_same_request(locked: Harness) -> None:
    h = locked
    created = (await h.client.post("/calls/outbound", json=DEMO_CALL, headers=bearer(API_TOKEN))).json()
    await signed_webhook(h, "call.answered", created["call_control_id"])
    body = json.dumps({"digits": "1", "call_control_id": created["call_control_id"]}).encode()
    signed = sign(body, KEY)
    spellings = [signed[SIGNATURE_HEADER], *_respelled(signed[SIGNATURE_HEADER])]
    assert len(spellings) == 16
    for spelling in spellings:
        headers = {"content-type": "application/json", **signed, SIGNATURE_HEADER: spelling}
        assert (await h.client.post("/tools/send-dtmf", content=body, headers=headers)).status_code == 200
    await h.settle()
    assert len(h.telnyx.sent("send_dtmf")) == 1


async def test_a_signed_request_for_one_tool_does_nothing_at_another(locked: Harness) -> None:
    h = locked
    created = (await h.client.post("/calls/outbound", json=DEMO_CALL, headers=bearer(API_TOKEN))).json()
    await signed_webhook(h, "call.answered", created["call_control_id"])
    body = json.dumps({"digits": "1", "call_control_id": created["call_control_id"]}).encode()
    signed = sign(body, KEY)
    headers = {"content-type": "application/json", **signed}
    assert (await h.client.post("/tools/send-dtmf", content=body, headers=headers)).status_code == 200
    respelled = {**headers, SIGNATURE_HEADER: _respelled(signed[SIGNATURE_HEADER])[0]}
    await h.client.post("/tools/end-call", content=body, headers=respelled)
    await h.settle()
    assert h.telnyx.sent("hangup") == []
    session = await h.client.get(f"/sessions/{created['session_id']}", headers=bearer(API_TOKEN))
    assert session.json()["state"] == "ivr"


async def test_an_idempotency_key_names_one_request_to_one_tool(harness: Harness) -> None:
    created = await harness.place_call()
    await harness.webhook("call.answered", created["call_control_id"])
    key = {"idempotency-key": "k-1"}
    call = created["call_control_id"]
    await harness.client.post("/tools/send-dtmf", json={"digits": "1", "call_control_id": call}, headers=key)
    await harness.client.post("/tools/send-dtmf", json={"digits": "2", "call_control_id": call}, headers=key)
    ended = await harness.client.post("/tools/end-call", json={"call_control_id": call}, headers=key)
    await harness.settle()
    assert len(harness.telnyx.sent("send_dtmf")) == 2 and ended.json()["state"] == "ended"
