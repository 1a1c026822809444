"""`GET /health`: the mode, what is protected, what is missing, how many calls are live."""

from __future__ import annotations

from fastapi import APIRouter

from hold_agent.http.routes.deps import Service
from hold_agent.http.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
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
