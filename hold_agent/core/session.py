"""The record of one call: what the state machine reads and writes, and what the API shows.

Pure data. Nothing here does I/O; `machine.step` is the only code that changes a session
(the service saves what it returns). Lists are capped so one long or hostile call cannot
grow memory without bound.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hold_agent.core.detection.labels import Label
from hold_agent.core.detection.memory import DetectorMemory
from hold_agent.core.outcomes import Outcome

MAX_TRANSCRIPT_LINES = 200
MAX_NOTES = 200
MAX_HISTORY = 100
MAX_COMMANDS = 200

# Approved context values. Floats must be finite: NaN and Infinity are not JSON.
ContextValue = (
    Annotated[str, StringConstraints(max_length=2000)] | int | Annotated[float, Field(allow_inf_nan=False)] | bool
)


class CallState(StrEnum):
    DIALING = "dialing"
    IVR = "ivr"
    HOLD = "hold"
    REPRESENTATIVE = "representative"
    ENDED = "ended"


ACTIVE_STATES = frozenset({CallState.DIALING, CallState.IVR, CallState.HOLD, CallState.REPRESENTATIVE})

AssistantRole = Literal["ivr", "representative"]
CommandStatus = Literal["pending", "ok", "failed", "skipped"]


class Transition(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    at: datetime
    from_state: CallState = Field(alias="from")
    to_state: CallState = Field(alias="to")
    why: str


class Note(BaseModel):
    """Something that happened without a transition: an ignored event, a refused request."""

    at: datetime
    text: str


class TranscriptLine(BaseModel):
    """A final transcript line from the far end (interim results are never stored here)."""

    at: datetime
    text: str
    confidence: float | None = None
    heard_in: CallState
    # What detection made of the line ("hold", "human", "ivr", ...), with what probability
    # per label, and why, for the record.
    verdict: Label | None = None
    probabilities: dict[str, float] = Field(default_factory=dict)
    reason: str | None = None


class CommandRecord(BaseModel):
    command_id: str
    action: str
    stage: CallState
    summary: str = ""
    status: CommandStatus = "pending"
    result: str | None = None
    attempts: int = 0
    issued_at: datetime
    settled_at: datetime | None = None


class CallPolicy(BaseModel):
    """Per-call choices fixed when the call is placed."""

    transcribe_during_ivr: bool = True
    # Keys this call may press; None means any key Telnyx accepts.
    allowed_digits: str | None = None
    # Watchdogs, in seconds; 0 turns one off.
    max_ivr_seconds: float = 0
    max_hold_seconds: float = 0
    max_call_seconds: float = 0


class CallSession(BaseModel):
    session_id: str
    call_control_id: str | None = None
    call_leg_id: str | None = None
    call_session_id: str | None = None

    state: CallState = CallState.DIALING
    outcome: Outcome | None = None
    end_reason: str | None = None
    hangup_cause: str | None = None
    hangup_source: str | None = None

    to: str
    target_company: str
    objective: str
    context: dict[str, ContextValue] = Field(default_factory=dict)
    greeting: str | None = None
    policy: CallPolicy = Field(default_factory=CallPolicy)

    created_at: datetime
    updated_at: datetime
    answered_at: datetime | None = None
    # When a phone menu began again after a hold (a transfer into a second menu).
    menu_started_at: datetime | None = None
    hold_started_at: datetime | None = None
    representative_at: datetime | None = None
    ended_at: datetime | None = None
    hold_seconds_total: float = 0.0
    hold_count: int = 0

    # The assistant we last started (or are starting), and that start's command id.
    assistant: AssistantRole | None = None
    assistant_command_id: str | None = None
    # Failed starts of the current assistant; one is retried, the second ends the call.
    assistant_failures: int = 0
    conversation_id: str | None = None
    transcribing: bool = False
    detector: DetectorMemory = Field(default_factory=DetectorMemory)
    # Telnyx-clock time of the webhook that caused the current state. A webhook that
    # happened before it is late news and may not move the call (see machine.step).
    state_signal_at: datetime | None = None
    # Telnyx time of the latest final line that agreed with the current state (the queue
    # talking on hold, the person talking with us). A hold or unhold signal from before it is
    # overtaken news, whichever arrived first.
    state_confirmed_at: datetime | None = None
    # How far Telnyx's clock is ahead of ours, from the least-delayed webhook so far. Events
    # that carry no time of their own (tool calls, the watchdog) are placed on Telnyx's clock
    # with it, so hold time and silences stay consistent whatever the skew or delay.
    telnyx_clock_offset: float | None = None
    # A person said "one moment" / "hang on": if music or silence follows, the hold began then.
    pending_hold_at: datetime | None = None

    transcript: list[TranscriptLine] = Field(default_factory=list)
    history: list[Transition] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    commands: list[CommandRecord] = Field(default_factory=list)
    command_seq: int = 0

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def telnyx_now(self, now: datetime) -> datetime:
        """`now` (our clock) on Telnyx's clock, as far as this call's webhooks tell."""
        offset = self.telnyx_clock_offset
        return now if offset is None else now + timedelta(seconds=offset)

    def hold_seconds(self, now: datetime) -> float:
        """Total time on hold so far, counting the current hold episode up to `now`."""
        total = self.hold_seconds_total
        if self.state is CallState.HOLD and self.hold_started_at is not None:
            total += max(0.0, (now - self.hold_started_at).total_seconds())
        return round(total, 3)

    def command(self, command_id: str) -> CommandRecord | None:
        for record in reversed(self.commands):
            if record.command_id == command_id:
                return record
        return None
