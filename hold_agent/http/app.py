"""Build the FastAPI app: settings, the Call Control client, the service, routes, errors.

`create_app(settings, call_control, clock)` builds everything, so tests pass their own
`Settings(...)`, a recording client and a fake clock instead of patching globals. Which
Call Control implementation runs (real or dry-run) is decided here, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from hold_agent.config import InsecureSettings, Settings
from hold_agent.http.errors import install_error_handlers
from hold_agent.http.guard import RequestGuard
from hold_agent.http.logs import install_log_filters
from hold_agent.http.routes import router
from hold_agent.runtime.retry import Retrier
from hold_agent.runtime.service import CallService, Clock, utc_now
from hold_agent.telnyx.client import CallControl, HttpCallControl
from hold_agent.telnyx.dry_run import DryRunCallControl

log = logging.getLogger("hold_agent")


def build_call_control(settings: Settings) -> CallControl:
    if settings.telnyx_dry_run:
        return DryRunCallControl()
    api_key = settings.telnyx_api_key.get_secret_value() if settings.telnyx_api_key else ""
    return HttpCallControl(settings.telnyx_api_base, api_key)


def create_app(
    settings: Settings | None = None,
    call_control: CallControl | None = None,
    clock: Clock | None = None,
    watchdog_interval: float | None = 1.0,
    retrier: Retrier | None = None,
) -> FastAPI:
    """`watchdog_interval=None` leaves the watchdog to the caller (`service.check_timers()`)."""
    settings = settings or Settings()
    refuse_if_insecure(settings)
    service = CallService(
        settings, call_control or build_call_control(settings), clock=clock or utc_now, retrier=retrier
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        announce(settings)
        watchdog = asyncio.create_task(service.run_watchdog(watchdog_interval)) if watchdog_interval else None
        try:
            yield
        finally:
            if watchdog is not None:
                watchdog.cancel()
            await service.aclose()

    app = FastAPI(
        title="hold-agent",
        version="0.1.0",
        summary="An outbound phone agent that waits on hold for you.",
        lifespan=lifespan,
    )
    app.state.service = service
    install_log_filters()
    app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(RequestGuard, max_bytes=settings.max_body_bytes, body_timeout=settings.body_timeout_seconds)
    return app


def refuse_if_insecure(settings: Settings) -> None:
    reasons = settings.insecure_reasons()
    if reasons and not settings.allow_insecure:
        raise InsecureSettings(
            "Refusing to start in real mode (TELNYX_DRY_RUN=false) without its protections:\n"
            + "".join(f"  - {reason}\n" for reason in reasons)
            + "Set them (see .env.example), or set ALLOW_INSECURE=true to run anyway (never in production)."
        )


def announce(settings: Settings) -> None:
    """Say at start-up what mode we are in and what is missing, loudly when it matters."""
    mode = "DRY-RUN (no real calls)" if settings.telnyx_dry_run else f"LIVE against {settings.telnyx_api_base}"
    log.info("hold-agent starting in %s mode", mode)
    missing = settings.missing_for_real_calls()
    if missing:
        log.error("Real calls are disabled: missing %s. POST /calls/outbound will answer 503.", ", ".join(missing))
    for warning in settings.warnings():
        if "NOT verified" in warning or "ALLOW_INSECURE" in warning:
            log.warning("!!! %s", warning)
