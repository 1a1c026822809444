"""Events: facts, in the past tense, that go into the state machine (commands.py: what comes out).

Each event may carry `at`: when it happened by Telnyx's clock (`occurred_at`). Events that
come from our own API (tool calls) have no `at`; the machine then uses the shell's `now`.
All are small frozen dataclasses: values, not behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hold_agent.core.session import CallState


@dataclass(frozen=True, kw_only=True)
class Event:
    at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class CallDialed(Event):
    """Telnyx accepted our dial and named the call."""

    call_control_id: str
    call_leg_id: str | None = None
    call_session_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class DialFailed(Event):
    reason: str


@dataclass(frozen=True, kw_only=True)
class CallInitiated(Event):
    call_control_id: str


@dataclass(frozen=True, kw_only=True)
class CallAnswered(Event):
    call_control_id: str


@dataclass(frozen=True, kw_only=True)
class HoldSignalled(Event):
    """Something says we are on hold: Telnyx `call.hold` or the IVR assistant's tool."""

    source: str
    reason: str = ""
    confidence: float | None = None


@dataclass(frozen=True, kw_only=True)
class UnholdSignalled(Event):
    """Telnyx `call.unhold`: the far end took us off hold."""

    source: str = "call.unhold"


@dataclass(frozen=True, kw_only=True)
class TranscriptHeard(Event):
    text: str
    is_final: bool = True
    confidence: float | None = None


@dataclass(frozen=True, kw_only=True)
class DtmfRequested(Event):
    digits: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class EndRequested(Event):
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class HangupReceived(Event):
    cause: str | None = None
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConversationCreated(Event):
    conversation_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConversationEnded(Event):
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssistantStartFailed(Event):
    """Telnyx `call.conversation.start_failed`. `stage` comes from the start's client_state."""

    reason: str | None = None
    stage: CallState | None = None  # None when the client_state named no stage we know


@dataclass(frozen=True, kw_only=True)
class ProcessingFailed(Event):
    """Handling another event raised (a bug, or a foreign failure): record it on the call."""

    what: str
    error: str


@dataclass(frozen=True, kw_only=True)
class TimeElapsed(Event):
    """The watchdog's tick: the shell's clock says it is `now`; deadlines may have passed."""


@dataclass(frozen=True, kw_only=True)
class CommandSettled(Event):
    """The outbox's report on one command: delivered (`ok`) or given up on."""

    command_id: str
    ok: bool
    detail: str = ""
    attempts: int = 1
    conversation_id: str | None = None
    # True when Telnyx said the call no longer exists (422/404 on an action).
    call_gone: bool = False
    # True when the command was never sent because the call had already ended.
    skipped: bool = False
