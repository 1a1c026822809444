"""Every error hold-agent raises, in one tree, typed by who is at fault.

    HoldAgentError
    ├── CallerError           the request is wrong; the caller can fix it
    │   ├── BadRequest            malformed: not JSON, conflicting ids, an unfilled template
    │   ├── NotAuthenticated      no credentials, or wrong ones
    │   │   └── SignatureError        (telnyx/signing.py) a Telnyx signature that does not verify
    │   ├── NotAllowed            known caller, refused (a destination off the allowlist)
    │   ├── NotFound              no such call or session
    │   ├── Conflict              does not fit the call as it stands (several calls active)
    │   ├── Unprocessable         well-formed, but not something we can use
    │   │   ├── WebhookRejected       (telnyx/webhooks.py) not a Telnyx webhook we can read
    │   │   └── DtmfRefused           (core/dtmf.py) keys we will not press
    │   └── RateLimited           too many calls now; `retry_after` seconds says when to try again
    ├── UpstreamError         Telnyx failed or refused what we asked
    │   └── CallControlError      (telnyx/client.py) one Call Control request, with its HTTP status
    ├── Unavailable           we cannot serve this now (real calls without the settings they need)
    ├── ConfigurationError    the operator's settings are wrong; raised at start-up, never to a caller
    │   ├── InsecureSettings      (config.py) real mode without signature checks or tokens
    │   └── TranscriptionSettingsError  (telnyx/transcription.py)
    ├── DataError             a file we read is wrong
    │   ├── CorpusError           (learning/corpus.py)
    │   └── ScenarioError         (fake_company/scenario.py)
    └── SimulationError       (fake_company/simulate.py) the simulator cannot run

Errors carry a stable `code` and a short plain `message`; tool endpoints hand the message to
an AI assistant, which may read it aloud. They know nothing of HTTP: http/errors.py maps each
kind to its status and builds the one error body.
"""

from __future__ import annotations

from typing import Any


class HoldAgentError(Exception):
    code = "error"

    def __init__(self, message: str, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        # More fields for the error body (`missing`, ...), JSON-ready.
        self.extra = extra


class CallerError(HoldAgentError):
    code = "bad_request"


class BadRequest(CallerError):
    code = "bad_request"


class NotAuthenticated(CallerError):
    code = "unauthorized"


class NotAllowed(CallerError):
    code = "forbidden"


class NotFound(CallerError):
    code = "not_found"


class Conflict(CallerError):
    code = "conflict"


class Unprocessable(CallerError):
    code = "unprocessable"


class RateLimited(CallerError):
    code = "rate_limited"

    def __init__(self, message: str, code: str | None = None, *, retry_after: float, **extra: Any) -> None:
        super().__init__(message, code, **extra)
        self.retry_after = retry_after


class UpstreamError(HoldAgentError):
    code = "telnyx_error"


class Unavailable(HoldAgentError):
    code = "unavailable"


class ConfigurationError(HoldAgentError):
    code = "misconfigured"


class DataError(HoldAgentError):
    code = "bad_data"
