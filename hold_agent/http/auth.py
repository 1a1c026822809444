"""Who may call what.

- Workflow endpoints (`/calls/outbound`, `/sessions*`): `Authorization: Bearer API_AUTH_TOKEN`
  when that is set. Sessions hold the approved personal context.
- Assistant tools (`/tools/*`): `Authorization: Bearer TOOL_AUTH_TOKEN` (a header configured
  on the assistant's webhook tool), or, when the token is set, a Telnyx signature over this
  very tool request: not a webhook's, and naming its call inside the signed body.
- Webhooks: the Telnyx signature, when TELNYX_PUBLIC_KEY is set (`verify_telnyx_signature`, the
  one place a signature is checked).

Secrets are compared in constant time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from fastapi import Request
from pydantic import SecretStr

from hold_agent.config import Settings
from hold_agent.errors import NotAllowed, NotAuthenticated
from hold_agent.telnyx.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify


def bearer_matches(authorization: str | None, token: SecretStr) -> bool:
    if not authorization:
        return False
    scheme, _, presented = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), token.get_secret_value().strip().encode())


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.service.settings
    return settings


async def require_api_token(request: Request) -> None:
    token = _settings(request).api_auth_token
    if token is not None and not bearer_matches(request.headers.get("authorization"), token):
        raise NotAuthenticated("This endpoint needs Authorization: Bearer <API_AUTH_TOKEN>.")


async def protect_session_data(request: Request) -> None:
    """Sessions hold the approved personal context: in real mode they are never served
    without API_AUTH_TOKEN, even when ALLOW_INSECURE lets the service start without it."""
    settings = _settings(request)
    if not settings.telnyx_dry_run and settings.api_auth_token is None:
        raise NotAllowed(
            "Session data holds personal context and is not served in real mode without API_AUTH_TOKEN.",
            code="sessions_need_a_token",
        )


async def require_tool_auth(request: Request) -> None:
    """TOOL_AUTH_TOKEN, or a Telnyx signature bound to this very request. A webhook's
    signature never authorises a tool: it signs a webhook envelope, and the call a tool acts
    on must be named inside the signed body, never only in an unsigned header."""
    settings = _settings(request)
    token = settings.tool_auth_token
    idempotency_key = request.headers.get("idempotency-key")
    # A client's key names one request to one tool: the same key elsewhere, or with another
    # body, is another request.
    request.state.tool_request_key = (
        f"key:{request.url.path}:{idempotency_key}:{hashlib.sha256(await request.body()).hexdigest()}"
        if idempotency_key
        else None
    )
    if token is None or bearer_matches(request.headers.get("authorization"), token):
        return
    if settings.public_key_bytes is not None and request.headers.get(SIGNATURE_HEADER):
        try:
            await verify_telnyx_signature(request)
        except SignatureError:
            pass
        else:
            _bind_signed_tool_request(request, await request.body())
            return
    raise NotAuthenticated("I'm not allowed to do that: the tool request is not authenticated.")


def _bind_signed_tool_request(request: Request, raw: bytes) -> None:
    try:
        document: Any = json.loads(raw)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise NotAuthenticated("A signed tool request must be a JSON object.")
    data = document.get("data")
    if isinstance(data, dict) and "event_type" in data:
        raise NotAuthenticated("A webhook's signature does not authorise a tool request.")
    call = document.get("call_control_id")
    header = request.headers.get("x-telnyx-call-control-id")
    if not isinstance(call, str) or not call.strip():
        raise NotAuthenticated("A signed tool request must name its call_control_id in the signed body.")
    if header and header.strip() != call.strip():
        raise NotAuthenticated("The unsigned x-telnyx-call-control-id header names another call than the signed body.")
    # What Telnyx signed (timestamp and body) names this exact request: a replay of it, to
    # this tool or any other, is the same request. Hashing what was signed, not the header's
    # base64 spelling, so one signature cannot be spelled sixteen ways.
    signed = request.headers.get(TIMESTAMP_HEADER, "").strip().encode() + b"|" + raw
    request.state.tool_request_key = "signed:" + hashlib.sha256(signed).hexdigest()


async def verify_telnyx_signature(request: Request) -> None:
    """Raise SignatureError unless the body is signed by Telnyx (when TELNYX_PUBLIC_KEY is set)."""
    public_key = _settings(request).public_key_bytes
    if public_key is None:
        return
    try:
        verify(await request.body(), request.headers, public_key)
    except SignatureError as error:
        raise SignatureError(f"Webhook signature rejected: {error}.") from None
