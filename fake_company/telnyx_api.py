"""A local stand-in for the Telnyx Call Control API, for tests and the simulator.

It answers the way Telnyx does (shapes from TELNYX.md): `POST /v2/calls` returns a new
call's ids; `POST /v2/calls/{id}/actions/{action}` returns `{"data": {"result": "ok"}}`
(plus a `conversation_id` for `ai_assistant_start`); a wrong API key is a 401; an unknown
call is a 404; a call that has hung up answers 422 "Call has already ended"; a repeated
`command_id` on a call is accepted and ignored. Every request is recorded, in order.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class RecordedCall:
    method: str
    path: str
    action: str
    headers: dict[str, str]
    body: Any
    duplicate: bool = False


@dataclass
class StandInCall:
    call_control_id: str
    dial_body: dict[str, Any]
    alive: bool = True
    command_ids: set[str] = field(default_factory=set)


class TelnyxStandIn:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.requests: list[RecordedCall] = []
        self.calls: dict[str, StandInCall] = {}
        self._dial_ids: dict[str, str] = {}
        self.app = self._build()

    def hang_up(self, call_control_id: str) -> None:
        self.calls[call_control_id].alive = False

    def actions(self) -> list[str]:
        return [request.action for request in self.requests if not request.duplicate]

    def _build(self) -> FastAPI:
        app = FastAPI(title="Telnyx stand-in")

        @app.post("/v2/calls")
        async def dial(request: Request) -> JSONResponse:
            body, problem = await self._read(request, "dial")
            if problem is not None:
                return problem
            command_id = body.get("command_id")
            if isinstance(command_id, str) and command_id in self._dial_ids:
                self.requests[-1].duplicate = True
                return _data({"call_control_id": self._dial_ids[command_id], "result": "ok"})
            call_control_id = f"v3:standin-{uuid.uuid4().hex}"
            self.calls[call_control_id] = StandInCall(call_control_id, body)
            if isinstance(command_id, str):
                self._dial_ids[command_id] = call_control_id
            return _data(
                {
                    "call_control_id": call_control_id,
                    "call_leg_id": str(uuid.uuid4()),
                    "call_session_id": str(uuid.uuid4()),
                    "is_alive": True,
                    "record_type": "call",
                }
            )

        @app.post("/v2/calls/{call_control_id}/actions/{action}")
        async def act(call_control_id: str, action: str, request: Request) -> JSONResponse:
            body, problem = await self._read(request, action)
            if problem is not None:
                return problem
            call = self.calls.get(call_control_id)
            if call is None:
                return _error(404, "Resource not found")
            command_id = body.get("command_id")
            if isinstance(command_id, str) and command_id in call.command_ids:
                self.requests[-1].duplicate = True
                return _data({"result": "ok"})
            if not call.alive:
                return _error(422, "Call has already ended")
            if isinstance(command_id, str):
                call.command_ids.add(command_id)
            if action == "hangup":
                call.alive = False
            if action == "ai_assistant_start":
                return _data({"result": "ok", "conversation_id": str(uuid.uuid4())})
            return _data({"result": "ok"})

        return app

    async def _read(self, request: Request, action: str) -> tuple[dict[str, Any], JSONResponse | None]:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        self.requests.append(RecordedCall(request.method, request.url.path, action, dict(request.headers), body))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return {}, _error(401, "Authentication failed")
        if not isinstance(body, dict):
            return {}, _error(422, "The request body must be a JSON object")
        return body, None


def _data(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"data": data})


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"errors": [{"title": detail, "detail": detail}]}, status_code=status)
