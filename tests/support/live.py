"""`python app.py` in live mode against the local Telnyx stand-in, fully secured (API and tool
tokens, signed webhooks), driven over HTTP the way Telnyx and a user would. Used by the live
tests and the benchmarks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
from nacl.signing import SigningKey

from fake_company.telnyx_api import Faults, TelnyxStandIn
from hold_agent.telnyx.signing import public_key_b64, sign
from tests.support.harness import DEMO_CALL
from tests.support.servers import AppProcess, ThreadedServer

API_KEY = "live-test-key"
API_TOKEN = "api-token-0123456789abcdef"
TOOL_TOKEN = "tool-token-0123456789abcdef"


class LiveAgent:
    def __init__(self, faults: Faults | None = None, env: dict[str, str] | None = None) -> None:
        self.key = SigningKey.generate()
        self.standin = TelnyxStandIn(API_KEY, faults)
        self._env = env or {}
        self._stack = ExitStack()
        self._event = 0

    def __enter__(self) -> LiveAgent:
        telnyx = self._stack.enter_context(ThreadedServer(self.standin.app))
        self.agent = AppProcess(
            {
                "TELNYX_DRY_RUN": "false",
                "TELNYX_API_KEY": API_KEY,
                "TELNYX_API_BASE": f"{telnyx.url}/v2",
                "TELNYX_CONNECTION_ID": "connection-1",
                "TELNYX_FROM_NUMBER": "+15550001111",
                "TELNYX_IVR_ASSISTANT_ID": "assistant-ivr",
                "TELNYX_REPRESENTATIVE_ASSISTANT_ID": "assistant-rep",
                "TELNYX_PUBLIC_KEY": public_key_b64(self.key),
                "API_AUTH_TOKEN": API_TOKEN,
                "TOOL_AUTH_TOKEN": TOOL_TOKEN,
                **self._env,
            },
            public=True,
        )
        self._stack.enter_context(self.agent)
        self.client = self._stack.enter_context(httpx.Client(base_url=self.agent.url, timeout=30))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    # --- acting as the user, Telnyx and the assistants ---------------------------------------

    def place_call(self, **overrides: Any) -> dict[str, Any]:
        response = self.client.post("/calls/outbound", json={**DEMO_CALL, **overrides}, headers=self.api_headers)
        assert response.status_code == 201, response.text
        return response.json()

    def webhook(self, event_type: str, call: str, payload: dict[str, Any] | None = None) -> httpx.Response:
        self._event += 1
        body = json.dumps(
            {
                "data": {
                    "event_type": event_type,
                    "id": f"evt-{self._event}",
                    "payload": {"call_control_id": call, **(payload or {})},
                }
            }
        ).encode()
        return self.client.post(
            "/webhooks/telnyx", content=body, headers={"content-type": "application/json", **sign(body, self.key)}
        )

    def transcript(self, call: str, text: str, is_final: bool = True) -> httpx.Response:
        data = {"transcript": text, "is_final": is_final, "confidence": 0.9, "transcription_track": "inbound"}
        return self.webhook("call.transcription", call, {"transcription_data": data})

    def tool(self, name: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(f"/tools/{name}", json=body, headers={"authorization": f"Bearer {TOOL_TOKEN}"})

    def session(self, session_id: str) -> dict[str, Any]:
        response = self.client.get(f"/sessions/{session_id}", headers=self.api_headers)
        assert response.status_code == 200, response.text
        return response.json()

    @property
    def api_headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {API_TOKEN}"}


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)
