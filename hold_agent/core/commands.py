"""Commands (imperatives) the state machine issues; the runtime's outbox sends them to Telnyx.

Each carries a `command_id` derived from the session and a counter, so a re-sent command keeps
its id and Telnyx de-duplicates it, and the `stage` it was issued in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from hold_agent.core.session import AssistantRole, CallState, ContextValue


@dataclass(frozen=True, kw_only=True)
class Command:
    action: ClassVar[str]
    command_id: str
    stage: CallState


@dataclass(frozen=True, kw_only=True)
class StartAssistant(Command):
    action: ClassVar[str] = "ai_assistant_start"
    role: AssistantRole
    dynamic_variables: dict[str, ContextValue] = field(default_factory=dict)
    greeting: str | None = None
    # (role, content) pairs the model reads before it speaks.
    message_history: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class StopAssistant(Command):
    action: ClassVar[str] = "ai_assistant_stop"


@dataclass(frozen=True, kw_only=True)
class SendDtmf(Command):
    action: ClassVar[str] = "send_dtmf"
    digits: str


@dataclass(frozen=True, kw_only=True)
class StartTranscription(Command):
    action: ClassVar[str] = "transcription_start"


@dataclass(frozen=True, kw_only=True)
class Hangup(Command):
    action: ClassVar[str] = "hangup"
    reason: str = ""
