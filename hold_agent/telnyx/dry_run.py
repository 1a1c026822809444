"""Dry-run Call Control: a local implementation of the interface that answers as Telnyx does.

It keeps a small model of the calls it has "placed": a dial returns a fresh
`call_control_id`; assistant starts return a `conversation_id`; a command on a call it never
placed is a 404; a command on a call that was hung up is a 422 "call has already ended"; a
command whose `command_id` it has already seen on that call is accepted and does nothing
(Telnyx's documented de-duplication). Every request is recorded, bounded, for inspection.
No network, no account.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from hold_agent.telnyx.client import CallControlError, DialResult

MAX_RECORDED_REQUESTS = 2000
# Calls remembered; the oldest are forgotten first, so a long dry-run stays small.
MAX_REMEMBERED_CALLS = 10_000


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: dict[str, Any]
    duplicate: bool = False


@dataclass
class _DryRunCall:
    alive: bool = True
    command_ids: set[str] = field(default_factory=set)


class DryRunCallControl:
    def __init__(self) -> None:
        self.requests: deque[RecordedRequest] = deque(maxlen=MAX_RECORDED_REQUESTS)
        self._calls: dict[str, _DryRunCall] = {}
        self._dials: dict[str, DialResult] = {}

    async def dial(self, body: dict[str, Any]) -> DialResult:
        command_id = body.get("command_id")
        if isinstance(command_id, str) and command_id in self._dials:
            self.requests.append(RecordedRequest("/calls", body, duplicate=True))
            return self._dials[command_id]
        self.requests.append(RecordedRequest("/calls", body))
        result = DialResult(
            call_control_id=f"v3:dry-run-{uuid.uuid4().hex}",
            call_leg_id=str(uuid.uuid4()),
            call_session_id=str(uuid.uuid4()),
        )
        self._calls[result.call_control_id] = _DryRunCall()
        if isinstance(command_id, str):
            self._dials[command_id] = result
        for remembered in (self._calls, self._dials):
            while len(remembered) > MAX_REMEMBERED_CALLS:
                del remembered[next(iter(remembered))]
        return result

    async def action(self, call_control_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"/calls/{call_control_id}/actions/{action}"
        call = self._calls.get(call_control_id)
        command_id = body.get("command_id")
        duplicate = call is not None and command_id in call.command_ids
        self.requests.append(RecordedRequest(path, body, duplicate=duplicate))
        if call is None:
            raise CallControlError("Resource not found", status=404)
        if duplicate:
            return {"result": "ok"}
        if not call.alive:
            raise CallControlError("Call has already ended", status=422)
        if isinstance(command_id, str):
            call.command_ids.add(command_id)
        if action == "hangup":
            call.alive = False
        if action == "ai_assistant_start":
            return {"result": "ok", "conversation_id": str(uuid.uuid4())}
        return {"result": "ok"}

    async def aclose(self) -> None:
        self._calls.clear()
        self._dials.clear()

    def end_call(self, call_control_id: str) -> None:
        """The far end hung up: later commands on this call fail as they would on Telnyx."""
        if call_control_id in self._calls:
            self._calls[call_control_id].alive = False

    def sent(self, action: str | None = None) -> list[RecordedRequest]:
        """Recorded, non-duplicate requests, optionally only one action ("dial" for dials)."""
        wanted = [r for r in self.requests if not r.duplicate]
        if action is None:
            return wanted
        suffix = "/calls" if action == "dial" else f"/actions/{action}"
        return [r for r in wanted if r.path.endswith(suffix)]
