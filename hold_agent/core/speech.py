"""What the assistants are told and what they say first: the dynamic variables and briefings
they start with, the representative's greeting, and the machine's replies to tool requests
that do not apply now. Pure functions of the session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hold_agent.core.detection import Label
from hold_agent.core.events import DtmfRequested, EndRequested, Event
from hold_agent.core.session import CallSession, CallState, TranscriptLine

# The representative assistant is briefed with at most this many of the far end's lines.
REPRESENTATIVE_HISTORY_LINES = 12
RETURNING_GREETING = "Thanks, I'm still here."


def approved_context_text(session: CallSession) -> str:
    return "; ".join(f"{key.replace('_', ' ')}: {value}" for key, value in session.context.items())


def task_variables(session: CallSession) -> dict[str, Any]:
    return {
        **session.context,
        "objective": session.objective,
        "target_company": session.target_company,
        "approved_context": approved_context_text(session) or "none",
    }


def representative_lines(session: CallSession) -> list[TranscriptLine]:
    lines = [
        line for line in session.transcript if line.heard_in is CallState.REPRESENTATIVE or line.verdict is Label.HUMAN
    ]
    return lines[-REPRESENTATIVE_HISTORY_LINES:]


def representative_variables(session: CallSession, now: datetime) -> dict[str, Any]:
    hold_seconds = session.hold_seconds(now)
    said = [line.text for line in representative_lines(session)]
    return {
        **task_variables(session),
        "hold_seconds": round(hold_seconds),
        "hold_minutes": round(hold_seconds / 60, 1),
        "recent_transcript": " / ".join(said) or "nothing yet",
    }


def representative_history(session: CallSession, now: datetime) -> tuple[tuple[str, str], ...]:
    minutes = session.hold_seconds(now) / 60
    briefing = (
        f"A live representative of {session.target_company} is now on the line. "
        f"Your task: {session.objective}. "
        f"We waited {minutes:.1f} minutes on hold before they answered. "
        f"Details you are approved to share: {approved_context_text(session) or 'none'}. "
        "Share nothing beyond them. When the task is done, or cannot be done, call the end-call tool."
    )
    heard = tuple(("user", line.text) for line in representative_lines(session))
    return (("system", briefing), *heard)


def menu_again_history(session: CallSession, now: datetime) -> tuple[tuple[str, str], ...]:
    minutes = session.hold_seconds(now) / 60
    briefing = (
        f"You are back in the phone menu of {session.target_company} after {minutes:.1f} minutes on hold "
        f"(the call was transferred). Your task is still: {session.objective}. Listen to the menu to the end and "
        f"press keys only with the send_dtmf tool. Details you may key in or say: "
        f"{approved_context_text(session) or 'none'}. Call hold_detected when the hold starts again."
    )
    heard = tuple(("user", line.text) for line in session.transcript[-3:])
    return (("system", briefing), *heard)


def default_greeting(session: CallSession) -> str:
    return (
        "Hi, thanks for taking my call. I'm an AI assistant calling on a customer's behalf. "
        f"The reason for my call: {session.objective}."
    )


def spoken_keys(digits: str) -> str:
    return " ".join({"*": "star", "#": "pound", "w": "pause", "W": "pause"}.get(ch, ch) for ch in digits)


def not_now_message(event: Event, state: CallState) -> str:
    if isinstance(event, DtmfRequested):
        if state is CallState.HOLD:
            return "We are on hold, so I won't press keys until a person answers."
        return "The call is not connected yet, so I can't press keys."
    if isinstance(event, EndRequested):
        return "The call has already ended."
    return f"That does not apply while the call is in {state.value}."
