"""Detection, line by line: pure text in, verdict out."""

from __future__ import annotations

import pytest

from hold_agent.detection import Verdict, judge
from hold_agent.session import CallState

LINES: list[tuple[str, Verdict]] = [
    ("Please hold, your call is important to us.", Verdict.HOLD),
    ("All of our representatives are currently assisting other callers.", Verdict.HOLD),
    ("Thank you for holding. All of our representatives are still assisting other callers.", Verdict.HOLD),
    ("Thank you for holding, your call will be answered in the order it was received.", Verdict.HOLD),
    ("Thanks for your patience. The estimated wait time is 5 minutes.", Verdict.HOLD),
    ("You are caller number three.", Verdict.HOLD),
    ("Please stay on the line and the next available agent will be with you shortly.", Verdict.HOLD),
    ("Let me put you on hold for a moment.", Verdict.HOLD),
    ("Thanks for holding, this is Sarah with reservations.", Verdict.HUMAN),
    ("Hi, my name is Marcus, how can I help you today?", Verdict.HUMAN),
    ("Billing department, Dana speaking.", Verdict.HUMAN),
    ("Hello?", Verdict.HUMAN),
    ("Sorry about the wait, who am I speaking with?", Verdict.HUMAN),
    ("For reservations, press 1. For the front desk, press 2.", Verdict.IVR),
    ("Please leave a message after the tone.", Verdict.VOICEMAIL),
    ("Our office is currently closed.", Verdict.CLOSED),
    ("This is a reminder that calls may be recorded.", Verdict.UNKNOWN),
    ("Thank you for holding.", Verdict.UNKNOWN),
    ("", Verdict.UNKNOWN),
]


@pytest.mark.parametrize(("text", "verdict"), LINES)
def test_lines(text: str, verdict: Verdict) -> None:
    assert judge(text, CallState.HOLD).verdict is verdict


def test_this_is_a_recording_is_not_a_name() -> None:
    for text in ("This is an automated message.", "This is the Willow Creek Hotel.", "This is not a valid option."):
        assert judge(text, CallState.HOLD).verdict is not Verdict.HUMAN, text


def test_state_decides_what_is_actionable() -> None:
    hold = "Please hold, your call is important to us."
    person = "Hi, this is Sarah with reservations."
    assert judge(hold, CallState.IVR).actionable
    assert judge(hold, CallState.REPRESENTATIVE).actionable
    assert not judge(hold, CallState.HOLD).actionable  # already there
    assert not judge(hold, CallState.DIALING).actionable
    assert judge(person, CallState.HOLD).actionable
    assert not judge(person, CallState.IVR).actionable  # first version: pickup only counts on hold
    assert not judge(person, CallState.REPRESENTATIVE).actionable


def test_judgement_explains_itself() -> None:
    judgement = judge("Thank you for holding. All of our representatives are busy.", CallState.IVR)
    assert judgement.verdict is Verdict.HOLD
    assert "busy" in judgement.reason
    assert judgement.scores["hold"] > judgement.scores.get("human", 0)
