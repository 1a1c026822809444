"""Per-call command delivery: each call's commands go out in order, one at a time.

The service hands a call's commands to `submit` while it still holds that call's lock, so
the queue order is the order the state machine issued them. A worker per call (started on
demand, gone when its queue is empty) sends them, each through the `Retrier` (identical
body, same `command_id`, until delivered, refused for good, or out of time); the result of
each is reported back to the service (`on_settled`) and to whoever waits on the delivery's
future. Calls do not wait for each other: one call's retries never delay another's commands.

Nothing raised while sending escapes a worker: it becomes a failed settlement.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hold_agent.runtime.retry import Retrier
from hold_agent.telnyx.client import CallControl

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settlement:
    ok: bool
    detail: str
    attempts: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    call_gone: bool = False
    skipped: bool = False


@dataclass
class Delivery:
    session_id: str
    call_control_id: str | None
    action: str
    command_id: str
    body: dict[str, Any]
    done: asyncio.Future[Settlement] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    # Set when sending late would do harm (keys pressed after the menu moved on): the outbox
    # then skips it, and stops retrying it, with this reason.
    withdrawn: str | None = None


OnSettled = Callable[[Delivery, Settlement], Awaitable[None]]
ShouldSend = Callable[[Delivery], str | None]


class Outbox:
    def __init__(
        self, call_control: CallControl, retrier: Retrier, on_settled: OnSettled, skip_reason: ShouldSend
    ) -> None:
        self._call_control = call_control
        self._retrier = retrier
        self._on_settled = on_settled
        # Asked just before sending: a reason not to send (the call ended meanwhile), or None.
        self._skip_reason = skip_reason
        self._queues: dict[str, deque[Delivery]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._hangups: set[asyncio.Task[None]] = set()

    def submit(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            if delivery.action == "hangup":
                # A hangup never waits behind another command's retries: it ends everything.
                task = asyncio.create_task(self._settle(delivery), name=f"hangup-{delivery.session_id}")
                self._hangups.add(task)
                task.add_done_callback(self._hangups.discard)
                continue
            self._queues.setdefault(delivery.session_id, deque()).append(delivery)
            if delivery.session_id not in self._workers:
                self._workers[delivery.session_id] = asyncio.create_task(
                    self._work(delivery.session_id), name=f"outbox-{delivery.session_id}"
                )

    def busy(self, session_id: str) -> bool:
        """Is anything queued or in flight for this call?"""
        hanging_up = any(task.get_name() == f"hangup-{session_id}" for task in self._hangups)
        return session_id in self._workers or bool(self._queues.get(session_id)) or hanging_up

    def pending(self) -> int:
        return sum(len(queue) for queue in self._queues.values()) + len(self._workers) + len(self._hangups)

    async def drain(self) -> None:
        """Wait until every queued command has been sent and settled."""
        while self._workers or self._hangups:
            await asyncio.gather(*self._workers.values(), *self._hangups, return_exceptions=True)

    async def close(self) -> None:
        tasks = [*self._workers.values(), *self._hangups]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
        self._hangups.clear()

    async def _work(self, session_id: str) -> None:
        queue = self._queues[session_id]
        try:
            while queue:
                await self._settle(queue.popleft())
        finally:
            self._workers.pop(session_id, None)
            if not queue:
                self._queues.pop(session_id, None)

    async def _settle(self, delivery: Delivery) -> None:
        settlement = await self._deliver(delivery)
        try:
            await self._on_settled(delivery, settlement)
        except Exception:  # the report must never kill the queue
            log.exception("recording the result of %s failed", delivery.command_id)
        if not delivery.done.done():
            delivery.done.set_result(settlement)

    async def _deliver(self, delivery: Delivery) -> Settlement:
        reason = self._skip_reason(delivery)
        if reason is not None:
            return Settlement(ok=False, detail=f"not sent: {reason}", skipped=True)
        if delivery.call_control_id is None:
            return Settlement(ok=False, detail="not sent: the call has no call_control_id yet")
        call_control_id = delivery.call_control_id

        async def send() -> dict[str, Any]:
            return await self._call_control.action(call_control_id, delivery.action, delivery.body)

        try:
            attempted = await self._retrier.run(send, lambda: self._skip_reason(delivery))
        except Exception as error:  # a bug or a foreign failure: record it, keep going
            log.exception("sending %s failed unexpectedly", delivery.command_id)
            return Settlement(ok=False, detail=f"internal error: {type(error).__name__}", attempts=1)
        if attempted.stopped is not None:
            return Settlement(
                ok=False, detail=f"retries stopped: {attempted.stopped}", attempts=attempted.attempts, skipped=True
            )
        if attempted.error is not None:
            refused = attempted.error
            if not refused.call_gone:
                log.warning(
                    "%s failed after %d attempt(s): %s", delivery.command_id, attempted.attempts, refused.summary()
                )
            return Settlement(
                ok=False, detail=refused.summary(), attempts=attempted.attempts, call_gone=refused.call_gone
            )
        data = attempted.value or {}
        return Settlement(ok=True, detail=str(data.get("result") or "ok"), attempts=attempted.attempts, data=data)
