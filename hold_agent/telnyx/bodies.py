"""Request bodies for the Telnyx Call Control API, built from our commands.

Shared by the real client and the dry-run one, so dry-run records the exact bytes a real
call would send. Field names and shapes follow Telnyx's Call Control API reference;
tests/telnyx/test_client.py checks every body against the official SDK's typed parameters
(tests/support/sdk_conformance.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from hold_agent.config import Settings
from hold_agent.core.commands import Command, Hangup, SendDtmf, StartAssistant, StartTranscription, StopAssistant

# Telnyx's limit on a greeting.
MAX_GREETING_CHARS = 3000
# Placeholder assistant ids so a dry-run body has the same shape as a real one.
DRY_RUN_ASSISTANT_IDS = {"ivr": "dry-run-ivr-assistant", "representative": "dry-run-representative-assistant"}


def encode_client_state(session_id: str, stage: str) -> str:
    """Base64 JSON naming our session and stage; Telnyx echoes it on later webhooks."""
    raw = json.dumps({"session_id": session_id, "stage": stage}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_client_state(value: object) -> dict[str, Any] | None:
    """The dict we encoded, or None for anything else (absent, foreign or garbled)."""
    if not isinstance(value, str) or not value or len(value) > 4096:
        return None
    try:
        decoded = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None


# Telnyx's own ceiling on a call's length (time_limit_secs).
MAX_TIME_LIMIT_SECS = 14_400


def dial_body(settings: Settings, session_id: str, to: str, time_limit: float = 0) -> dict[str, Any]:
    body: dict[str, Any] = {
        "connection_id": settings.telnyx_connection_id or "dry-run-connection",
        "from": settings.telnyx_from_number or "+15550000000",
        "to": to,
        "client_state": encode_client_state(session_id, "dialing"),
        "command_id": f"{session_id}-0-dial",
    }
    if settings.webhook_url:
        body["webhook_url"] = settings.webhook_url
        body["webhook_url_method"] = "POST"
    if time_limit:
        # A backstop for our own watchdog: Telnyx ends the call a minute after it should
        # have, even if this service is down by then.
        body["time_limit_secs"] = min(MAX_TIME_LIMIT_SECS, int(time_limit) + 60)
    return body


def assistant_id(settings: Settings, role: str) -> str:
    configured = settings.telnyx_ivr_assistant_id if role == "ivr" else settings.telnyx_representative_assistant_id
    return configured or DRY_RUN_ASSISTANT_IDS[role]


def action_body(settings: Settings, session_id: str, command: Command) -> dict[str, Any]:
    """The JSON body for `POST /calls/{call_control_id}/actions/{command.action}`."""
    body: dict[str, Any] = {}
    if isinstance(command, StartAssistant):
        assistant: dict[str, Any] = {"id": assistant_id(settings, command.role)}
        if command.dynamic_variables:
            assistant["dynamic_variables"] = dict(command.dynamic_variables)
        body["assistant"] = assistant
        if command.greeting:
            body["greeting"] = command.greeting[:MAX_GREETING_CHARS]
        if command.message_history:
            body["message_history"] = [{"role": role, "content": content} for role, content in command.message_history]
    elif isinstance(command, SendDtmf):
        body["digits"] = command.digits
    elif isinstance(command, StartTranscription):
        body.update(settings.transcription.body())
    elif isinstance(command, Hangup):
        pass  # Telnyx's `reason` field is a SIP reason, not free text; ours stays in the session.
    elif not isinstance(command, StopAssistant):
        raise TypeError(f"no Telnyx body for {type(command).__name__}")
    body["client_state"] = encode_client_state(session_id, command.stage.value)
    body["command_id"] = command.command_id
    return body
