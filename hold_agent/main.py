"""Build the FastAPI app: settings, the Call Control client, the service, routes, errors.

`create_app(settings, call_control, clock)` builds everything, so tests pass their own
`Settings(...)`, a recording client and a fake clock instead of patching globals. Which
Call Control implementation runs (real or dry-run) is decided here, once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .config import Settings
from .dry_run import DryRunCallControl
from .errors import ApiError
from .routes import router
from .service import CallService, Clock, utc_now
from .telnyx import CallControl, HttpCallControl

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
) -> FastAPI:
    settings = settings or Settings()
    service = CallService(settings, call_control or build_call_control(settings), clock=clock or utc_now)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        announce(settings)
        yield
        await service.aclose()

    app = FastAPI(
        title="hold-agent",
        version="0.1.0",
        summary="An outbound phone agent that waits on hold for you.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.include_router(router)
    install_error_handlers(app)
    return app


def announce(settings: Settings) -> None:
    """Say at start-up what mode we are in and what is missing, loudly when it matters."""
    mode = "DRY-RUN (no real calls)" if settings.telnyx_dry_run else f"LIVE against {settings.telnyx_api_base}"
    log.info("hold-agent starting in %s mode", mode)
    missing = settings.missing_for_real_calls()
    if missing:
        log.error("Real calls are disabled: missing %s. POST /calls/outbound will answer 503.", ", ".join(missing))
    for warning in settings.warnings():
        if "NOT verified" in warning:
            log.warning("!!! %s", warning)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return validation_response(error.errors())

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(
            {"ok": False, "error": code, "message": str(error.detail)},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )


def validation_response(errors: Any) -> JSONResponse:
    """A 4xx that names each bad field in plain words."""
    details = []
    for item in errors:
        location = [str(part) for part in item.get("loc", ()) if part != "body"]
        kind = item.get("type", "")
        if kind == "json_invalid":
            return JSONResponse(
                {"ok": False, "error": "invalid_json", "message": "The body is not valid JSON."}, status_code=400
            )
        if not location and kind in {"model_attributes_type", "dict_type", "model_type"}:
            return JSONResponse(
                {"ok": False, "error": "invalid_body", "message": "The body must be a JSON object."}, status_code=422
            )
        problem = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
        details.append({"field": ".".join(location) or "body", "problem": problem})
    message = "; ".join(f"{d['field']}: {d['problem']}" for d in details) or "The request is invalid."
    return JSONResponse(
        {"ok": False, "error": "validation_error", "message": message, "details": details}, status_code=422
    )
