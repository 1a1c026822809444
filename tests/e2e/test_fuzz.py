"""Schema-driven fuzzing (schemathesis) of every endpoint in the app's own OpenAPI schema,
against the app served by uvicorn on loopback: valid and deliberately invalid bodies, query
strings, headers and path ids. No answer may be a 5xx.

The app runs with API and tool tokens set. Half of the cases carry the right token (the rest
meet the auth checks), and half of the tool and webhook cases are pointed at a live, answered
call, so that fuzzed input reaches the routes, the service and the state machine too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from app import build_app
from tests.support.harness import DEMO_CALL, make_settings
from tests.support.servers import ThreadedServer

API_TOKEN = "fuzz-api-token-0123456789"
TOOL_TOKEN = "fuzz-tool-token-0123456789"
APP = build_app(
    make_settings(
        max_concurrent_calls=100_000,
        max_calls_per_minute=100_000,
        api_auth_token=API_TOKEN,
        tool_auth_token=TOOL_TOKEN,
    )
)

pytestmark = pytest.mark.e2e  # real processes and servers: not in the fast loop
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.config.generation.update(modes=list(GenerationMode), max_examples=80, deterministic=True)
_turn = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer(APP) as running:
        yield running


def live_call(base_url: str) -> str:
    """The call_control_id of an answered, active call, placing one if needed."""
    for session in APP.state.service.store.active():
        if session.state.value != "dialing" and session.call_control_id:
            return session.call_control_id
    with httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {API_TOKEN}"}) as client:
        call = client.post("/calls/outbound", json=DEMO_CALL).json()["call_control_id"]
        answered = {"data": {"event_type": "call.answered", "payload": {"call_control_id": call}}}
        client.post("/webhooks/telnyx", json=answered)
    return call


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_gets_a_5xx(case: schemathesis.Case, server: ThreadedServer) -> None:
    turn = next(_turn)
    if turn % 2 == 0:
        token = TOOL_TOKEN if case.path.startswith("/tools/") else API_TOKEN
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if turn % 4 < 2 and (case.path.startswith("/tools/") or case.path == "/webhooks/telnyx"):
        call = live_call(server.url)
        if case.path.startswith("/tools/"):
            case.headers = {**(case.headers or {}), "x-telnyx-call-control-id": call}
            if isinstance(case.body, dict):
                case.body.pop("call_control_id", None)
        elif isinstance(case.body, dict) and isinstance(case.body.get("data"), dict):
            payload = case.body["data"].get("payload")
            if isinstance(payload, dict):
                payload["call_control_id"] = call
    response = case.call(base_url=server.url)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    )
