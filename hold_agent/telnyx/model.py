"""One in-memory model of how Telnyx Call Control answers, shared by everything that stands in
for Telnyx: dry-run (telnyx/dry_run.py), the simulator's HTTP stand-in
(fake_company/telnyx_api.py) and, through them, the tests.

What it models, as Telnyx documents it:
- a dial names a new call (`call_control_id`, leg and session ids); a dial whose `command_id`
  was seen before names the same call again and places nothing;
- an action on a call it never placed is a 404; on a call that has hung up, a 422 "Call has
  already ended"; an action whose `command_id` this call has already taken is accepted and
  does nothing (Telnyx's de-duplication), even after the call ended;
- `hangup` ends the call; `ai_assistant_start` answers with a `conversation_id`.
Faults, latency and the HTTP shapes are the stand-in's business, not the model's.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hold_agent.telnyx.client import CallControlError

# The Call Control actions the model knows; any other is a 404, as an unknown path is.
ACTIONS = frozenset(
    {
        "answer",
        "hangup",
        "send_dtmf",
        "speak",
        "ai_assistant_start",
        "ai_assistant_stop",
        "transcription_start",
        "transcription_stop",
        "playback_start",
        "playback_stop",
        "gather",
        "bridge",
    }
)


@dataclass
class ModelCall:
    call_control_id: str
    dial_body: dict[str, Any]
    alive: bool = True
    command_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Answer:
    data: dict[str, Any]  # what Telnyx puts under "data"
    duplicate: bool = False  # a command_id seen before: accepted, and it changed nothing


class CallControlModel:
    def __init__(self, id_prefix: str = "v3:model-", max_calls: int | None = None) -> None:
        """`max_calls`: forget the oldest calls beyond this many, so a long dry-run stays small."""
        self.calls: dict[str, ModelCall] = {}
        # How many times each command_id took effect (the goal: exactly once each).
        self.applied: Counter[str] = Counter()
        self._id_prefix = id_prefix
        self._max_calls = max_calls
        self._dials: dict[str, dict[str, Any]] = {}

    def dial(self, body: dict[str, Any]) -> Answer:
        command_id = body.get("command_id")
        if isinstance(command_id, str) and command_id in self._dials:
            return Answer(self._dials[command_id], duplicate=True)
        call_control_id = f"{self._id_prefix}{uuid.uuid4().hex}"
        data = {
            "call_control_id": call_control_id,
            "call_leg_id": str(uuid.uuid4()),
            "call_session_id": str(uuid.uuid4()),
            "is_alive": True,
            "record_type": "call",
        }
        self.calls[call_control_id] = ModelCall(call_control_id, body)
        if isinstance(command_id, str):
            self._dials[command_id] = data
            self.applied[command_id] += 1
        self._forget_oldest()
        return Answer(data)

    def act(self, call_control_id: str, action: str, body: dict[str, Any]) -> Answer:
        """Raises CallControlError (404 or 422) as Telnyx would answer."""
        call = self.calls.get(call_control_id)
        if call is None or action not in ACTIONS:
            raise CallControlError("Resource not found", status=404)
        command_id = body.get("command_id")
        if isinstance(command_id, str) and command_id in call.command_ids:
            return Answer({"result": "ok"}, duplicate=True)
        if not call.alive:
            raise CallControlError("Call has already ended", status=422)
        if isinstance(command_id, str):
            call.command_ids.add(command_id)
            self.applied[command_id] += 1
        if action == "hangup":
            call.alive = False
        data: dict[str, Any] = {"result": "ok"}
        if action == "ai_assistant_start":
            data["conversation_id"] = str(uuid.uuid4())
        return Answer(data)

    def hang_up(self, call_control_id: str) -> None:
        """The far end hung up: later actions on this call fail as they would on Telnyx."""
        call = self.calls.get(call_control_id)
        if call is not None:
            call.alive = False

    def forget(self) -> None:
        self.calls.clear()
        self._dials.clear()

    def _forget_oldest(self) -> None:
        if self._max_calls is None:
            return
        for remembered in (self.calls, self._dials):
            while len(remembered) > self._max_calls:
                del remembered[next(iter(remembered))]
