"""`GET /sessions` and `GET /sessions/{id}`: what happened on each call, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hold_agent.http.auth import protect_session_data, require_api_token
from hold_agent.http.routes.deps import Service
from hold_agent.http.schemas import SessionList, SessionView, session_view

router = APIRouter(dependencies=[Depends(require_api_token), Depends(protect_session_data)], tags=["sessions"])


@router.get("/sessions", response_model=SessionList)
async def list_sessions(service: Service, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> SessionList:
    """Sessions, newest first."""
    now = service.clock()
    views = [session_view(session, now) for session in service.list_sessions(limit)]
    return SessionList(count=len(views), sessions=views)


@router.get("/sessions/{session_id}", response_model=SessionView)
async def get_session(session_id: str, service: Service) -> SessionView:
    return session_view(service.get_session(session_id), service.clock())
