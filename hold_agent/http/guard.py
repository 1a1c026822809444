"""ASGI middleware that guards every request body before any route reads it."""

from __future__ import annotations

import asyncio
import json

import pydantic_core
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hold_agent.http.errors import error_body


class RequestGuard:
    """ASGI middleware that reads each request body once, bounded, before any route sees it.

    - A body that has not fully arrived within `body_timeout` seconds gets 408.
    - Bodies over `max_bytes` get 413: a declared `Content-Length` is refused before reading,
      chunked bodies as soon as they pass the cap.
    - A body sent as JSON must be JSON a client could mean: valid UTF-8, no lone surrogates,
      no NaN or Infinity, nesting within a sane depth. Anything else gets 400 here, so no
      route (or the JSON encoder of a later response) ever meets it.
    The body is then replayed to the app unchanged.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, body_timeout: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_headers = scope.get("headers") or []
        declared = dict(raw_headers).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _refuse(send, 413, "payload_too_large", f"The request body is larger than {self.max_bytes} bytes.")
            return
        chunks: list[bytes] = []
        size = 0
        deadline = asyncio.get_running_loop().time() + self.body_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), deadline - asyncio.get_running_loop().time())
            except TimeoutError:
                await _refuse(
                    send, 408, "request_timeout", f"The request body took longer than {self.body_timeout:g} s."
                )
                return
            if message["type"] != "http.request":
                break  # the client went away; let the app see the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(
                    send, 413, "payload_too_large", f"The request body is larger than {self.max_bytes} bytes."
                )
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        # Any JSON content type counts, even when a client sends two Content-Type headers.
        types = [value.split(b";")[0].strip().lower() for name, value in raw_headers if name == b"content-type"]
        if body and any(kind.endswith(b"json") for kind in types):
            try:
                pydantic_core.from_json(body, allow_inf_nan=False)
            except ValueError as error:
                await _refuse(send, 400, "invalid_json", f"The body is not valid JSON: {error}.")
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
