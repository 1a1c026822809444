"""A requester's context may not shadow the dynamic variables the assistants are given."""

from __future__ import annotations

from datetime import UTC, datetime

from hold_agent.core import speech
from hold_agent.core.session import CallSession, CallState
from hold_agent.http.schemas import RESERVED_CONTEXT_KEYS


def test_every_variable_of_ours_is_reserved() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    session = CallSession(
        session_id="s",
        to="+15551234567",
        target_company="Acme",
        objective="o",
        created_at=now,
        updated_at=now,
        state=CallState.REPRESENTATIVE,
    )
    ours = set(speech.task_variables(session)) | set(speech.representative_variables(session, now))
    assert ours <= RESERVED_CONTEXT_KEYS, f"reserve {sorted(ours - RESERVED_CONTEXT_KEYS)} in http/schemas.py"
