"""In-memory session store: sessions by id and by call control id, per-call locks, and the
webhook ids each call has already processed.

Every lookup is a dict access. The store holds data only; the service decides what to save.
Swapping it for persistent storage means implementing these few methods.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime
from itertools import islice

from hold_agent.core.session import CallSession

# Webhook ids remembered per call for de-duplication. A call sees a few hundred webhooks
# at most (transcripts dominate); duplicates arrive within minutes.
MAX_SEEN_EVENT_IDS = 5000


class _SeenIds:
    """A bounded set: remembers the most recent `limit` ids."""

    def __init__(self, limit: int) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._limit = limit

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        if event_id in self._ids:
            return
        self._order.append(event_id)
        self._ids.add(event_id)
        if len(self._order) > self._limit:
            self._ids.discard(self._order.popleft())


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, CallSession] = {}
        self._by_call: dict[str, str] = {}
        self._active: set[str] = set()
        # Ended sessions in the order they ended, with when: eviction reads from the front.
        self._ended: dict[str, datetime] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._seen: dict[str, _SeenIds] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def save(self, session: CallSession) -> None:
        self._sessions[session.session_id] = session
        if session.call_control_id is not None:
            self._by_call.setdefault(session.call_control_id, session.session_id)
        if session.is_active:
            self._active.add(session.session_id)
        else:
            self._active.discard(session.session_id)
            if session.session_id not in self._ended:
                # Our own clock (updated_at), not Telnyx's occurred_at: a webhook from the
                # future must not hold eviction back for every session behind it.
                self._ended[session.session_id] = session.updated_at

    def get(self, session_id: str) -> CallSession | None:
        return self._sessions.get(session_id)

    def by_call(self, call_control_id: str) -> CallSession | None:
        session_id = self._by_call.get(call_control_id)
        return self._sessions.get(session_id) if session_id is not None else None

    def lock(self, session_id: str) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        return lock

    def active(self) -> list[CallSession]:
        return [self._sessions[session_id] for session_id in self._active]

    def active_count(self) -> int:
        return len(self._active)

    def newest_first(self, limit: int | None = None) -> list[CallSession]:
        # Dicts keep insertion order, and sessions are inserted when created.
        return list(islice(reversed(self._sessions.values()), limit))

    def already_processed(self, session_id: str, event_id: str) -> bool:
        seen = self._seen.get(session_id)
        return seen is not None and event_id in seen

    def mark_processed(self, session_id: str, event_id: str) -> None:
        seen = self._seen.get(session_id)
        if seen is None:
            seen = self._seen[session_id] = _SeenIds(MAX_SEEN_EVENT_IDS)
        seen.add(event_id)

    def ended_before(self, cutoff: datetime) -> list[str]:
        """Ids of sessions that ended before `cutoff`, oldest first."""
        expired = []
        for session_id, ended_at in self._ended.items():
            if ended_at >= cutoff:
                break
            expired.append(session_id)
        return expired

    def remove(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None and session.call_control_id is not None:
            self._by_call.pop(session.call_control_id, None)
        self._active.discard(session_id)
        self._ended.pop(session_id, None)
        self._locks.pop(session_id, None)
        self._seen.pop(session_id, None)
