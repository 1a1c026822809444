"""`POST /tools/*`: the webhook tools the AI assistants call (press keys, report hold, end the
call). The reply's message is spoken back to the assistant; the status says what happened."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from hold_agent.core.outcomes import Refusal
from hold_agent.errors import BadRequest
from hold_agent.http.auth import require_tool_auth
from hold_agent.http.routes.deps import Service
from hold_agent.http.schemas import EndCallRequest, HoldDetectedRequest, SendDtmfRequest, ToolReply, ToolRequest
from hold_agent.runtime.service import ToolOutcome, ToolResult

router = APIRouter(prefix="/tools", tags=["tools"], dependencies=[Depends(require_tool_auth)])
CallIdHeader = Annotated[str | None, Header(alias="x-telnyx-call-control-id", max_length=200)]

RESULT_STATUS = {ToolResult.DONE: 200, ToolResult.PENDING: 202, ToolResult.FAILED: 502}
# A refused request: bad keys are the caller's mistake (422); a hold report too unsure to act
# on was a fine request we chose not to follow (200, ok false); anything else refused
# conflicts with the call's state (409).
REFUSAL_STATUS = {Refusal.INVALID_DIGITS: 422, Refusal.LOW_CONFIDENCE: 200}


def _call_id(body: ToolRequest, header: str | None) -> str | None:
    header = header.strip() if header else None
    if body.call_control_id and header and body.call_control_id != header:
        raise BadRequest(
            "The body and the x-telnyx-call-control-id header name different calls.", code="conflicting_call_ids"
        )
    return body.call_control_id or header


def _reply(outcome: ToolOutcome) -> JSONResponse:
    reply = ToolReply(ok=outcome.ok, message=outcome.message, state=outcome.state)
    if outcome.result is ToolResult.REFUSED:
        status = REFUSAL_STATUS.get(outcome.refusal, 409) if outcome.refusal is not None else 409
    else:
        status = RESULT_STATUS[outcome.result]
    return JSONResponse(reply.model_dump(mode="json"), status_code=status)


def _key(request: Request) -> str | None:
    """The request's identity, when it has one (a signature, an Idempotency-Key): the same
    request sent again does what it did once, and gets the same answer."""
    key: str | None = getattr(request.state, "tool_request_key", None)
    return key


@router.post("/send-dtmf", response_model=ToolReply)
async def send_dtmf(
    body: SendDtmfRequest, request: Request, service: Service, header: CallIdHeader = None
) -> JSONResponse:
    """Press keys on the call's keypad (IVR assistant, and the representative assistant)."""
    call = _call_id(body, header)
    return _reply(await service.once(_key(request), lambda: service.send_dtmf(call, body.digits, body.reason)))


@router.post("/hold-detected", response_model=ToolReply)
async def hold_detected(
    body: HoldDetectedRequest, request: Request, service: Service, header: CallIdHeader = None
) -> JSONResponse:
    """The IVR assistant reports hold: it is stopped and the call is monitored by transcription."""
    call = _call_id(body, header)
    return _reply(await service.once(_key(request), lambda: service.hold_detected(call, body.reason, body.confidence)))


@router.post("/end-call", response_model=ToolReply)
async def end_call(
    body: EndCallRequest, request: Request, service: Service, header: CallIdHeader = None
) -> JSONResponse:
    """The task is done (or cannot be done): hang up and record the outcome."""
    call = _call_id(body, header)
    return _reply(await service.once(_key(request), lambda: service.end_call(call, body.reason)))
