"""A local stand-in for the Telnyx Call Control API, for tests, benchmarks and the simulator.

It answers the way Telnyx does (shapes from the Call Control API reference): `POST /v2/calls` returns a new
call's ids; `POST /v2/calls/{id}/actions/{action}` returns `{"data": {"result": "ok"}}`
(plus a `conversation_id` for `ai_assistant_start`); a wrong API key is a 401; an unknown
call is a 404; a call that has hung up answers 422 "Call has already ended"; a repeated
`command_id` on a call is accepted and ignored, as soon as it arrives. Every request is
recorded, in order.

What a call does is the shared Call Control model's (hold_agent/telnyx/model.py); this module
adds the HTTP shapes, the API key, and the faults.

`Faults` makes it as unreliable as the real one can be, deterministically per command: the
first attempt of every command fails with a 500; the second attempt of every Nth command is
refused with 429 and a Retry-After; every Mth command is answered, when it takes effect,
only after a delay longer than the client's patience (so the client re-sends it and the
stand-in must recognise the repeat); and every answer can be slow. Tests that need one exact
sequence of failures put a `Hook` in front of an action (`before[action]`): it sees each
request's body first, and may answer it itself (a 503, a 429 with Retry-After) or wait.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hold_agent.telnyx.client import CallControlError
from hold_agent.telnyx.model import CallControlModel

# Told of every command that takes effect: (action, call_control_id, body, the answer's data).
# "dial" included.
Listener = Callable[[str, str, dict[str, Any], dict[str, Any]], None]


@dataclass
class RecordedCall:
    method: str
    path: str
    action: str
    headers: dict[str, str]
    body: Any
    duplicate: bool = False


# Runs before the model answers a request for one action (or "dial"): an answer of its own
# (a failure), or None to let the model answer. It may sleep or wait on an event first.
Hook = Callable[[dict[str, Any]], Awaitable[JSONResponse | None]]


@dataclass(frozen=True)
class Faults:
    fail_first_attempt: bool = False
    rate_limit_every: int = 0
    retry_after_seconds: int = 1
    slow_every: int = 0
    slow_seconds: float = 0.0
    latency_seconds: float = 0.0


class TelnyxStandIn:
    def __init__(self, api_key: str, faults: Faults | None = None) -> None:
        self.api_key = api_key
        self.faults = faults or Faults()
        self.requests: list[RecordedCall] = []
        # What Telnyx would do with each request; faults and HTTP shapes are added here.
        self.model = CallControlModel(id_prefix="v3:standin-")
        self.calls = self.model.calls
        # How many times each command_id took effect (the goal: exactly once each).
        self.applied = self.model.applied
        self.faults_injected: Counter[str] = Counter()
        self.before: dict[str, Hook] = {}
        # command_id -> (its index among distinct commands, attempts so far)
        self._attempts: dict[str, list[int]] = {}
        self.listeners: list[Listener] = []
        self.app = self._build()

    def _tell(self, action: str, call_control_id: str, body: dict[str, Any], data: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(action, call_control_id, body, data)

    def hang_up(self, call_control_id: str) -> None:
        self.model.hang_up(call_control_id)

    def actions(self) -> list[str]:
        return [request.action for request in self.requests if not request.duplicate]

    def _build(self) -> FastAPI:
        app = FastAPI(title="Telnyx stand-in")

        @app.post("/v2/calls")
        async def dial(request: Request) -> JSONResponse:
            body, problem = await self._read(request, "dial")
            if problem is not None:
                return problem
            answer = self.model.dial(body)
            if answer.duplicate:
                self.requests[-1].duplicate = True
                return _data(answer.data)
            self._tell("dial", answer.data["call_control_id"], body, answer.data)
            await self._maybe_slow(body.get("command_id"))
            return _data(answer.data)

        @app.post("/v2/calls/{call_control_id}/actions/{action}")
        async def act(call_control_id: str, action: str, request: Request) -> JSONResponse:
            body, problem = await self._read(request, action)
            if problem is not None:
                return problem
            try:
                answer = self.model.act(call_control_id, action, body)
            except CallControlError as refused:
                return _error(refused.status or 500, refused.detail)
            if answer.duplicate:
                self.requests[-1].duplicate = True
                return _data(answer.data)
            self._tell(action, call_control_id, body, answer.data)
            await self._maybe_slow(body.get("command_id"))
            return _data(answer.data)

        return app

    async def _read(self, request: Request, action: str) -> tuple[dict[str, Any], JSONResponse | None]:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        self.requests.append(RecordedCall(request.method, request.url.path, action, dict(request.headers), body))
        if self.faults.latency_seconds:
            await asyncio.sleep(self.faults.latency_seconds)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return {}, _error(401, "Authentication failed")
        if not isinstance(body, dict):
            return {}, _error(422, "The request body must be a JSON object")
        hook = self.before.get(action)
        if hook is not None:
            answered = await hook(body)
            if answered is not None:
                return body, answered
        return body, self._injected_fault(body)

    def _injected_fault(self, body: dict[str, Any]) -> JSONResponse | None:
        faults, command_id = self.faults, body.get("command_id")
        if not isinstance(command_id, str):
            return None
        index, attempt = self._count_attempt(command_id)
        if faults.fail_first_attempt and attempt == 1:
            self.faults_injected["500 on first attempt"] += 1
            return _error(500, "Internal server error (injected)")
        if faults.rate_limit_every and index % faults.rate_limit_every == 0 and attempt == 2:
            self.faults_injected["429"] += 1
            response = _error(429, "Too many requests (injected)")
            response.headers["Retry-After"] = str(faults.retry_after_seconds)
            return response
        return None

    def _count_attempt(self, command_id: str) -> tuple[int, int]:
        counts = self._attempts.setdefault(command_id, [len(self._attempts) + 1, 0])
        counts[1] += 1
        return counts[0], counts[1]

    async def _maybe_slow(self, command_id: object) -> None:
        faults = self.faults
        index = self._attempts.get(command_id, [0])[0] if isinstance(command_id, str) else 0
        if faults.slow_every and index and index % faults.slow_every == 0:
            self.faults_injected["slow answer"] += 1
            await asyncio.sleep(faults.slow_seconds)


def _data(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"data": data})


def failure(
    status: int, detail: str = "", headers: dict[str, str] | None = None, code: str | None = None
) -> JSONResponse:
    """An error answer shaped as Telnyx shapes them, for hooks."""
    response = _error(status, detail or f"HTTP {status}", code)
    response.headers.update(headers or {})
    return response


def _error(status: int, detail: str, code: str | None = None) -> JSONResponse:
    error: dict[str, str] = {"title": detail, "detail": detail}
    if code is not None:
        error["code"] = code
    return JSONResponse({"errors": [error]}, status_code=status)
