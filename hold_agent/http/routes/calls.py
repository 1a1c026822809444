"""`POST /calls/outbound`: place a call."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hold_agent.http.auth import require_api_token
from hold_agent.http.routes.deps import Service
from hold_agent.http.schemas import CallCreated, OutboundCallRequest
from hold_agent.runtime.service import CallRequest

router = APIRouter(dependencies=[Depends(require_api_token)], tags=["calls"])


@router.post("/calls/outbound", status_code=201, response_model=CallCreated)
async def place_call(body: OutboundCallRequest, service: Service) -> CallCreated:
    """Dial `to` and work towards `objective`. Returns at once; follow the session to watch."""
    request = CallRequest(
        to=body.to,
        target_company=body.target_company,
        objective=body.objective,
        context=dict(body.context),
        greeting=body.greeting,
        allowed_digits=body.allowed_digits,
    )
    session = await service.start_call(request)
    return CallCreated(
        session_id=session.session_id,
        call_control_id=session.call_control_id,
        state=session.state,
        to=session.to,
        target_company=session.target_company,
        dry_run=service.settings.telnyx_dry_run,
        session_url=f"/sessions/{session.session_id}",
    )
