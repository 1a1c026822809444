"""Telnyx's side of the webhooks, for the simulator: envelopes shaped as Telnyx sends them
(the Call Control webhook reference), signed with Ed25519, and delivered the way Telnyx delivers them: usually in
order, sometimes twice, sometimes swapped with the next one.

`occurred_at` comes from the company's (scaled) clock: it is the only way the service under
test learns how much time has passed. The signature's timestamp is the real time of sending,
as Telnyx's is, so the service's 300-second window still applies.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from nacl.signing import SigningKey

from hold_agent.telnyx.signing import sign

WEBHOOK_PATH = "/webhooks/telnyx"
# How long (real seconds) a webhook held back waits for a successor to overtake it.
REORDER_WAIT_SECONDS = 0.05
# A duplicate arrives this long (real seconds) after the original, as a Telnyx retry would.
DUPLICATE_DELAY_SECONDS = (0.01, 0.25)


@dataclass(frozen=True)
class Unreliability:
    """Rates (0..1) of webhooks delivered twice and of webhooks overtaken by the next one."""

    duplicates: float = 0.0
    reorder: float = 0.0


@dataclass
class DeliveryStats:
    sent: int = 0
    duplicates: int = 0
    reordered: int = 0
    # Webhooks the service did not answer with 2xx: Telnyx would retry them; we count them.
    refused: list[str] = field(default_factory=list)
    # How long the service took to answer each webhook, in real milliseconds.
    answer_ms: list[float] = field(default_factory=list)


class CallEvents:
    """Builds the webhooks of one call."""

    def __init__(self, call_control_id: str, dial_body: dict[str, Any], started: datetime, now: Callable[[], float]):
        self.call_control_id = call_control_id
        self._dial = dial_body
        self._started = started
        self._now = now
        self._leg = str(uuid.uuid4())
        self._session = str(uuid.uuid4())
        # The client_state of the latest command: Telnyx echoes it in the webhooks that follow.
        self.client_state: str | None = dial_body.get("client_state")

    def envelope(self, event_type: str, **payload: Any) -> dict[str, Any]:
        occurred = self._started + timedelta(seconds=self._now())
        return {
            "data": {
                "record_type": "event",
                "event_type": event_type,
                "id": str(uuid.uuid4()),
                "occurred_at": occurred.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "payload": {
                    "call_control_id": self.call_control_id,
                    "call_leg_id": self._leg,
                    "call_session_id": self._session,
                    "connection_id": self._dial.get("connection_id"),
                    "client_state": self.client_state,
                    "from": self._dial.get("from"),
                    "to": self._dial.get("to"),
                    **payload,
                },
            },
            "meta": {"attempt": 1, "delivered_to": self._dial.get("webhook_url")},
        }

    def transcription(self, text: str, is_final: bool, confidence: float | None) -> dict[str, Any]:
        data: dict[str, Any] = {"transcript": text, "is_final": is_final, "transcription_track": "inbound"}
        if confidence is not None:
            data["confidence"] = round(confidence, 3)
        return self.envelope("call.transcription", transcription_data=data)

    def hangup(self, cause: str, source: str) -> dict[str, Any]:
        return self.envelope("call.hangup", hangup_cause=cause, hangup_source=source, sip_hangup_cause="200")


class WebhookDelivery:
    """Delivers one call's webhooks to the service, in the order sent, except that a webhook
    may be held back until the next one has gone (reordered) or delivered again (duplicate)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        key: SigningKey,
        unreliability: Unreliability,
        rng: random.Random,
        url: str = WEBHOOK_PATH,
    ) -> None:
        """`url`: where Telnyx posts: the dial's `webhook_url` when it has one, else the
        service's own path (relative to the client's base URL)."""
        self._client = client
        self._url = url
        self._key = key
        self._unreliability = unreliability
        self._rng = rng
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._held: dict[str, Any] | None = None
        self._release: asyncio.TimerHandle | None = None
        self._duplicates: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self.stats = DeliveryStats()

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run())

    def send(self, envelope: dict[str, Any]) -> None:
        if self._held is not None:
            # The held webhook is overtaken by this one.
            self._queue.put_nowait(envelope)
            self._release_held()
            self.stats.reordered += 1
        elif self._rng.random() < self._unreliability.reorder:
            self._held = envelope
            self._release = asyncio.get_running_loop().call_later(REORDER_WAIT_SECONDS, self._release_held)
        else:
            self._queue.put_nowait(envelope)

    async def drain(self) -> None:
        """Deliver everything sent so far (and every duplicate), then stop."""
        self._release_held()
        self._queue.put_nowait(None)
        if self._worker is not None:
            await self._worker
        while self._duplicates:
            await asyncio.gather(*self._duplicates)

    def _release_held(self) -> None:
        if self._release is not None:
            self._release.cancel()
            self._release = None
        if self._held is not None:
            self._queue.put_nowait(self._held)
            self._held = None

    async def _run(self) -> None:
        while (envelope := await self._queue.get()) is not None:
            await self._post(envelope)
            if self._rng.random() < self._unreliability.duplicates:
                self.stats.duplicates += 1
                task = asyncio.create_task(self._post_later(envelope, self._rng.uniform(*DUPLICATE_DELAY_SECONDS)))
                self._duplicates.add(task)
                task.add_done_callback(self._duplicates.discard)

    async def _post_later(self, envelope: dict[str, Any], delay: float) -> None:
        await asyncio.sleep(delay)
        await self._post({**envelope, "meta": {**envelope.get("meta", {}), "attempt": 2}})

    async def _post(self, envelope: dict[str, Any]) -> None:
        body = json.dumps(envelope).encode()
        headers = {"content-type": "application/json", **sign(body, self._key)}
        self.stats.sent += 1
        event = envelope["data"]["event_type"]
        started = time.perf_counter()
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as error:
            self.stats.refused.append(f"{event}: {type(error).__name__}")
            return
        self.stats.answer_ms.append((time.perf_counter() - started) * 1000)
        if not response.is_success:
            self.stats.refused.append(f"{event}: HTTP {response.status_code} {response.text[:120]}")
