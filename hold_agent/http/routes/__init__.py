"""The HTTP routes, one module per resource. Each route parses, calls the service, and maps
the service's domain result to a status; nothing more."""

from __future__ import annotations

from fastapi import APIRouter

from hold_agent.http.routes import calls, health, sessions, tools, webhooks

router = APIRouter()
for module in (calls, sessions, health, webhooks, tools):
    router.include_router(module.router)
