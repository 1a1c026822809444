"""Every tunable of the core, pinned: each test fails when its value is moved far.

The machine's thresholds are chosen by tests/corpus/tune.py. Here each one is tested on a
judgement made up for the purpose, a little above and a little below where it stands today,
so the test reads the machine's rule and not the model's mood. A re-tuning that moves a
threshold by more than about 0.1 must update these cases on purpose. Values are literals on
purpose: a test that read the constant would move with it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hold_agent.core import machine, speech
from hold_agent.core.detection.judge import Evidence, Judgement, call_inputs, gather, judge, remember_line
from hold_agent.core.detection.labels import LABELS, Label, Probabilities
from hold_agent.core.detection.memory import DetectorMemory
from hold_agent.core.dtmf import DtmfRefused, normalize_dtmf
from hold_agent.core.events import TranscriptHeard
from hold_agent.core.session import CallSession, CallState, TranscriptLine

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
S = CallState


def probabilities(**given: float) -> Probabilities:
    """The given labels' probabilities; what is left goes to `other`."""
    values = {label: given.get(label.value, 0.0) for label in LABELS}
    values[Label.OTHER] = max(0.0, 1.0 - sum(v for label, v in values.items() if label is not Label.OTHER))
    return Probabilities(tuple(values[label] for label in LABELS))


def evidence(**facts: Any) -> Evidence:
    base: dict[str, Any] = {
        "words": 6,
        "formatted": True,
        "confidence": 0.9,
        "repeat": False,
        "loop_seconds": None,
        "noise": False,
        "after_noise": False,
        "silence_before": None,
        "asks_to_hold": False,
        "soft_hold": False,
        "greeting_only": False,
    }
    return Evidence(**(base | facts))


def session(state: CallState, **fields: Any) -> CallSession:
    base: dict[str, Any] = {
        "session_id": "s1",
        "call_control_id": "v3:call",
        "to": "+15551234567",
        "target_company": "Acme",
        "objective": "pin the tunables",
        "created_at": T0,
        "updated_at": T0,
        "answered_at": T0,
        "transcribing": True,
        "state": state,
    }
    if state is S.IVR:
        base["assistant"] = "ivr"
    if state is S.HOLD:
        base.update(hold_started_at=T0, hold_count=1)
    if state is S.REPRESENTATIVE:
        base.update(assistant="representative", representative_at=T0 - timedelta(minutes=10))
    return CallSession(**(base | fields))


def after(
    monkeypatch: pytest.MonkeyPatch,
    start: CallSession,
    *,
    line: Probabilities | None = None,
    seconds: float = 30,
    **call: Any,
) -> CallState:
    """The state after one final line the detector judged `call` (and `line`, the words alone)."""
    made_up = probabilities(**call)
    facts = evidence(**{k: v for k, v in call.items() if k in Evidence.__dataclass_fields__})
    judgement = Judgement(made_up.top, made_up, line or made_up, facts)
    monkeypatch.setattr(machine.detection, "judge", lambda *args, **kwargs: judgement)
    at = T0 + timedelta(seconds=seconds)
    return machine.step(start, TranscriptHeard(text="a line", is_final=True, at=at), at).session.state


# --- the machine's thresholds ---------------------------------------------------------------


def test_person_on_hold(monkeypatch: pytest.MonkeyPatch) -> None:  # PERSON_ON_HOLD
    assert after(monkeypatch, session(S.HOLD), human=0.5) is S.REPRESENTATIVE
    assert after(monkeypatch, session(S.HOLD), human=0.3) is S.HOLD


def test_person_back_from_their_own_hold(monkeypatch: pytest.MonkeyPatch) -> None:  # PERSON_BACK
    returning = session(S.HOLD, representative_at=T0 - timedelta(minutes=5))
    assert after(monkeypatch, returning, human=0.4) is S.REPRESENTATIVE
    assert after(monkeypatch, returning, human=0.2) is S.HOLD


def test_person_in_menu(monkeypatch: pytest.MonkeyPatch) -> None:  # PERSON_IN_MENU
    assert after(monkeypatch, session(S.IVR), human=0.5) is S.REPRESENTATIVE
    assert after(monkeypatch, session(S.IVR), human=0.3) is S.IVR


def test_hold_in_menu(monkeypatch: pytest.MonkeyPatch) -> None:  # HOLD_IN_MENU
    assert after(monkeypatch, session(S.IVR), hold=0.5, ivr=0.2) is S.HOLD
    assert after(monkeypatch, session(S.IVR), hold=0.3, ivr=0.2) is S.IVR


def test_menu_after_hold(monkeypatch: pytest.MonkeyPatch) -> None:  # MENU_AFTER_HOLD
    assert after(monkeypatch, session(S.HOLD), ivr=0.9) is S.IVR
    assert after(monkeypatch, session(S.HOLD), ivr=0.7) is S.HOLD


def test_nobody_in_menu(monkeypatch: pytest.MonkeyPatch) -> None:  # NOBODY_IN_MENU
    assert after(monkeypatch, session(S.IVR), voicemail=0.7) is S.ENDED
    assert after(monkeypatch, session(S.IVR), voicemail=0.5) is S.IVR


def test_nobody_on_hold(monkeypatch: pytest.MonkeyPatch) -> None:  # NOBODY_ON_HOLD
    assert after(monkeypatch, session(S.HOLD), closed=0.95) is S.ENDED
    assert after(monkeypatch, session(S.HOLD), closed=0.8) is S.HOLD


def test_hold_with_person(monkeypatch: pytest.MonkeyPatch) -> None:  # HOLD_WITH_PERSON
    # A person asking us to hold: the words decide (the line's hold), not who is speaking.
    def asked(hold_words: float) -> CallState:
        line = probabilities(hold=hold_words, human=0.4)
        return after(monkeypatch, session(S.REPRESENTATIVE), line=line, human=0.9, asks_to_hold=True)

    assert asked(0.5) is S.HOLD
    assert asked(0.3) is S.REPRESENTATIVE


def test_queue_with_person(monkeypatch: pytest.MonkeyPatch) -> None:  # QUEUE_WITH_PERSON
    def looped(hold_words: float) -> CallState:
        return after(
            monkeypatch,
            session(S.REPRESENTATIVE),
            line=probabilities(hold=hold_words),
            hold=hold_words,
            human=0.1,
            repeat=True,
        )

    assert looped(0.95) is S.HOLD
    assert looped(0.8) is S.REPRESENTATIVE


def test_false_alarm_hold(monkeypatch: pytest.MonkeyPatch) -> None:  # FALSE_ALARM_HOLD
    picked_up = session(S.REPRESENTATIVE, representative_at=T0)
    assert after(monkeypatch, picked_up, seconds=20, hold=0.4, human=0.1) is S.HOLD
    assert after(monkeypatch, picked_up, seconds=20, hold=0.2, human=0.1) is S.REPRESENTATIVE


def test_false_alarm_window(monkeypatch: pytest.MonkeyPatch) -> None:  # FALSE_ALARM_WINDOW_SECONDS
    picked_up = session(S.REPRESENTATIVE, representative_at=T0)
    assert after(monkeypatch, picked_up, seconds=30, hold=0.8, human=0.1) is S.HOLD
    # Five minutes after the pickup, queue words are someone talking about a queue.
    assert after(monkeypatch, picked_up, seconds=300, hold=0.8, human=0.1) is S.REPRESENTATIVE


def test_a_person_who_spoke_since_the_pickup(monkeypatch: pytest.MonkeyPatch) -> None:  # PERSON_SPOKE
    def with_reply(human: float) -> CallSession:
        reply = TranscriptLine(
            at=T0 + timedelta(seconds=5),
            text="How can I help you today?",
            heard_in=S.REPRESENTATIVE,
            probabilities={"human": human},
        )
        return session(S.REPRESENTATIVE, representative_at=T0, transcript=[reply])

    assert after(monkeypatch, with_reply(0.4), seconds=20, hold=0.5, human=0.1) is S.REPRESENTATIVE
    assert after(monkeypatch, with_reply(0.2), seconds=20, hold=0.5, human=0.1) is S.HOLD


def test_still_talking_after_one_moment(monkeypatch: pytest.MonkeyPatch) -> None:  # STILL_TALKING
    waiting = session(S.REPRESENTATIVE, pending_hold_at=T0 + timedelta(seconds=25))
    assert after(monkeypatch, waiting, human=0.2) is S.HOLD
    assert after(monkeypatch, waiting, human=0.4) is S.REPRESENTATIVE


# --- detection's call evidence ----------------------------------------------------------------


def test_a_near_repeat_is_a_repeat() -> None:  # REPEAT_SIMILARITY
    memory = remember_line(
        DetectorMemory(),
        "Thank you for holding, your estimated wait time is now eight minutes.",
        person=False,
        noisy=False,
        at=T0,
    )
    again = gather(
        "Thank you for holding, your estimated wait time is now seven minutes.", 0.9, T0 + timedelta(seconds=60), memory
    )
    assert again.repeat, "a queue reading out a new wait time is the same recording"
    other = gather("Your account balance is eight dollars.", 0.9, T0 + timedelta(seconds=60), memory)
    assert not other.repeat


def test_clear_speech() -> None:  # CLEAR (and LOW_CONFIDENCE below it)
    line = probabilities(human=0.5)
    assert call_inputs(line, evidence(confidence=0.7), is_final=True)["unclear"] == 1.0
    assert call_inputs(line, evidence(confidence=0.85), is_final=True)["unclear"] == 0.0


def test_silence_before_a_line() -> None:  # SILENCE_SECONDS
    line = probabilities(human=0.5)
    assert call_inputs(line, evidence(silence_before=10.0), is_final=True)["after_silence"] == 0.0
    assert call_inputs(line, evidence(silence_before=25.0), is_final=True)["after_silence"] == 1.0


def test_noise_nearby() -> None:  # NOISE_NEIGHBOURHOOD_SECONDS
    noisy = DetectorMemory(last_speech_at=T0, last_noise_at=T0)
    assert gather("Hello?", 0.9, T0 + timedelta(seconds=10), noisy).after_noise
    assert not gather("Hello?", 0.9, T0 + timedelta(seconds=60), noisy).after_noise


def test_how_much_the_call_remembers() -> None:  # MAX_REMEMBERED
    memory = DetectorMemory()
    for number in range(200):
        memory = remember_line(memory, f"announcement number {number} of the queue", person=False, noisy=False, at=T0)
    assert 20 <= len(memory.heard) <= 100, "enough for a long queue loop, bounded per call"


def test_the_line_logit_is_clipped() -> None:  # LOGIT_CLIP
    sure = call_inputs(probabilities(human=1.0), evidence(), is_final=True)["line_human_logit"]
    assert 5.0 <= sure <= 12.0, "one word the model is sure of must not outweigh every call fact"


def test_an_opening_is_short() -> None:  # MAX_GREETING_WORDS
    assert judge("Thank you for calling Acme, this is Dana speaking.").evidence.greeting_only
    # Openings, every word of it, but too long to be only an opening: something else is said.
    rambling = "Hi, hello, good morning, yes, hello, this is Dana, thank you for calling the Acme front desk."
    assert not judge(rambling).evidence.greeting_only


# --- what a session keeps, and what the agent is told ------------------------------------------


def test_what_a_session_keeps() -> None:  # MAX_TRANSCRIPT_LINES, MAX_NOTES, MAX_HISTORY, MAX_COMMANDS
    from hold_agent.core import session as session_module

    # Enough for an hour on hold (a line every 10-20 s), and bounded so a hostile call cannot
    # grow memory without end.
    assert 100 <= session_module.MAX_TRANSCRIPT_LINES <= 500
    assert 100 <= session_module.MAX_NOTES <= 500
    assert 50 <= session_module.MAX_HISTORY <= 300
    assert 100 <= session_module.MAX_COMMANDS <= 500


def test_the_representative_is_told_the_last_few_lines() -> None:  # REPRESENTATIVE_HISTORY_LINES
    lines = [
        TranscriptLine(at=T0 + timedelta(seconds=n), text=f"line {n}", heard_in=S.REPRESENTATIVE) for n in range(100)
    ]
    told = speech.representative_lines(session(S.REPRESENTATIVE, transcript=lines))
    assert 5 <= len(told) <= 30 and told[-1].text == "line 99"


def test_keys_per_press() -> None:  # MAX_DTMF_LENGTH
    assert normalize_dtmf("1234567890" * 2) == "1234567890" * 2
    with pytest.raises(DtmfRefused):
        normalize_dtmf("1" * 100)


def test_how_far_a_webhook_time_is_believed() -> None:  # MAX_CLOCK_SKEW_SECONDS
    from hold_agent.core.events import CallAnswered

    start = session(S.DIALING, answered_at=None, transcribing=False)
    # A simulator's scaled clock hours ahead is believed; two days ahead is no time at all.
    hours = machine.step(start, CallAnswered(call_control_id="v3:call", at=T0 + timedelta(hours=3)), T0).session
    assert hours.answered_at == T0 + timedelta(hours=3)
    days = machine.step(start, CallAnswered(call_control_id="v3:call", at=T0 + timedelta(days=2)), T0).session
    assert days.answered_at == T0 and any("our clock used" in note.text for note in days.notes)
