"""`POST /webhooks/telnyx`: every Call Control event for our calls.

Answered 2xx whenever the request is a webhook at all: an event we accept but cannot use is
noted, not refused, so Telnyx does not retry it forever. A request that is not one (a bad
signature, not JSON, not a webhook) gets the 4xx that says why.
"""

from __future__ import annotations

from typing import Any

import pydantic_core
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hold_agent.errors import BadRequest
from hold_agent.http.auth import verify_telnyx_signature
from hold_agent.http.routes.deps import Service
from hold_agent.telnyx.webhooks import HANDLED_EVENT_TYPES, WebhookRejected, parse_webhook

router = APIRouter(tags=["telnyx"])

# The webhook route reads its raw body itself (the signature covers the exact bytes), so its
# shape is declared here for the docs and for schema-driven fuzzing.
WEBHOOK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["event_type"],
            "properties": {
                "event_type": {"type": "string", "enum": [*sorted(HANDLED_EVENT_TYPES), "call.bridged"]},
                "id": {"type": "string"},
                "occurred_at": {"type": "string", "format": "date-time"},
                "payload": {
                    "type": "object",
                    "properties": {
                        "call_control_id": {"type": "string"},
                        "client_state": {"type": "string"},
                        "transcript": {"type": "string"},
                        "transcription_data": {
                            "type": "object",
                            "properties": {
                                "transcript": {"type": "string"},
                                "is_final": {"type": "boolean"},
                                "confidence": {"type": "number"},
                                "transcription_track": {"type": "string", "enum": ["inbound", "outbound"]},
                            },
                        },
                        "hangup_cause": {"type": "string"},
                        "hangup_source": {"type": "string"},
                        "reason": {"type": "string"},
                        "conversation_id": {"type": "string"},
                    },
                },
            },
        },
        "meta": {"type": "object"},
    },
}


@router.post(
    "/webhooks/telnyx",
    dependencies=[Depends(verify_telnyx_signature)],
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": WEBHOOK_SCHEMA}}}},
)
async def telnyx_webhook(request: Request, service: Service) -> JSONResponse:
    raw = await request.body()
    try:
        # Strict on purpose: no lone surrogates, NaN or runaway nesting get into a session.
        document: Any = pydantic_core.from_json(raw, allow_inf_nan=False)
    except ValueError:
        raise BadRequest("The body is not valid JSON.", code="invalid_json") from None
    try:
        parsed = parse_webhook(document)
    except WebhookRejected as error:
        raise WebhookRejected(f"Not a webhook we can read: {error}.") from None
    outcome = await service.handle_webhook(parsed)
    body: dict[str, Any] = {"status": outcome.result.value, "reason": outcome.reason}
    if outcome.session_id is not None:
        body["session_id"] = outcome.session_id
    if outcome.state is not None:
        body["state"] = outcome.state.value
    return JSONResponse(body)
