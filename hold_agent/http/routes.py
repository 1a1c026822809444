"""HTTP routes. Each one parses, calls the service, and shapes the answer; nothing more."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import pydantic_core
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from hold_agent.errors import ApiError, BadRequest, Unauthorized, Unprocessable
from hold_agent.http.auth import protect_session_data, require_api_token, require_tool_auth
from hold_agent.http.schemas import (
    CallCreated,
    EndCallRequest,
    Health,
    HoldDetectedRequest,
    OutboundCallRequest,
    SendDtmfRequest,
    SessionList,
    SessionView,
    ToolReply,
    ToolRequest,
    session_view,
)
from hold_agent.runtime.service import CallService, ToolOutcome
from hold_agent.telnyx.signing import SignatureError, verify
from hold_agent.telnyx.webhooks import HANDLED_EVENT_TYPES, WebhookRejected, parse_webhook

log = logging.getLogger(__name__)


def get_service(request: Request) -> CallService:
    return request.app.state.service


Service = Annotated[CallService, Depends(get_service)]
CallIdHeader = Annotated[str | None, Header(alias="x-telnyx-call-control-id", max_length=200)]

router = APIRouter()
workflow = APIRouter(dependencies=[Depends(require_api_token)])
tools = APIRouter(prefix="/tools", tags=["tools"], dependencies=[Depends(require_tool_auth)])


# --- workflow API -------------------------------------------------------------------------


@workflow.post("/calls/outbound", status_code=201, response_model=CallCreated, tags=["calls"])
async def place_call(body: OutboundCallRequest, service: Service) -> CallCreated:
    """Dial `to` and work towards `objective`. Returns at once; follow the session to watch."""
    session = await service.start_call(body)
    return CallCreated(
        session_id=session.session_id,
        call_control_id=session.call_control_id,
        state=session.state,
        to=session.to,
        target_company=session.target_company,
        dry_run=service.settings.telnyx_dry_run,
        session_url=f"/sessions/{session.session_id}",
    )


@workflow.get("/sessions", response_model=SessionList, tags=["sessions"], dependencies=[Depends(protect_session_data)])
async def list_sessions(service: Service, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> SessionList:
    """Sessions, newest first."""
    now = service.clock()
    views = [session_view(session, now) for session in service.list_sessions(limit)]
    return SessionList(count=len(views), sessions=views)


@workflow.get(
    "/sessions/{session_id}", response_model=SessionView, tags=["sessions"], dependencies=[Depends(protect_session_data)]
)
async def get_session(session_id: str, service: Service) -> SessionView:
    return session_view(service.get_session(session_id), service.clock())


@router.get("/health", response_model=Health, tags=["health"])
async def health(service: Service) -> Health:
    settings = service.settings
    missing = settings.missing_for_real_calls()
    return Health(
        status="misconfigured" if missing else "ok",
        mode="dry_run" if settings.telnyx_dry_run else "live",
        signature_verification=settings.public_key_bytes is not None,
        api_auth="required" if settings.api_auth_token else "open",
        tool_auth="required" if settings.tool_auth_token else "open",
        insecure=bool(settings.insecure_reasons()),
        missing=missing,
        warnings=settings.warnings(),
        active_calls=service.store.active_count(),
        sessions=len(service.store),
    )


# --- Telnyx webhooks ----------------------------------------------------------------------


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
    tags=["telnyx"],
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": WEBHOOK_SCHEMA}}}},
)
async def telnyx_webhook(request: Request, service: Service) -> JSONResponse:
    """Every Call Control event for our calls. Answered 2xx unless the request is unusable."""
    raw = await request.body()
    public_key = service.settings.public_key_bytes
    if public_key is not None:
        try:
            verify(raw, request.headers, public_key)
        except SignatureError as error:
            raise Unauthorized(f"Webhook signature rejected: {error}.", code="invalid_signature") from None
    try:
        # Strict on purpose: no lone surrogates, NaN or runaway nesting get into a session.
        document: Any = pydantic_core.from_json(raw, allow_inf_nan=False)
    except ValueError:
        raise BadRequest("The body is not valid JSON.", code="invalid_json") from None
    try:
        parsed = parse_webhook(document)
    except WebhookRejected as error:
        raise Unprocessable(f"Not a webhook we can read: {error}.", code="invalid_webhook") from None
    try:
        outcome = await service.handle_webhook(parsed)
    except ApiError as error:
        # Accepted but unusable (for example its session vanished meanwhile): 200, noted.
        log.info("webhook %s %s not used: %s", parsed.event_type, parsed.event_id, error.message)
        return JSONResponse({"status": "ignored", "reason": error.message})
    except Exception:
        # A bug must not make Telnyx retry the same webhook forever.
        log.exception("webhook %s %s failed inside processing", parsed.event_type, parsed.event_id)
        return JSONResponse({"status": "error", "reason": "processing failed; recorded in the log"})
    body: dict[str, Any] = {"status": outcome.status, "reason": outcome.reason}
    if outcome.session_id is not None:
        body["session_id"] = outcome.session_id
    if outcome.state is not None:
        body["state"] = outcome.state.value
    return JSONResponse(body)


# --- assistant tools ----------------------------------------------------------------------


def _call_id(body: ToolRequest, header: str | None) -> str | None:
    header = header.strip() if header else None
    if body.call_control_id and header and body.call_control_id != header:
        raise BadRequest(
            "The body and the x-telnyx-call-control-id header name different calls.", code="conflicting_call_ids"
        )
    return body.call_control_id or header


def _reply(outcome: ToolOutcome) -> JSONResponse:
    reply = ToolReply(ok=outcome.ok, message=outcome.message, state=outcome.state)
    return JSONResponse(reply.model_dump(mode="json"), status_code=outcome.status)


@tools.post("/send-dtmf", response_model=ToolReply)
async def send_dtmf(body: SendDtmfRequest, service: Service, header: CallIdHeader = None) -> JSONResponse:
    """Press keys on the call's keypad (IVR assistant, and the representative assistant)."""
    return _reply(await service.send_dtmf(_call_id(body, header), body.digits, body.reason))


@tools.post("/hold-detected", response_model=ToolReply)
async def hold_detected(body: HoldDetectedRequest, service: Service, header: CallIdHeader = None) -> JSONResponse:
    """The IVR assistant reports hold: it is stopped and the call is monitored by transcription."""
    return _reply(await service.hold_detected(_call_id(body, header), body.reason, body.confidence))


@tools.post("/end-call", response_model=ToolReply)
async def end_call(body: EndCallRequest, service: Service, header: CallIdHeader = None) -> JSONResponse:
    """The task is done (or cannot be done): hang up and record the outcome."""
    return _reply(await service.end_call(_call_id(body, header), body.reason))


router.include_router(workflow)
router.include_router(tools)
