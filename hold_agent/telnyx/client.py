"""The one I/O point for Telnyx Call Control: an interface and its real httpx implementation.

Foreign exceptions stop here: whatever httpx raises, or whatever status Telnyx answers,
callers see a `CallControlError` that says whether trying again could help.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from hold_agent.errors import UpstreamError

# Telnyx answers 422 both for bad parameters and for a call that is over; only the wording
# of the error tells them apart.
CALL_ENDED_WORDS = (
    "call has already ended",
    "call has ended",
    "call is no longer active",
    "call ended",
    "already hung up",
)


class CallControlError(UpstreamError):
    """A command that Telnyx did not accept, or that never reached it."""

    def __init__(
        self,
        detail: str,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.telnyx_code = code  # Telnyx's own error code, when it sent one
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Could the identical request succeed later? (no answer, 5xx, 408 or 429)"""
        return self.status is None or self.status >= 500 or self.status in (408, 429)

    @property
    def call_gone(self) -> bool:
        """Did Telnyx say the call does not exist (any more)?"""
        if self.status == 404:
            return True
        if self.status != 422:
            return False
        text = self.detail.lower()
        return any(words in text for words in CALL_ENDED_WORDS)

    def summary(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no response"
        return f"{where}: {self.detail}"


@dataclass(frozen=True)
class DialResult:
    call_control_id: str
    call_leg_id: str | None = None
    call_session_id: str | None = None


class CallControl(Protocol):
    """What the service needs from Telnyx. Both implementations answer as Telnyx does."""

    async def dial(self, body: dict[str, Any]) -> DialResult: ...

    async def action(self, call_control_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


# Explicit, short timeouts: a Telnyx command either answers quickly or is retried.
DEFAULT_TIMEOUT = httpx.Timeout(connect=3.0, read=5.0, write=5.0, pool=3.0)


class HttpCallControl:
    """Real Call Control over one pooled `httpx.AsyncClient`."""

    def __init__(
        self,
        api_base: str,
        api_key: str,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=api_base.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=timeout,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
            transport=transport,
        )

    async def dial(self, body: dict[str, Any]) -> DialResult:
        data = await self._post("calls", body)
        call_control_id = data.get("call_control_id")
        if not isinstance(call_control_id, str) or not call_control_id:
            raise CallControlError("dial answer had no call_control_id", status=200)
        return DialResult(
            call_control_id=call_control_id,
            call_leg_id=_str_or_none(data.get("call_leg_id")),
            call_session_id=_str_or_none(data.get("call_session_id")),
        )

    async def action(self, call_control_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        # Call control ids look like "v3:..."; quote anything that could change the path.
        return await self._post(f"calls/{quote(call_control_id, safe=':')}/actions/{action}", body)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(path, json=body)
        except httpx.TimeoutException:
            raise CallControlError("Telnyx did not answer in time") from None
        except httpx.HTTPError as exc:
            raise CallControlError(f"could not reach Telnyx ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise _error_from(response)
        try:
            document = response.json()
        except ValueError:
            return {}
        data = document.get("data") if isinstance(document, dict) else None
        return data if isinstance(data, dict) else {}


def _error_from(response: httpx.Response) -> CallControlError:
    detail, code = response.reason_phrase or "error", None
    try:
        errors = response.json().get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        if isinstance(first, dict):
            detail = str(first.get("detail") or first.get("title") or detail)
            code = str(first["code"]) if first.get("code") is not None else None
    except (ValueError, AttributeError):
        pass
    return CallControlError(
        detail[:300], status=response.status_code, code=code, retry_after=parse_retry_after(response.headers)
    )


def parse_retry_after(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(min(int(value), 86_400))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(86_400.0, max(0.0, when.timestamp() - (time.time() if now is None else now)))


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
