"""Telnyx-style webhook delivery: envelopes, signatures, duplicates, reordering (a local
ASGI receiver)."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from nacl.signing import SigningKey

from fake_company import webhook_delivery
from fake_company.webhook_delivery import CallEvents, DeliveryStats, Unreliability, WebhookDelivery
from hold_agent.telnyx.signing import SignatureError, verify

pytestmark = pytest.mark.anyio


STARTED = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
DIAL = {
    "connection_id": "conn-1",
    "from": "+15550001111",
    "to": "+15550100001",
    "client_state": "aGVsbG8=",
    "webhook_url": "http://127.0.0.1:8000/webhooks/telnyx",
}


@dataclass
class Receiver:
    """A local service that records the webhooks it gets and refuses some event types."""

    refuse: frozenset[str] = frozenset()
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        app = FastAPI()

        @app.post("/webhooks/telnyx")
        async def webhook(request: Request) -> Response:
            body = await request.body()
            self.bodies.append(body)
            self.headers.append(dict(request.headers))
            event = json.loads(body)["data"]["event_type"]
            return Response(
                status_code=503 if event in self.refuse else 200, content="busy" if event in self.refuse else ""
            )

        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent.test")

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body)["data"] for body in self.bodies]


class Clock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def call_events(clock: Clock | None = None) -> CallEvents:
    return CallEvents("v3:call-1", DIAL, STARTED, clock or Clock())


async def deliver(
    envelopes: list[dict[str, Any]], receiver: Receiver, key: SigningKey, unreliability: Unreliability | None = None
) -> DeliveryStats:
    async with receiver.client() as client:
        delivery = WebhookDelivery(client, key, unreliability or Unreliability(), random.Random(3))
        delivery.start()
        for envelope in envelopes:
            delivery.send(envelope)
        await delivery.drain()
    return delivery.stats


def test_envelopes_have_telnyxs_shape_and_the_company_clock() -> None:
    clock = Clock()
    events = call_events(clock)
    clock.seconds = 12.5
    envelope = events.envelope("call.answered")
    data = envelope["data"]
    assert data["record_type"] == "event" and data["event_type"] == "call.answered"
    assert uuid.UUID(data["id"])
    assert data["occurred_at"] == "2026-11-21T12:00:12.500Z"
    payload = data["payload"]
    assert payload["call_control_id"] == "v3:call-1"
    assert payload["client_state"] == "aGVsbG8="
    assert (payload["connection_id"], payload["from"], payload["to"]) == ("conn-1", "+15550001111", "+15550100001")
    assert payload["call_leg_id"] and payload["call_session_id"]
    assert envelope["meta"] == {"attempt": 1, "delivered_to": DIAL["webhook_url"]}
    clock.seconds = 3725.25
    later = events.envelope("call.conversation.created", client_state="b3RoZXI=", conversation_id="c-1")
    assert later["data"]["occurred_at"] == "2026-11-21T13:02:05.250Z"
    assert later["data"]["payload"]["client_state"] == "b3RoZXI="
    assert later["data"]["payload"]["conversation_id"] == "c-1"
    assert later["data"]["id"] != data["id"]
    assert later["data"]["payload"]["call_session_id"] == payload["call_session_id"]


def test_transcription_and_hangup_envelopes() -> None:
    events = call_events()
    final = events.transcription("Please hold.", True, 0.93456)["data"]
    assert final["event_type"] == "call.transcription"
    assert final["payload"]["transcription_data"] == {
        "transcript": "Please hold.",
        "is_final": True,
        "transcription_track": "inbound",
        "confidence": 0.935,
    }
    interim = events.transcription("please", False, None)["data"]["payload"]["transcription_data"]
    assert interim["is_final"] is False and "confidence" not in interim
    hangup = events.hangup("normal_clearing", "callee")["data"]
    assert hangup["event_type"] == "call.hangup"
    assert (hangup["payload"]["hangup_cause"], hangup["payload"]["hangup_source"]) == ("normal_clearing", "callee")


async def test_webhooks_are_delivered_in_order_and_signed() -> None:
    key, receiver = SigningKey.generate(), Receiver()
    events = call_events()
    sent = [
        events.envelope("call.initiated"),
        events.envelope("call.answered"),
        events.hangup("normal_clearing", "caller"),
    ]
    stats = await deliver(sent, receiver, key)
    assert [event["id"] for event in receiver.events()] == [e["data"]["id"] for e in sent]
    assert receiver.bodies == [json.dumps(e).encode() for e in sent]
    for body, headers in zip(receiver.bodies, receiver.headers, strict=True):
        assert headers["content-type"] == "application/json"
        verify(body, headers, bytes(key.verify_key))
    with pytest.raises(SignatureError):
        verify(receiver.bodies[0] + b" ", receiver.headers[0], bytes(key.verify_key))
    with pytest.raises(SignatureError):
        verify(receiver.bodies[0], receiver.headers[0], bytes(SigningKey.generate().verify_key))
    assert (stats.sent, stats.duplicates, stats.reordered, stats.refused) == (3, 0, 0, [])


async def test_duplicates_resend_the_same_event(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_delivery, "DUPLICATE_DELAY_SECONDS", (0.001, 0.002))
    key, receiver = SigningKey.generate(), Receiver()
    events = call_events()
    sent = [events.envelope("call.initiated"), events.envelope("call.answered")]
    stats = await deliver(sent, receiver, key, Unreliability(duplicates=1.0))
    ids = [event["id"] for event in receiver.events()]
    assert sorted(ids) == sorted([e["data"]["id"] for e in sent] * 2)
    assert ids[0] == sent[0]["data"]["id"]
    for body, headers in zip(receiver.bodies, receiver.headers, strict=True):
        verify(body, headers, bytes(key.verify_key))
    assert (stats.sent, stats.duplicates) == (4, 2)


async def test_reorder_swaps_a_webhook_with_the_next_one() -> None:
    key, receiver = SigningKey.generate(), Receiver()
    events = call_events()
    sent = [events.envelope(f"call.event{n}") for n in range(5)]
    stats = await deliver(sent, receiver, key, Unreliability(reorder=1.0))
    # Every webhook is held back; the next one overtakes it. The last is released by drain().
    assert [event["event_type"] for event in receiver.events()] == [
        "call.event1", "call.event0", "call.event3", "call.event2", "call.event4"
    ]  # fmt: skip
    assert stats.reordered == 2
    assert stats.sent == 5


async def test_a_held_webhook_goes_on_its_own_when_nothing_overtakes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_delivery, "REORDER_WAIT_SECONDS", 0.005)
    key, receiver = SigningKey.generate(), Receiver()
    events = call_events()
    async with receiver.client() as client:
        delivery = WebhookDelivery(client, key, Unreliability(reorder=1.0), random.Random(1))
        delivery.start()
        delivery.send(events.envelope("call.first"))
        for _ in range(100):
            await asyncio.sleep(0.002)
            if receiver.bodies:
                break
        assert [event["event_type"] for event in receiver.events()] == ["call.first"]
        delivery.send(events.envelope("call.second"))
        await delivery.drain()
    assert [event["event_type"] for event in receiver.events()] == ["call.first", "call.second"]
    assert delivery.stats.reordered == 0


async def test_drain_delivers_everything_sent() -> None:
    key, receiver = SigningKey.generate(), Receiver()
    events = call_events()
    sent = [events.envelope(f"call.event{n}") for n in range(40)]
    stats = await deliver(sent, receiver, key, Unreliability(duplicates=0.0, reorder=0.3))
    assert sorted(event["id"] for event in receiver.events()) == sorted(e["data"]["id"] for e in sent)
    assert stats.sent == 40 and stats.reordered > 0


async def test_refused_webhooks_are_counted() -> None:
    key, receiver = SigningKey.generate(), Receiver(refuse=frozenset({"call.hangup"}))
    events = call_events()
    stats = await deliver([events.envelope("call.answered"), events.hangup("normal_clearing", "caller")], receiver, key)
    assert stats.refused == ["call.hangup: HTTP 503 busy"]
    assert stats.sent == 2


async def test_a_failed_connection_is_counted_as_refused() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(unreachable), base_url="http://127.0.0.1:9") as client:
        delivery = WebhookDelivery(client, SigningKey.generate(), Unreliability(), random.Random(1))
        delivery.start()
        delivery.send(call_events().envelope("call.answered"))
        await delivery.drain()
    assert delivery.stats.refused == ["call.answered: ConnectError"]
