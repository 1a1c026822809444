"""Parse a Telnyx webhook document into one of our events. Pure: JSON in, facts out.

Accepted shapes:
- the real envelope: `{"data": {"event_type", "id", "occurred_at", "payload": {...}}, "meta": {...}}`
  with transcripts under `payload.transcription_data`;
- the spec's simplified demo shape: `{"data": {"event_type", "payload": {"call_control_id", "transcript"}}}`
  (no id, no timestamp; a bare `transcript` is taken as final);
- the flat shape some Telnyx pages show: `{"event_type", "payload", "webhook_id"}`.

A document that is not one of these raises `WebhookRejected` (the route answers 422 with
the reason). A well-formed webhook we have no use for comes back with `event=None` and a
reason, and is answered 200 so Telnyx does not retry it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hold_agent.core.events import (
    AssistantStartFailed,
    CallAnswered,
    CallInitiated,
    ConversationCreated,
    ConversationEnded,
    Event,
    HangupReceived,
    HoldSignalled,
    TranscriptHeard,
    UnholdSignalled,
)
from hold_agent.core.session import CallState
from hold_agent.errors import Unprocessable
from hold_agent.telnyx.bodies import decode_client_state

MAX_TRANSCRIPT_CHARS = 2000
MAX_ID_CHARS = 200


class WebhookRejected(Unprocessable):
    """The document is not a webhook we can read. The message names the field."""

    code = "invalid_webhook"


@dataclass(frozen=True)
class ParsedWebhook:
    event_type: str
    event_id: str | None
    call_control_id: str | None
    session_hint: str | None
    event: Event | None
    ignored_reason: str | None = None


def parse_webhook(document: Any) -> ParsedWebhook:
    if not isinstance(document, dict):
        raise WebhookRejected("the body must be a JSON object")
    data = document.get("data", document if "event_type" in document else None)
    if not isinstance(data, dict):
        raise WebhookRejected("`data` must be an object holding event_type and payload")
    event_type = data.get("event_type")
    if not isinstance(event_type, str) or not event_type.strip():
        raise WebhookRejected("`data.event_type` must be a non-empty string")
    payload = data.get("payload", {})
    if not isinstance(payload, dict):
        raise WebhookRejected("`data.payload` must be an object")

    event_id = _optional_str(data.get("id") or data.get("webhook_id") or document.get("webhook_id"), "data.id")
    client_state = decode_client_state(payload.get("client_state"))
    session_hint = client_state.get("session_id") if client_state else None
    session_hint = session_hint if isinstance(session_hint, str) else None
    builder = _BUILDERS.get(event_type)
    if builder is None:
        return ParsedWebhook(event_type, event_id, None, session_hint, None, f"event type {event_type} is not used")

    call_control_id = payload.get("call_control_id")
    if not isinstance(call_control_id, str) or not call_control_id.strip():
        raise WebhookRejected("`data.payload.call_control_id` must be a non-empty string")
    if len(call_control_id) > MAX_ID_CHARS:
        raise WebhookRejected("`data.payload.call_control_id` is too long")
    at = _occurred_at(data.get("occurred_at") or payload.get("occurred_at"))
    event, ignored = builder(payload, call_control_id, at)
    return ParsedWebhook(event_type, event_id, call_control_id, session_hint, event, ignored)


# --- per event type -----------------------------------------------------------------------

_Built = tuple[Event | None, str | None]


def _initiated(payload: dict[str, Any], call_control_id: str, at: datetime | None) -> _Built:
    return CallInitiated(call_control_id=call_control_id, at=at), None


def _answered(payload: dict[str, Any], call_control_id: str, at: datetime | None) -> _Built:
    return CallAnswered(call_control_id=call_control_id, at=at), None


def _hold(payload: dict[str, Any], call_control_id: str, at: datetime | None) -> _Built:
    return HoldSignalled(source="call.hold", at=at), None


def _unhold(payload: dict[str, Any], call_control_id: str, at: datetime | None) -> _Built:
    return UnholdSignalled(at=at), None


def _transcription(payload: dict[str, Any], call_control_id: str, at: datetime | None) -> _Built:
    data = payload.get("transcription_data")
    if data is None:
        data = {"transcript": payload.get("transcript"), "is_final": payload.get("is_final", True)}
    if not isinstance(data, dict):
        raise WebhookRejected("`data.payload.transcription_data` must be an object")
    text = data.get("transcript")
    if not isinstance(text, str):
        raise WebhookRejected("`transcript` must be a string (under payload.transcription_data or payload)")
    is_final = data.get("is_final", True)
    if not isinstance(is_final, bool):
        raise WebhookRejected("`is_final` must be true or false")
    confidence = _confidence(data.get("confidence"))
    if data.get("transcription_track") == "outbound":
        return None, "outbound track: our own side of the call"
    return (
        TranscriptHeard(
            text=text[:MAX_TRANSCRIPT_CHARS],
            is_final=is_final,
            confidence=confidence,
            at=at,
        ),
        None,
    )


def _hangup(payload: dict[str, Any], call_control_id: str, at: datetime | None) -> _Built:
    return (
        HangupReceived(
            cause=_optional_str(payload.get("hangup_cause"), "hangup_cause"),
            source=_optional_str(payload.get("hangup_source"), "hangup_source"),
            at=at,
        ),
        None,
    )


def _conversation_created(payload: dict[str, Any], call_control_id: str, at: datetime | None) -> _Built:
    return ConversationCreated(
        conversation_id=_optional_str(payload.get("conversation_id"), "conversation_id"), at=at
    ), None


def _conversation_ended(payload: dict[str, Any], call_control_id: str, at: datetime | None) -> _Built:
    return ConversationEnded(reason=_optional_str(payload.get("reason"), "reason"), at=at), None


def _start_failed(payload: dict[str, Any], call_control_id: str, at: datetime | None) -> _Built:
    # Telnyx echoes the start command's client_state: it names the stage that start was for.
    state = decode_client_state(payload.get("client_state")) or {}
    named = state.get("stage")
    stage = CallState(named) if isinstance(named, str) and named in {member.value for member in CallState} else None
    return AssistantStartFailed(reason=_optional_str(payload.get("reason"), "reason"), stage=stage, at=at), None


_BUILDERS = {
    "call.initiated": _initiated,
    "call.answered": _answered,
    "call.hold": _hold,
    "call.unhold": _unhold,
    "call.transcription": _transcription,
    "call.hangup": _hangup,
    "call.conversation.created": _conversation_created,
    "call.conversation.ended": _conversation_ended,
    "call.conversation.start_failed": _start_failed,
}
HANDLED_EVENT_TYPES = frozenset(_BUILDERS)


def _confidence(value: object) -> float | None:
    """A transcriber's confidence: a number from 0 to 1. Anything else is refused (422): a
    401-digit integer or 1e999 must never reach arithmetic."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WebhookRejected("`confidence` must be a number from 0 to 1")
    try:
        number = float(value)
    except OverflowError:
        raise WebhookRejected("`confidence` must be a number from 0 to 1") from None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise WebhookRejected("`confidence` must be a number from 0 to 1")
    return number


def _optional_str(value: object, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value[:MAX_ID_CHARS] or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise WebhookRejected(f"`{name}` must be a string")


def _occurred_at(value: object) -> datetime | None:
    """Telnyx's clock. Unreadable timestamps are treated as absent, not as errors."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
