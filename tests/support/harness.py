"""What many tests share: the spec's demo call, hermetic settings, a controllable clock, and a
harness that drives the whole app in-process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from hold_agent.config import Settings
from hold_agent.http.app import create_app
from hold_agent.runtime.retry import Retrier
from hold_agent.runtime.service import CallService
from hold_agent.telnyx.client import CallControl
from hold_agent.telnyx.dry_run import DryRunCallControl

DEMO_CALL = {
    "to": "+15551234567",
    "objective": "book a hotel reservation for Friday night",
    "target_company": "Willow Creek Hotel",
    "context": {"guest_name": "Alex Morgan", "party_size": 2},
}

# The spec's call, walked from dial to end-call: the states it passes and the commands it sends.
SPEC_PATH = [("dialing", "ivr"), ("ivr", "hold"), ("hold", "representative"), ("representative", "ended")]
SPEC_COMMANDS = [
    "ai_assistant_start",
    "transcription_start",
    "send_dtmf",
    "ai_assistant_stop",
    "ai_assistant_start",
    "hangup",
]


def transitions(session: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["from"], t["to"]) for t in session["history"]]


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def make_settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


# Every Telnyx value real mode needs (the security settings are left to each test).
REAL_MODE: dict[str, Any] = {
    "telnyx_dry_run": False,
    "telnyx_api_key": "KEY123",
    "telnyx_api_base": "https://api.telnyx.test/v2",
    "telnyx_connection_id": "conn-1",
    "telnyx_from_number": "+15550001111",
    "telnyx_ivr_assistant_id": "assistant-ivr",
    "telnyx_representative_assistant_id": "assistant-rep",
    "public_base_url": "https://agent.example.com",
}


@dataclass
class Harness:
    client: httpx.AsyncClient
    service: CallService
    telnyx: Any
    clock: FakeClock

    async def place_call(self, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post("/calls/outbound", json={**DEMO_CALL, **overrides})
        assert response.status_code == 201, response.text
        return response.json()

    async def webhook(
        self,
        event_type: str,
        call_control_id: str,
        payload: dict[str, Any] | None = None,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> httpx.Response:
        data: dict[str, Any] = {
            "record_type": "event",
            "event_type": event_type,
            "payload": {"call_control_id": call_control_id, **(payload or {})},
        }
        if event_id is not None:
            data["id"] = event_id
        if occurred_at is not None:
            data["occurred_at"] = occurred_at.isoformat().replace("+00:00", "Z")
        response = await self.client.post(
            "/webhooks/telnyx", content=json.dumps({"data": data}), headers={"content-type": "application/json"}
        )
        await self.settle()
        return response

    async def transcript(self, call_control_id: str, text: str, is_final: bool = True, **kwargs: Any) -> httpx.Response:
        data = {"transcript": text, "is_final": is_final, "confidence": 0.9, "transcription_track": "inbound"}
        return await self.webhook("call.transcription", call_control_id, {"transcription_data": data}, **kwargs)

    async def tool(self, name: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
        response = await self.client.post(f"/tools/{name}", json=body, **kwargs)
        await self.settle()
        return response

    async def session(self, session_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/sessions/{session_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def settle(self) -> None:
        await self.service.outbox.drain()


async def open_harness(
    settings: Settings, call_control: CallControl | None = None, retrier: Retrier | None = None
) -> tuple[Harness, Any]:
    clock = FakeClock()
    telnyx = call_control or DryRunCallControl()
    app = create_app(settings, telnyx, clock=clock, watchdog_interval=None, retrier=retrier)
    # With an API token configured, the harness acts as its owner (tests of auth build their own requests).
    token = settings.api_auth_token
    headers = {"authorization": f"Bearer {token.get_secret_value()}"} if token else {}
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers)
    return Harness(client, app.state.service, telnyx, clock), app
