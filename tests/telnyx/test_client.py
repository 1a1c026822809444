"""The real Call Control client against respx: paths, auth, bodies, and error translation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from hold_agent.core.commands import Hangup, SendDtmf, StartAssistant, StartTranscription, StopAssistant
from hold_agent.core.session import CallState
from hold_agent.telnyx.bodies import action_body, decode_client_state, dial_body
from hold_agent.telnyx.client import CallControlError, HttpCallControl, parse_retry_after
from tests.support.harness import REAL_MODE, make_settings

pytestmark = pytest.mark.anyio

API = REAL_MODE["telnyx_api_base"]
CALL = "v3:abc-123"
SETTINGS = make_settings(**REAL_MODE)


@pytest.fixture
async def client() -> HttpCallControl:
    client = HttpCallControl(API, "KEY123")
    yield client  # type: ignore[misc]
    await client.aclose()


@respx.mock
async def test_dial(client: HttpCallControl) -> None:
    route = respx.post(f"{API}/calls").respond(
        200, json={"data": {"call_control_id": CALL, "call_leg_id": "leg", "call_session_id": "sess"}}
    )
    result = await client.dial(dial_body(SETTINGS, "s1", "+15551234567"))
    assert result.call_control_id == CALL and result.call_leg_id == "leg"
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer KEY123"
    body = json.loads(request.content)
    assert body == {
        "connection_id": "conn-1",
        "from": "+15550001111",
        "to": "+15551234567",
        "client_state": body["client_state"],
        "command_id": "s1-0-dial",
        "webhook_url": "https://agent.example.com/webhooks/telnyx",
        "webhook_url_method": "POST",
    }
    assert decode_client_state(body["client_state"]) == {"session_id": "s1", "stage": "dialing"}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            StartAssistant(
                command_id="s1-1-ai_assistant_start",
                stage=CallState.IVR,
                role="ivr",
                dynamic_variables={"objective": "x"},
            ),
            {"assistant": {"id": "assistant-ivr", "dynamic_variables": {"objective": "x"}}},
        ),
        (
            StartAssistant(
                command_id="s1-5-ai_assistant_start",
                stage=CallState.REPRESENTATIVE,
                role="representative",
                dynamic_variables={"hold_seconds": 60},
                greeting="Hi",
                message_history=(("system", "brief"), ("user", "hello")),
            ),
            {
                "assistant": {"id": "assistant-rep", "dynamic_variables": {"hold_seconds": 60}},
                "greeting": "Hi",
                "message_history": [{"role": "system", "content": "brief"}, {"role": "user", "content": "hello"}],
            },
        ),
        (StopAssistant(command_id="s1-2-ai_assistant_stop", stage=CallState.HOLD), {}),
        (SendDtmf(command_id="s1-3-send_dtmf", stage=CallState.IVR, digits="1w2"), {"digits": "1w2"}),
        (
            StartTranscription(command_id="s1-4-transcription_start", stage=CallState.IVR),
            {
                "transcription_engine": "Deepgram",
                "transcription_engine_config": {
                    "transcription_engine": "deepgram/nova-2",
                    "transcription_model": "deepgram/nova-2",
                    "language": "en-US",
                    "interim_results": True,
                },
                "transcription_tracks": "inbound",
            },
        ),
        (Hangup(command_id="s1-7-hangup", stage=CallState.REPRESENTATIVE, reason="done"), {}),
    ],
    ids=lambda value: getattr(value, "action", ""),
)
@respx.mock
async def test_actions(client: HttpCallControl, command: object, expected: dict[str, object]) -> None:
    action = command.action  # type: ignore[attr-defined]
    route = respx.post(f"{API}/calls/{CALL}/actions/{action}").respond(200, json={"data": {"result": "ok"}})
    body = action_body(SETTINGS, "s1", command)  # type: ignore[arg-type]
    assert await client.action(CALL, action, body) == {"result": "ok"}
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer KEY123"
    assert request.headers["content-type"] == "application/json"
    sent = json.loads(request.content)
    assert sent == {**expected, "client_state": sent["client_state"], "command_id": command.command_id}  # type: ignore[attr-defined]
    assert decode_client_state(sent["client_state"]) == {"session_id": "s1", "stage": command.stage.value}  # type: ignore[attr-defined]


@respx.mock
async def test_assistant_start_returns_conversation_id(client: HttpCallControl) -> None:
    respx.post(f"{API}/calls/{CALL}/actions/ai_assistant_start").respond(
        200, json={"data": {"result": "ok", "conversation_id": "conv-1"}}
    )
    assert (await client.action(CALL, "ai_assistant_start", {}))["conversation_id"] == "conv-1"


@respx.mock
async def test_call_control_id_cannot_change_the_path(client: HttpCallControl) -> None:
    route = respx.post(url__startswith=API).respond(200, json={"data": {"result": "ok"}})
    await client.action("v3:a/../../calls", "hangup", {})
    assert route.calls.last.request.url.raw_path.decode().startswith("/v2/calls/v3:a%2F..%2F..%2Fcalls/actions/")


@pytest.mark.parametrize(
    ("response", "transient", "gone", "retry_after"),
    [
        (httpx.Response(500, json={"errors": [{"code": "10000", "detail": "oops"}]}), True, False, None),
        (httpx.Response(503), True, False, None),
        (
            httpx.Response(429, headers={"Retry-After": "3"}, json={"errors": [{"detail": "slow down"}]}),
            True,
            False,
            3.0,
        ),
        (
            httpx.Response(422, json={"errors": [{"code": "90018", "title": "Call has already ended"}]}),
            False,
            True,
            None,
        ),
        (httpx.Response(422, json={"errors": [{"code": "10015", "detail": "digits is invalid"}]}), False, False, None),
        (httpx.Response(404, json={"errors": [{"detail": "Resource not found"}]}), False, True, None),
        (httpx.Response(401, text="nope"), False, False, None),
    ],
)
@respx.mock
async def test_errors_are_translated(
    client: HttpCallControl, response: httpx.Response, transient: bool, gone: bool, retry_after: float | None
) -> None:
    respx.post(f"{API}/calls/{CALL}/actions/send_dtmf").mock(return_value=response)
    with pytest.raises(CallControlError) as caught:
        await client.action(CALL, "send_dtmf", {"digits": "1"})
    error = caught.value
    assert error.status == response.status_code
    assert error.transient is transient
    assert error.call_gone is gone
    assert error.retry_after == retry_after


@pytest.mark.parametrize("exception", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
@respx.mock
async def test_no_response_is_transient(client: HttpCallControl, exception: Exception) -> None:
    respx.post(f"{API}/calls/{CALL}/actions/hangup").mock(side_effect=exception)
    with pytest.raises(CallControlError) as caught:
        await client.action(CALL, "hangup", {})
    assert caught.value.status is None and caught.value.transient


@respx.mock
async def test_dial_without_call_id_is_an_error(client: HttpCallControl) -> None:
    respx.post(f"{API}/calls").respond(200, json={"data": {}})
    with pytest.raises(CallControlError, match="call_control_id"):
        await client.dial({})


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    headers = httpx.Headers({"Retry-After": format_datetime(now + timedelta(seconds=7), usegmt=True)})
    assert parse_retry_after(headers, now=now.timestamp()) == pytest.approx(7)
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"})) is None
    assert parse_retry_after(httpx.Headers({})) is None
