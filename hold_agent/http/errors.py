"""How errors are answered over HTTP: one status per kind of error, and one body shape.

Every error body is `{"ok": false, "error": <code>, "message": <text>, ...extra}`. The kinds
come from hold_agent/errors.py, which knows nothing of HTTP; this is the only place that
turns them into statuses and headers.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hold_agent.errors import (
    BadRequest,
    Conflict,
    HoldAgentError,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    RateLimited,
    Unavailable,
    Unprocessable,
    UpstreamError,
)

log = logging.getLogger(__name__)

# The most specific kind wins (looked up along the error's class hierarchy).
STATUS: dict[type[HoldAgentError], int] = {
    HoldAgentError: 500,
    BadRequest: 400,
    NotAuthenticated: 401,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    Unprocessable: 422,
    RateLimited: 429,
    UpstreamError: 502,
    Unavailable: 503,
}


def status_of(error: HoldAgentError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": code, "message": message, **extra}


def error_response(error: HoldAgentError) -> JSONResponse:
    headers: dict[str, str] = {}
    if isinstance(error, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    body = error_body(error.code, error.message, **error.extra)
    return JSONResponse(body, status_code=status_of(error), headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HoldAgentError)
    async def _ours(request: Request, error: HoldAgentError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        content_type = request.headers.get("content-type", "")
        if request.method in ("POST", "PUT", "PATCH") and "json" not in content_type.lower():
            message = "Send the body as JSON with the header Content-Type: application/json."
            return JSONResponse(error_body("unsupported_media_type", message), status_code=415)
        return validation_response(error.errors())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # A bug: say so plainly, without internals; the log has the traceback.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "Something went wrong on our side; it has been logged."
        return JSONResponse(error_body("internal_error", message), status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(error.detail)),
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
            return JSONResponse(error_body("invalid_json", "The body is not valid JSON."), status_code=400)
        if not location and kind in {"model_attributes_type", "dict_type", "model_type"}:
            return JSONResponse(error_body("invalid_body", "The body must be a JSON object."), status_code=422)
        problem = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
        details.append({"field": ".".join(location) or "body", "problem": problem})
    message = "; ".join(f"{d['field']}: {d['problem']}" for d in details) or "The request is invalid."
    return JSONResponse(error_body("validation_error", message, details=details), status_code=422)
