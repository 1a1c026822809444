"""Request and response bodies of our HTTP API (the webhook has its own parser)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from hold_agent.core.session import (
    CallSession,
    CallState,
    CommandRecord,
    ContextValue,
    Note,
    TranscriptLine,
    Transition,
)
from hold_agent.telnyx.numbers import phone_number_problem

MAX_CONTEXT_FIELDS = 30
MAX_CONTEXT_VALUE_CHARS = 500
_CONTEXT_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_KEYPAD_KEYS = re.compile(r"[0-9A-D*#]+")
# Names our own dynamic variables use; a context field may not shadow them.
RESERVED_CONTEXT_KEYS = frozenset(
    {"objective", "target_company", "approved_context", "hold_seconds", "hold_minutes", "recent_transcript"}
)

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class OutboundCallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = Field(
        description="Destination in E.164, e.g. +15551234567."
    )
    objective: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    target_company: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    context: dict[str, ContextValue] = Field(
        default_factory=dict,
        description="Approved details the assistants may share: flat name -> text, number or boolean.",
    )
    greeting: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = Field(
        default=None, description="What the representative assistant says first (a default is used otherwise)."
    )
    allowed_digits: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)] | None = (
        Field(
            default=None,
            description='The only keys the assistants may press on this call, e.g. "0123456789#" (default: any).',
        )
    )

    @field_validator("allowed_digits")
    @classmethod
    def _keypad_keys(cls, value: str | None) -> str | None:
        if value is not None and not _KEYPAD_KEYS.fullmatch(value):
            raise ValueError("may only list keypad keys: 0-9, *, # and A-D")
        return value

    @field_validator("to")
    @classmethod
    def _to_is_e164(cls, value: str) -> str:
        problem = phone_number_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("context")
    @classmethod
    def _flat_context(cls, value: dict[str, ContextValue]) -> dict[str, ContextValue]:
        if len(value) > MAX_CONTEXT_FIELDS:
            raise ValueError(f"may hold at most {MAX_CONTEXT_FIELDS} fields")
        for key, item in value.items():
            if not _CONTEXT_KEY.fullmatch(key):
                raise ValueError(f"field name {key[:70]!r} must start with a letter and use only letters, digits and _")
            if key in RESERVED_CONTEXT_KEYS or key.startswith("telnyx_"):
                raise ValueError(f"field name {key!r} is reserved")
            if isinstance(item, str) and len(item) > MAX_CONTEXT_VALUE_CHARS:
                raise ValueError(f"field {key!r} is longer than {MAX_CONTEXT_VALUE_CHARS} characters")
        return value


class CallCreated(BaseModel):
    session_id: str
    call_control_id: str | None
    state: CallState
    to: str
    target_company: str
    dry_run: bool
    session_url: str


class ToolRequest(BaseModel):
    """Fields every tool accepts. Telnyx fills `call_control_id` from a preset body field."""

    model_config = ConfigDict(extra="ignore")

    call_control_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class SendDtmfRequest(ToolRequest):
    digits: Annotated[str, StringConstraints(max_length=200)] = Field(
        description="Keys to press: 0-9, *, #, A-D; w or W for a pause. A whole number is taken as its digits."
    )
    reason: ShortText = ""

    @field_validator("digits", mode="before")
    @classmethod
    def _digits_as_text(cls, value: object) -> object:
        # Models sometimes send 1 for "1"; a keypad does not care. true or -5 are not keys.
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return str(value)
        return value


class HoldDetectedRequest(ToolRequest):
    reason: ShortText = ""
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)


class EndCallRequest(ToolRequest):
    reason: ShortText = ""


class ToolReply(BaseModel):
    ok: bool
    message: str
    state: CallState


class SessionView(BaseModel):
    session_id: str
    call_control_id: str | None
    state: CallState
    outcome: str | None
    end_reason: str | None
    hangup_cause: str | None
    to: str
    target_company: str
    objective: str
    context: dict[str, ContextValue]
    created_at: datetime
    updated_at: datetime
    answered_at: datetime | None
    hold_started_at: datetime | None
    representative_at: datetime | None
    ended_at: datetime | None
    hold_seconds: float
    hold_count: int
    assistant: str | None
    transcribing: bool
    transcript: list[TranscriptLine]
    history: list[Transition]
    commands: list[CommandRecord]
    notes: list[Note]


def session_view(session: CallSession, now: datetime, transcript_lines: int = 50) -> SessionView:
    fields: dict[str, Any] = {
        name: getattr(session, name) for name in SessionView.model_fields if hasattr(session, name)
    }
    fields["hold_seconds"] = session.hold_seconds(session.telnyx_now(now))
    fields["transcript"] = session.transcript[-transcript_lines:]
    return SessionView.model_validate(fields)


class SessionList(BaseModel):
    count: int
    sessions: list[SessionView]


class Health(BaseModel):
    status: str
    mode: str
    signature_verification: bool
    api_auth: str
    tool_auth: str
    # Real mode running without its protections (ALLOW_INSECURE=true).
    insecure: bool
    missing: list[str]
    warnings: list[str]
    active_calls: int
    sessions: int
