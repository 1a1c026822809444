"""Errors typed by who is at fault, each carrying the HTTP status the shell should answer.

Every error body has the same shape: `{"ok": false, "error": <code>, "message": <text>}`.
Messages are short plain sentences: tool endpoints hand them to an AI assistant, which may
read them aloud.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, code: str | None = None, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, "message": self.message, **self.extra}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class Unprocessable(ApiError):
    status, code = 422, "unprocessable"


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


class BadGateway(ApiError):
    """Telnyx refused or failed a request we made on the caller's behalf."""

    status, code = 502, "telnyx_error"


class ServiceUnavailable(ApiError):
    status, code = 503, "unavailable"
