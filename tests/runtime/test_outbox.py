"""The outbox: one call's commands in order, one at a time; calls independent; no escapes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hold_agent.runtime.outbox import Delivery, Outbox, Settlement
from hold_agent.runtime.retry import Retrier, RetryPolicy
from hold_agent.telnyx.client import CallControlError, DialResult

pytestmark = pytest.mark.anyio

RETRIER = Retrier(RetryPolicy(deadline=1.0))


class Recorder:
    def __init__(self) -> None:
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.order: list[tuple[str, str]] = []

    async def dial(self, body: dict[str, Any]) -> DialResult:
        raise NotImplementedError

    async def action(self, call_control_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        self.in_flight[call_control_id] = self.in_flight.get(call_control_id, 0) + 1
        self.max_in_flight[call_control_id] = max(
            self.max_in_flight.get(call_control_id, 0), self.in_flight[call_control_id]
        )
        await asyncio.sleep(0.001)
        self.in_flight[call_control_id] -= 1
        if action == "boom":
            raise RuntimeError("bug")
        if action == "refused":
            raise CallControlError("Call has already ended", status=422)
        self.order.append((call_control_id, body["n"]))
        return {"result": "ok"}

    async def aclose(self) -> None:
        pass


def delivery(session: str, action: str, n: str) -> Delivery:
    return Delivery(session_id=session, call_control_id=f"call-{session}", action=action, command_id=n, body={"n": n})


async def test_order_per_call_and_one_at_a_time() -> None:
    recorder = Recorder()
    settled: list[tuple[str, bool]] = []

    async def on_settled(d: Delivery, s: Settlement) -> None:
        settled.append((d.command_id, s.ok))

    outbox = Outbox(recorder, RETRIER, on_settled, lambda d: None)
    outbox.submit([delivery("a", "x", "a1"), delivery("b", "x", "b1"), delivery("a", "x", "a2")])
    outbox.submit([delivery("a", "x", "a3")])
    await outbox.drain()
    assert [n for call, n in recorder.order if call == "call-a"] == ["a1", "a2", "a3"]
    assert recorder.max_in_flight == {"call-a": 1, "call-b": 1}
    assert sorted(settled) == [("a1", True), ("a2", True), ("a3", True), ("b1", True)]
    assert outbox.pending() == 0


async def test_failures_settle_and_the_queue_goes_on() -> None:
    recorder = Recorder()
    results: dict[str, Settlement] = {}

    async def on_settled(d: Delivery, s: Settlement) -> None:
        results[d.command_id] = s
        if d.command_id == "report-fails":
            raise RuntimeError("recording failed")

    outbox = Outbox(recorder, RETRIER, on_settled, lambda d: "call ended" if d.command_id == "skip" else None)
    items = [
        delivery("a", "boom", "bug"),
        delivery("a", "refused", "gone"),
        delivery("a", "x", "skip"),
        delivery("a", "x", "report-fails"),
        delivery("a", "x", "last"),
    ]
    outbox.submit(items)
    await outbox.drain()
    assert not results["bug"].ok and "internal error" in results["bug"].detail
    assert not results["gone"].ok and results["gone"].call_gone
    assert results["skip"].skipped and results["skip"].attempts == 0
    assert results["last"].ok
    assert all(item.done.done() for item in items)
