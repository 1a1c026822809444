"""Dry-run Call Control: the CallControl interface answered by the in-memory Telnyx model
(model.py), with no network and no account. Every request is recorded, bounded, for
inspection (`sent()`); the bodies are the exact ones a real call would send (bodies.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from hold_agent.telnyx.client import CallControlError, DialResult
from hold_agent.telnyx.model import CallControlModel

MAX_RECORDED_REQUESTS = 2000
# Calls remembered; the oldest are forgotten first, so a long dry-run stays small.
MAX_REMEMBERED_CALLS = 10_000


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: dict[str, Any]
    duplicate: bool = False


class DryRunCallControl:
    def __init__(self) -> None:
        self.requests: deque[RecordedRequest] = deque(maxlen=MAX_RECORDED_REQUESTS)
        self.model = CallControlModel(id_prefix="v3:dry-run-", max_calls=MAX_REMEMBERED_CALLS)

    async def dial(self, body: dict[str, Any]) -> DialResult:
        answer = self.model.dial(body)
        self.requests.append(RecordedRequest("/calls", body, duplicate=answer.duplicate))
        data = answer.data
        return DialResult(
            call_control_id=data["call_control_id"],
            call_leg_id=data["call_leg_id"],
            call_session_id=data["call_session_id"],
        )

    async def action(self, call_control_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"/calls/{call_control_id}/actions/{action}"
        try:
            answer = self.model.act(call_control_id, action, body)
        except CallControlError:
            self.requests.append(RecordedRequest(path, body))
            raise
        self.requests.append(RecordedRequest(path, body, duplicate=answer.duplicate))
        return answer.data

    async def aclose(self) -> None:
        self.model.forget()

    def end_call(self, call_control_id: str) -> None:
        """The far end hung up: later commands on this call fail as they would on Telnyx."""
        self.model.hang_up(call_control_id)

    def sent(self, action: str | None = None) -> list[RecordedRequest]:
        """Recorded, non-duplicate requests, optionally only one action ("dial" for dials)."""
        wanted = [r for r in self.requests if not r.duplicate]
        if action is None:
            return wanted
        suffix = "/calls" if action == "dial" else f"/actions/{action}"
        return [r for r in wanted if r.path.endswith(suffix)]
