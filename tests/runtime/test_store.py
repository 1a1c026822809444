"""The session store: lookups by id and by call, the active set, processed webhook ids,
eviction order and removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hold_agent.core.session import CallSession, CallState
from hold_agent.runtime import store as store_module
from hold_agent.runtime.store import SessionStore

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def session(session_id: str, state: CallState = CallState.IVR, **fields: Any) -> CallSession:
    base: dict[str, Any] = {
        "session_id": session_id,
        "call_control_id": f"v3:{session_id}",
        "to": "+15551234567",
        "target_company": "Acme",
        "objective": "test the store",
        "created_at": T0,
        "updated_at": T0,
        "state": state,
    }
    return CallSession(**(base | fields))


def test_a_saved_session_is_found_by_id_and_by_call() -> None:
    store = SessionStore()
    store.save(session("a"))
    assert store.get("a") is not None and store.by_call("v3:a") is store.get("a")
    assert store.get("missing") is None and store.by_call("v3:missing") is None
    assert len(store) == 1


def test_a_call_id_keeps_pointing_at_its_first_session() -> None:
    store = SessionStore()
    store.save(session("a", call_control_id="v3:shared"))
    store.save(session("b", call_control_id="v3:shared"))
    found = store.by_call("v3:shared")
    assert found is not None and found.session_id == "a"


def test_the_active_set_follows_the_state() -> None:
    store = SessionStore()
    store.save(session("a"))
    store.save(session("b", CallState.HOLD))
    assert store.active_count() == 2
    store.save(session("a", CallState.ENDED, updated_at=T0 + timedelta(seconds=5)))
    assert [s.session_id for s in store.active()] == ["b"] and store.active_count() == 1


def test_newest_first_is_creation_order_reversed_and_limited() -> None:
    store = SessionStore()
    for name in "abc":
        store.save(session(name))
    assert [s.session_id for s in store.newest_first()] == ["c", "b", "a"]
    assert [s.session_id for s in store.newest_first(2)] == ["c", "b"]


def test_ended_sessions_are_evicted_oldest_first_by_our_clock() -> None:
    store = SessionStore()
    for offset, name in enumerate("abc"):
        store.save(session(name, CallState.ENDED, updated_at=T0 + timedelta(minutes=offset)))
    store.save(session("live"))
    assert store.ended_before(T0 + timedelta(minutes=1, seconds=30)) == ["a", "b"]
    assert store.ended_before(T0) == []


def test_processed_webhook_ids_are_remembered_per_call_and_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(store_module, "MAX_SEEN_EVENT_IDS", 3)
    store = SessionStore()
    for event_id in ("e1", "e2", "e3"):
        store.mark_processed("a", event_id)
    assert store.already_processed("a", "e1") and not store.already_processed("b", "e1")
    store.mark_processed("a", "e4")
    assert not store.already_processed("a", "e1"), "the oldest id is forgotten past the bound"
    assert all(store.already_processed("a", event_id) for event_id in ("e2", "e3", "e4"))


def test_the_bound_on_remembered_webhook_ids_outlasts_a_long_call() -> None:
    # A call on hold for an hour gets a transcript every few seconds: about a thousand ids.
    assert store_module.MAX_SEEN_EVENT_IDS >= 2000


def test_a_lock_is_one_per_session() -> None:
    store = SessionStore()
    assert store.lock("a") is store.lock("a") and store.lock("a") is not store.lock("b")


def test_remove_forgets_everything_about_a_session() -> None:
    store = SessionStore()
    store.save(session("a", CallState.ENDED))
    store.mark_processed("a", "e1")
    lock = store.lock("a")
    store.remove("a")
    assert store.get("a") is None and store.by_call("v3:a") is None and len(store) == 0
    assert not store.already_processed("a", "e1") and store.ended_before(T0 + timedelta(days=1)) == []
    assert store.lock("a") is not lock
    store.remove("never-saved")  # harmless
