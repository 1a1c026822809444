"""Webhook documents -> events: the real envelope, the demo shape, and bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hold_agent.core.events import CallAnswered, HangupReceived, HoldSignalled, TranscriptHeard
from hold_agent.telnyx.bodies import encode_client_state
from hold_agent.telnyx.webhooks import WebhookRejected, parse_webhook


def envelope(event_type: str, payload: dict[str, Any], **data: Any) -> dict[str, Any]:
    return {
        "data": {"record_type": "event", "event_type": event_type, "payload": payload, **data},
        "meta": {"attempt": 1},
    }


def test_real_transcription_envelope() -> None:
    parsed = parse_webhook(
        envelope(
            "call.transcription",
            {
                "call_control_id": "v3:abc",
                "client_state": encode_client_state("s1", "hold"),
                "transcription_data": {
                    "transcript": "Hello?",
                    "is_final": False,
                    "confidence": 0.0,
                    "transcription_track": "inbound",
                },
            },
            id="evt-1",
            occurred_at="2026-01-01T00:00:05.250Z",
        )
    )
    assert parsed.event_id == "evt-1"
    assert parsed.call_control_id == "v3:abc"
    assert parsed.session_hint == "s1"
    assert parsed.event == TranscriptHeard(
        text="Hello?", is_final=False, confidence=0.0, at=datetime(2026, 1, 1, 0, 0, 5, 250000, tzinfo=UTC)
    )


def test_demo_shape_transcript_is_final() -> None:
    parsed = parse_webhook(
        {"data": {"event_type": "call.transcription", "payload": {"call_control_id": "dry", "transcript": "hi"}}}
    )
    assert parsed.event == TranscriptHeard(text="hi", is_final=True)
    assert parsed.event_id is None


def test_flat_shape() -> None:
    parsed = parse_webhook(
        {
            "event_type": "call.answered",
            "webhook_id": "w-1",
            "payload": {"call_control_id": "v3:x", "occurred_at": "2025-09-02T09:17:59.616122Z"},
        }
    )
    assert isinstance(parsed.event, CallAnswered)
    assert parsed.event_id == "w-1"
    assert parsed.event.at is not None and parsed.event.at.year == 2025


def test_hangup_fields() -> None:
    parsed = parse_webhook(
        envelope(
            "call.hangup",
            {
                "call_control_id": "v3:x",
                "hangup_cause": "user_busy",
                "hangup_source": "callee",
                "sip_hangup_cause": "486",
            },
        )
    )
    assert parsed.event == HangupReceived(cause="user_busy", source="callee")


def test_hold_and_unknown_events() -> None:
    assert isinstance(parse_webhook(envelope("call.hold", {"call_control_id": "v3:x"})).event, HoldSignalled)
    unknown = parse_webhook(envelope("call.bridged", {"call_control_id": "v3:x"}))
    assert unknown.event is None and "not used" in (unknown.ignored_reason or "")


def test_our_own_side_is_ignored() -> None:
    parsed = parse_webhook(
        envelope(
            "call.transcription",
            {"call_control_id": "v3:x", "transcription_data": {"transcript": "hi", "transcription_track": "outbound"}},
        )
    )
    assert parsed.event is None and "outbound" in (parsed.ignored_reason or "")


def test_garbled_client_state_and_timestamp_are_tolerated() -> None:
    parsed = parse_webhook(
        envelope("call.answered", {"call_control_id": "v3:x", "client_state": "%%%"}, occurred_at="soon")
    )
    assert parsed.session_hint is None
    assert isinstance(parsed.event, CallAnswered) and parsed.event.at is None


@pytest.mark.parametrize(
    ("document", "names"),
    [
        ([], "JSON object"),
        ("text", "JSON object"),
        ({"data": []}, "data"),
        ({"data": {"payload": {}}}, "event_type"),
        ({"data": {"event_type": 5}}, "event_type"),
        ({"data": {"event_type": "call.answered", "payload": []}}, "payload"),
        ({"data": {"event_type": "call.answered", "payload": {}}}, "call_control_id"),
        ({"data": {"event_type": "call.answered", "payload": {"call_control_id": 7}}}, "call_control_id"),
        (
            {"data": {"event_type": "call.transcription", "payload": {"call_control_id": "x", "transcript": 3}}},
            "transcript",
        ),
        (
            {
                "data": {
                    "event_type": "call.transcription",
                    "payload": {"call_control_id": "x", "transcription_data": {"transcript": "a", "is_final": "yes"}},
                }
            },
            "is_final",
        ),
        (
            {
                "data": {
                    "event_type": "call.transcription",
                    "payload": {
                        "call_control_id": "x",
                        "transcription_data": {"transcript": "a", "confidence": "high"},
                    },
                }
            },
            "confidence",
        ),
        (
            {"data": {"event_type": "call.hangup", "payload": {"call_control_id": "x", "hangup_cause": {"a": 1}}}},
            "hangup_cause",
        ),
        ({"data": {"event_type": "call.answered", "id": ["x"], "payload": {"call_control_id": "x"}}}, "data.id"),
    ],
)
def test_unreadable_documents_are_rejected_by_name(document: Any, names: str) -> None:
    with pytest.raises(WebhookRejected, match=names):
        parse_webhook(document)
