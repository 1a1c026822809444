"""The state machine, driven with no I/O: a table of (state, event) -> (state, commands)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hold_agent.core import machine
from hold_agent.core.commands import StartAssistant
from hold_agent.core.events import (
    AssistantStartFailed,
    CallAnswered,
    CallDialed,
    CommandSettled,
    DialFailed,
    DtmfRequested,
    EndRequested,
    Event,
    HangupReceived,
    HoldSignalled,
    TimeElapsed,
    TranscriptHeard,
    UnholdSignalled,
)
from hold_agent.core.session import MAX_TRANSCRIPT_LINES, CallPolicy, CallSession, CallState

T0 = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
CALL = "v3:test-call"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_session(state: CallState = CallState.DIALING, **fields: Any) -> CallSession:
    base: dict[str, Any] = {
        "session_id": "s1",
        "call_control_id": CALL if state is not CallState.DIALING else None,
        "to": "+15551234567",
        "target_company": "Willow Creek Hotel",
        "objective": "book a room for Friday",
        "context": {"guest_name": "Alex Morgan", "party_size": 2},
        "created_at": T0,
        "updated_at": T0,
        "state": state,
    }
    if state is CallState.IVR:
        base.update(assistant="ivr", transcribing=True, answered_at=T0)
    if state is CallState.HOLD:
        base.update(transcribing=True, hold_started_at=T0, hold_count=1, answered_at=T0)
    if state is CallState.REPRESENTATIVE:
        base.update(assistant="representative", transcribing=True, representative_at=T0, answered_at=T0)
    base.update(fields)
    return CallSession(**base)


def final(text: str, **kwargs: Any) -> TranscriptHeard:
    return TranscriptHeard(text=text, is_final=True, **kwargs)


def interim(text: str) -> TranscriptHeard:
    return TranscriptHeard(text=text, is_final=False)


S = CallState
TABLE: list[tuple[str, CallState, dict[str, Any], Event, CallState, list[str], str | None]] = [
    (
        "answer starts the IVR assistant and transcription",
        S.DIALING,
        {},
        CallAnswered(call_control_id=CALL),
        S.IVR,
        ["ai_assistant_start", "transcription_start"],
        None,
    ),
    (
        "answer without IVR transcription",
        S.DIALING,
        {"policy": CallPolicy(transcribe_during_ivr=False)},
        CallAnswered(call_control_id=CALL),
        S.IVR,
        ["ai_assistant_start"],
        None,
    ),
    ("dial failure ends the call", S.DIALING, {}, DialFailed(reason="HTTP 422"), S.ENDED, [], None),
    ("busy line ends the call", S.DIALING, {}, HangupReceived(cause="user_busy", source="callee"), S.ENDED, [], None),
    ("no keys before answer", S.DIALING, {}, DtmfRequested(digits="1"), S.DIALING, [], "not_applicable"),
    ("keys in the IVR", S.IVR, {}, DtmfRequested(digits="1"), S.IVR, ["send_dtmf"], None),
    ("bad keys are refused", S.IVR, {}, DtmfRequested(digits="1x"), S.IVR, [], "invalid_digits"),
    (
        "hold tool stops the assistant",
        S.IVR,
        {},
        HoldSignalled(source="tool", confidence=0.9),
        S.HOLD,
        ["ai_assistant_stop"],
        None,
    ),
    (
        "hold starts transcription if it was off",
        S.IVR,
        {"transcribing": False},
        HoldSignalled(source="call.hold"),
        S.HOLD,
        ["ai_assistant_stop", "transcription_start"],
        None,
    ),
    (
        "an unsure hold report is not acted on",
        S.IVR,
        {},
        HoldSignalled(source="tool", confidence=0.2),
        S.IVR,
        [],
        "low_confidence",
    ),
    (
        "hold language in the IVR means hold",
        S.IVR,
        {},
        final("Please hold, your call is important to us."),
        S.HOLD,
        ["ai_assistant_stop"],
        None,
    ),
    (
        "interim hold language decides nothing",
        S.IVR,
        {},
        interim("please hold your call is important"),
        S.IVR,
        [],
        None,
    ),
    (
        "a menu is not hold",
        S.IVR,
        {},
        final("For reservations, press 1. For the front desk, press 2."),
        S.IVR,
        [],
        None,
    ),
    (
        "unhold brings the representative assistant",
        S.HOLD,
        {},
        UnholdSignalled(),
        S.REPRESENTATIVE,
        ["ai_assistant_start"],
        None,
    ),
    (
        "a person's greeting ends hold",
        S.HOLD,
        {},
        final("Thanks for holding, this is Sarah with reservations."),
        S.REPRESENTATIVE,
        ["ai_assistant_start"],
        None,
    ),
    (
        "a hold announcement that thanks us is still hold",
        S.HOLD,
        {},
        final("Thank you for holding. All of our representatives are still assisting other callers."),
        S.HOLD,
        [],
        None,
    ),
    ("'thank you for holding' alone is not a person", S.HOLD, {}, final("Thank you for holding."), S.HOLD, [], None),
    ("an interim greeting decides nothing", S.HOLD, {}, interim("hi this is sarah"), S.HOLD, [], None),
    ("no keys on hold", S.HOLD, {}, DtmfRequested(digits="1"), S.HOLD, [], "not_applicable"),
    ("unhold while on hold only", S.IVR, {}, UnholdSignalled(), S.IVR, [], "not_applicable"),
    (
        "the representative assistant may press keys",
        S.REPRESENTATIVE,
        {},
        DtmfRequested(digits="12345#"),
        S.REPRESENTATIVE,
        ["send_dtmf"],
        None,
    ),
    (
        "put back on hold by the far end",
        S.REPRESENTATIVE,
        {},
        HoldSignalled(source="call.hold"),
        S.HOLD,
        ["ai_assistant_stop"],
        None,
    ),
    (
        "end-call with a person hangs up: completed",
        S.REPRESENTATIVE,
        {},
        EndRequested(reason="booked"),
        S.ENDED,
        ["hangup"],
        None,
    ),
    ("end-call in the IVR hangs up too", S.IVR, {}, EndRequested(reason="wrong number"), S.ENDED, ["hangup"], None),
    (
        "the far end hangs up on hold",
        S.HOLD,
        {},
        HangupReceived(cause="normal_clearing", source="callee"),
        S.ENDED,
        [],
        None,
    ),
    ("ended: answer restarts nothing", S.ENDED, {}, CallAnswered(call_control_id=CALL), S.ENDED, [], "call_ended"),
    ("ended: speech restarts nothing", S.ENDED, {}, final("Hi, this is Sarah."), S.ENDED, [], "call_ended"),
    ("ended: hold restarts nothing", S.ENDED, {}, HoldSignalled(source="call.hold"), S.ENDED, [], "call_ended"),
    ("ended: end-call again does nothing", S.ENDED, {}, EndRequested(), S.ENDED, [], "call_ended"),
    (
        "ended: a second hangup is recorded only",
        S.ENDED,
        {},
        HangupReceived(cause="normal_clearing"),
        S.ENDED,
        [],
        None,
    ),
]


@pytest.mark.parametrize(
    ("start", "fields", "event", "expected_state", "expected_actions", "refusal"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_transition_table(
    start: CallState,
    fields: dict[str, Any],
    event: Event,
    expected_state: CallState,
    expected_actions: list[str],
    refusal: str | None,
) -> None:
    session = new_session(start, **fields)
    before = session.model_dump()
    result = machine.step(session, event, at(30))
    assert result.session.state is expected_state
    assert [command.action for command in result.commands] == expected_actions
    assert result.refusal == refusal
    assert session.model_dump() == before, "step must not change the session it was given"


def test_outcomes() -> None:
    def outcome_of(state: CallState, event: Event) -> str | None:
        return machine.step(new_session(state), event, at(1)).session.outcome

    assert outcome_of(S.DIALING, DialFailed(reason="x")) == "dial_failed"
    assert outcome_of(S.REPRESENTATIVE, EndRequested(reason="done")) == "completed"
    assert outcome_of(S.IVR, EndRequested(reason="wrong number")) == "ended_by_agent"
    assert outcome_of(S.HOLD, HangupReceived(cause="normal_clearing", source="callee")) == "hung_up_by_company"
    assert outcome_of(S.DIALING, HangupReceived(cause="user_busy")) == "busy"
    assert outcome_of(S.DIALING, HangupReceived(cause="call_rejected")) == "rejected"
    assert outcome_of(S.DIALING, HangupReceived(cause="timeout")) == "no_answer"


@pytest.mark.parametrize(
    ("cause", "source", "state", "outcome"),
    [
        ("normal_clearing", "callee", S.REPRESENTATIVE, "hung_up_by_company"),
        ("normal_clearing", "caller", S.REPRESENTATIVE, "completed"),
        ("normal_clearing", "caller", S.IVR, "hung_up_by_agent"),
        ("normal_clearing", None, S.IVR, "hung_up"),
        ("no_answer", "callee", S.DIALING, "no_answer"),
        ("not_found", None, S.DIALING, "invalid_number"),
        ("time_limit", None, S.HOLD, "time_limit"),
        ("originator_cancel", "caller", S.DIALING, "cancelled"),
        ("unspecified", None, S.IVR, "failed"),
        (None, None, S.IVR, "failed"),
        ("something_new", None, S.IVR, "failed"),
    ],
)
def test_hangup_outcome(cause: str | None, source: str | None, state: CallState, outcome: str) -> None:
    assert machine.hangup_outcome(cause, source, state) == outcome


def test_representative_assistant_gets_what_the_model_reads() -> None:
    session = new_session(S.HOLD, hold_started_at=at(0))
    session = machine.step(session, final("Thank you for holding, your call is important to us."), at(60)).session
    result = machine.step(session, final("Hi, thanks for holding, this is Sarah with reservations."), at(312))
    (start,) = result.commands
    assert isinstance(start, StartAssistant) and start.role == "representative"
    variables = start.dynamic_variables
    assert variables["objective"] == "book a room for Friday"
    assert variables["target_company"] == "Willow Creek Hotel"
    assert variables["hold_seconds"] == 312
    assert variables["guest_name"] == "Alex Morgan" and variables["party_size"] == 2
    assert "Alex Morgan" in variables["approved_context"]
    assert "this is Sarah" in variables["recent_transcript"]
    roles = [role for role, _ in start.message_history]
    assert roles[0] == "system" and "user" in roles
    briefing = start.message_history[0][1]
    assert "book a room for Friday" in briefing and "5.2 minutes" in briefing and "Alex Morgan" in briefing
    # The hold announcement is not passed off as the representative's words.
    assert all("important to us" not in content for _, content in start.message_history)
    assert start.greeting and "book a room for Friday" in start.greeting
    assert result.session.hold_seconds_total == pytest.approx(312)


def test_hold_time_accumulates_across_a_second_hold() -> None:
    session = new_session(S.IVR)
    session = machine.step(session, HoldSignalled(source="call.hold", at=at(10)), at(10)).session
    session = machine.step(session, UnholdSignalled(at=at(70)), at(70)).session
    assert session.hold_seconds_total == pytest.approx(60)
    session = machine.step(session, HoldSignalled(source="call.hold", at=at(100)), at(100)).session
    assert session.hold_seconds(at(130)) == pytest.approx(90)
    result = machine.step(session, UnholdSignalled(at=at(160)), at(160))
    assert result.session.hold_seconds_total == pytest.approx(120)
    assert result.session.hold_count == 2
    (start,) = result.commands
    assert isinstance(start, StartAssistant)
    assert start.dynamic_variables["hold_seconds"] == 120
    assert start.greeting == "Thanks, I'm still here."


def test_hold_time_uses_telnyx_clock_not_arrival() -> None:
    session = new_session(S.IVR)
    # Both webhooks arrive late, together, at t=500; they happened at t=100 and t=400.
    session = machine.step(session, HoldSignalled(source="call.hold", at=at(100)), at(500)).session
    session = machine.step(session, UnholdSignalled(at=at(400)), at(500)).session
    assert session.hold_seconds_total == pytest.approx(300)


def test_late_webhook_does_not_move_the_call() -> None:
    session = new_session(S.IVR)
    session = machine.step(session, HoldSignalled(source="call.hold", at=at(100)), at(100)).session
    # An unhold that happened before the hold arrives afterwards: stale news.
    result = machine.step(session, UnholdSignalled(at=at(90)), at(101))
    assert result.session.state is S.HOLD
    assert result.commands == []
    assert result.refusal == "late"
    assert "late" in result.session.notes[-1].text


def test_transcript_is_kept_in_telnyx_order_and_interims_are_not_stored() -> None:
    session = new_session(S.HOLD)
    session = machine.step(session, final("second", at=at(20)), at(21)).session
    session = machine.step(session, final("first", at=at(10)), at(22)).session
    session = machine.step(session, interim("never stored"), at(23)).session
    assert [line.text for line in session.transcript] == ["first", "second"]


def test_transcript_is_capped() -> None:
    session = new_session(S.HOLD)
    for index in range(MAX_TRANSCRIPT_LINES + 50):
        session = machine.step(session, final(f"music {index}", at=at(index)), at(index)).session
    assert len(session.transcript) == MAX_TRANSCRIPT_LINES
    assert session.transcript[-1].text == f"music {MAX_TRANSCRIPT_LINES + 49}"


def test_command_ids_are_unique_and_name_session_and_action() -> None:
    session = new_session(S.DIALING)
    ids: list[str] = []
    for event in (
        CallAnswered(call_control_id=CALL),
        DtmfRequested(digits="1"),
        HoldSignalled(source="call.hold"),
        UnholdSignalled(),
        EndRequested(reason="done"),
    ):
        result = machine.step(session, event, at(1))
        session = result.session
        ids += [command.command_id for command in result.commands]
    assert len(ids) == len(set(ids)) == 6
    assert all(command_id.startswith("s1-") for command_id in ids)
    assert ids[0].endswith("ai_assistant_start") and ids[-1].endswith("hangup")
    assert [record.command_id for record in session.commands] == ids


def test_a_call_cancelled_before_dial_returns_is_hung_up_when_named() -> None:
    session = new_session(S.DIALING, call_control_id=None)
    ended = machine.step(session, EndRequested(reason="changed my mind"), at(1))
    assert ended.session.state is S.ENDED and ended.commands == []
    named = machine.step(ended.session, CallDialed(call_control_id=CALL), at(2))
    assert [command.action for command in named.commands] == ["hangup"]
    assert named.session.call_control_id == CALL
    again = machine.step(named.session, CallDialed(call_control_id=CALL), at(3))
    assert again.commands == []


def test_failed_assistant_start_is_retried_once_then_the_call_is_given_up() -> None:
    session = new_session(S.DIALING)
    result = machine.step(session, CallAnswered(call_control_id=CALL), at(1))
    first_id = result.commands[0].command_id
    retried = machine.step(result.session, CommandSettled(command_id=first_id, ok=False, detail="HTTP 422"), at(2))
    record = retried.session.command(first_id)
    assert record is not None and record.status == "failed" and record.result == "HTTP 422"
    (retry,) = retried.commands
    assert isinstance(retry, StartAssistant) and retry.role == "ivr" and retry.command_id != first_id
    assert retried.session.state is S.IVR and retried.session.assistant == "ivr"
    given_up = machine.step(
        retried.session, CommandSettled(command_id=retry.command_id, ok=False, detail="HTTP 422"), at(3)
    )
    assert [c.action for c in given_up.commands] == ["hangup"]
    assert given_up.session.state is S.ENDED and given_up.session.outcome == "assistant_failed"


def test_start_failed_webhook_retries_then_hangs_up() -> None:
    session = new_session(S.IVR, assistant_command_id="s1-1-ai_assistant_start")
    once = machine.step(session, AssistantStartFailed(reason="service_error", stage=S.IVR), at(1))
    assert [c.action for c in once.commands] == ["ai_assistant_start"]
    assert "retrying" in once.session.notes[-1].text and "service_error" in once.session.notes[-1].text
    twice = machine.step(once.session, AssistantStartFailed(reason="service_error", stage=S.IVR), at(2))
    assert [c.action for c in twice.commands] == ["hangup"]
    assert twice.session.outcome == "assistant_failed"


def test_start_failed_for_an_earlier_stage_is_stale() -> None:
    session = new_session(S.REPRESENTATIVE)
    result = machine.step(session, AssistantStartFailed(reason="invalid_request", stage=S.IVR), at(1))
    assert result.commands == [] and result.refusal == "stale"
    assert result.session.state is S.REPRESENTATIVE


def test_a_representative_start_failure_is_retried_with_the_task() -> None:
    session = new_session(S.HOLD)
    picked_up = machine.step(session, UnholdSignalled(at=at(60)), at(60))
    failed = machine.step(
        picked_up.session, AssistantStartFailed(reason="service_error", stage=S.REPRESENTATIVE), at(61)
    )
    (retry,) = failed.commands
    assert isinstance(retry, StartAssistant) and retry.role == "representative"
    assert retry.dynamic_variables["objective"] == "book a room for Friday" and retry.greeting


def test_a_command_on_a_vanished_call_ends_the_session() -> None:
    session = new_session(S.DIALING)
    result = machine.step(session, CallAnswered(call_control_id=CALL), at(1))
    gone = machine.step(
        result.session,
        CommandSettled(
            command_id=result.commands[1].command_id,
            ok=False,
            detail="HTTP 422: Call has already ended",
            call_gone=True,
        ),
        at(2),
    )
    assert gone.session.state is S.ENDED and gone.session.outcome == "disconnected"
    # A 404 may mean something else was not found: hang up anyway, so no line is left open.
    assert [c.action for c in gone.commands] == ["hangup"]
    hangup_id = gone.commands[0].command_id
    hangup_gone = machine.step(
        gone.session, CommandSettled(command_id=hangup_id, ok=False, detail="404", call_gone=True), at(3)
    )
    assert hangup_gone.commands == []


def test_the_hangup_webhook_racing_a_call_gone_refusal_says_why_it_ended() -> None:
    session = new_session(S.DIALING)
    answered = machine.step(session, CallAnswered(call_control_id=CALL), at(1))
    refused = CommandSettled(command_id=answered.commands[1].command_id, ok=False, detail="HTTP 422", call_gone=True)
    gone = machine.step(answered.session, refused, at(2))
    assert gone.session.outcome == "disconnected"
    told = machine.step(gone.session, HangupReceived(cause="normal_clearing", source="callee"), at(3))
    assert told.session.state is S.ENDED and told.session.outcome == "hung_up_by_company"
    assert told.commands == []
    # An outcome we knew already is never rewritten by a later hangup.
    again = machine.step(told.session, HangupReceived(cause="user_busy", source="callee"), at(4))
    assert again.session.outcome == "hung_up_by_company"


@pytest.mark.parametrize(
    ("state", "seconds", "outcome"),
    [
        (S.IVR, 600, "ivr_timeout"),
        (S.HOLD, 3600, "hold_timeout"),
        (S.REPRESENTATIVE, 7200, "call_timeout"),
        (S.DIALING, 7200, "call_timeout"),
    ],
)
def test_watchdogs(state: CallState, seconds: float, outcome: str) -> None:
    policy = CallPolicy(max_ivr_seconds=600, max_hold_seconds=3600, max_call_seconds=7200)
    session = new_session(state, policy=policy, call_control_id=CALL)
    before = machine.step(session, TimeElapsed(), at(seconds - 1))
    assert before.session.state is state and before.commands == []
    after = machine.step(session, TimeElapsed(), at(seconds))
    assert after.session.state is S.ENDED and after.session.outcome == outcome
    assert [c.action for c in after.commands] == ["hangup"]


def test_hold_watchdog_counts_every_hold_of_the_call() -> None:
    policy = CallPolicy(max_hold_seconds=100)
    session = new_session(S.HOLD, policy=policy, hold_seconds_total=80, hold_started_at=at(0))
    assert machine.overdue(session, at(19)) is None
    assert machine.overdue(session, at(20)) == ("hold_timeout", "on hold for 100 s in all")


def test_watchdogs_can_be_off() -> None:
    session = new_session(S.HOLD, policy=CallPolicy())
    assert machine.overdue(session, at(10**7)) is None


def test_history_records_every_transition_with_a_reason() -> None:
    session = new_session(S.DIALING)
    for event in (
        CallAnswered(call_control_id=CALL),
        HoldSignalled(source="hold-detected tool", reason="music"),
        final("Hello, this is Dana in billing, how can I help you?"),
        EndRequested(reason="done"),
    ):
        session = machine.step(session, event, at(1)).session
    moves = [(t.from_state.value, t.to_state.value) for t in session.history]
    assert moves == [("dialing", "ivr"), ("ivr", "hold"), ("hold", "representative"), ("representative", "ended")]
    assert "music" in session.history[1].why and "Dana" in session.history[2].why


def test_a_call_placed_after_its_dial_failed_is_hung_up() -> None:
    """The dial timed out on our side but Telnyx placed the call anyway."""
    session = new_session(S.DIALING, call_control_id=None)
    failed = machine.step(session, DialFailed(reason="no answer within 2 s"), at(1)).session
    answered = machine.step(failed, CallAnswered(call_control_id=CALL), at(5))
    assert [c.action for c in answered.commands] == ["hangup"]
    assert answered.session.state is S.ENDED and answered.session.outcome == "dial_failed"
    again = machine.step(answered.session, CallAnswered(call_control_id=CALL), at(6))
    assert again.commands == []


def test_a_late_start_failure_does_not_touch_the_current_assistant() -> None:
    session = new_session(S.IVR)
    session = machine.step(session, HoldSignalled(source="call.hold", at=at(100)), at(100)).session
    session = machine.step(session, UnholdSignalled(at=at(200)), at(200)).session
    late = machine.step(session, AssistantStartFailed(reason="service_error", at=at(50)), at(201))
    assert late.refusal == "late" and late.session.assistant == "representative"
    put_back = machine.step(late.session, final("Can you please hold while I check availability?", at=at(210)), at(210))
    assert [c.action for c in put_back.commands] == ["ai_assistant_stop"]


@pytest.mark.parametrize(
    "text",
    [
        "Okay, thanks for holding. I found a room for Friday.",
        "Thanks for waiting, I have that booked.",
        "Alright, I'm back.",
    ],
)
def test_the_representative_coming_back_from_their_own_hold(text: str) -> None:
    session = new_session(S.HOLD)
    session = machine.step(session, UnholdSignalled(at=at(60)), at(60)).session
    session = machine.step(session, final("Let me put you on hold for a moment.", at=at(90)), at(90)).session
    assert session.state is S.HOLD
    back = machine.step(session, final(text, at=at(150)), at(150))
    assert back.session.state is S.REPRESENTATIVE
    (start,) = back.commands
    assert isinstance(start, StartAssistant) and start.greeting == "Thanks, I'm still here."
    assert any("put you on hold" in content for _, content in start.message_history)


def test_a_false_pickup_recovers_when_the_queue_talks_again() -> None:
    session = new_session(S.HOLD)
    session = machine.step(session, final("Hello?", at=at(10)), at(10)).session  # a lyric, say
    assert session.state is S.REPRESENTATIVE
    back = machine.step(session, final("Thank you for holding. All of our agents are still busy.", at=at(30)), at(30))
    assert back.session.state is S.HOLD
    assert [c.action for c in back.commands] == ["ai_assistant_stop"]
    assert "false alarm" in back.session.history[-1].why


def test_a_confirmed_person_talking_about_waits_stays_on_the_line() -> None:
    session = new_session(S.HOLD)
    session = machine.step(session, final("Hello? This is Dana in billing.", at=at(10)), at(10)).session
    session = machine.step(session, final("How can I help you today?", at=at(12)), at(12)).session
    talk = machine.step(session, final("Our wait time for refunds is about five days.", at=at(20)), at(20))
    assert talk.session.state is S.REPRESENTATIVE and talk.commands == []


def test_events_without_a_time_are_placed_on_telnyx_clock() -> None:
    """Telnyx's clock runs 1000 s ahead of ours (skew, or a simulator's scaled time): a
    tool call's hold must start on that clock, or hold time would come out wrong."""
    session = new_session(S.DIALING)
    ahead = timedelta(seconds=1000)
    session = machine.step(session, CallAnswered(call_control_id=CALL, at=at(1000)), at(0)).session
    assert session.telnyx_clock_offset == pytest.approx(1000)
    session = machine.step(session, HoldSignalled(source="hold-detected tool"), at(10)).session
    assert session.hold_started_at == at(10) + ahead
    picked_up = machine.step(session, final("Hi, this is Dana in billing.", at=at(1070)), at(20)).session
    assert picked_up.hold_seconds_total == pytest.approx(60)


def test_a_delayed_webhook_does_not_pull_the_clock_back() -> None:
    session = new_session(S.DIALING)
    session = machine.step(session, CallAnswered(call_control_id=CALL, at=at(100)), at(100)).session
    session = machine.step(session, final("For billing, press 2.", at=at(90)), at(130)).session  # 40 s late
    assert session.telnyx_clock_offset == pytest.approx(0)


def test_one_moment_then_music_is_a_hold_that_began_at_one_moment() -> None:
    session = new_session(S.REPRESENTATIVE, representative_at=at(0))
    waiting = machine.step(session, final("Okay, give me one sec.", at=at(10)), at(10))
    assert waiting.session.state is S.REPRESENTATIVE and waiting.session.pending_hold_at == at(10)
    music = machine.step(waiting.session, final("oh baby", confidence=0.3, at=at(25)), at(25))
    assert music.session.state is S.HOLD and [c.action for c in music.commands] == ["ai_assistant_stop"]
    assert music.session.hold_started_at == at(10)


def test_one_moment_while_still_talking_is_only_a_pause() -> None:
    session = new_session(S.REPRESENTATIVE, representative_at=at(0))
    waiting = machine.step(session, final("One moment, I am checking.", at=at(10)), at(10)).session
    talking = machine.step(waiting, final("Okay, I see your order here, it shipped on Monday.", at=at(14)), at(14))
    assert talking.session.state is S.REPRESENTATIVE and talking.commands == []
    assert talking.session.pending_hold_at is None


def test_a_pickup_that_turns_out_to_be_a_voicemail_greeting() -> None:
    session = new_session(S.IVR)
    picked = machine.step(session, final("Hello?", at=at(2)), at(2)).session
    assert picked.state is S.REPRESENTATIVE
    greeting = machine.step(picked, final("Just kidding, leave a message after the beep!", at=at(8)), at(8))
    assert greeting.session.state is S.ENDED and greeting.session.outcome == "voicemail"
    assert [c.action for c in greeting.commands] == ["hangup"]


# --- moves made on what detection hears --------------------------------------------------------


def test_a_second_menu_after_a_transfer_restarts_the_ivr_assistant() -> None:
    session = new_session(S.HOLD)
    menu = machine.step(
        session,
        final("Please enter your account number followed by the pound sign.", confidence=0.93, at=at(300)),
        at(300),
    )
    assert menu.session.state is S.IVR
    assert [c.action for c in menu.commands] == ["ai_assistant_start"]
    start = menu.commands[0]
    assert isinstance(start, StartAssistant) and start.role == "ivr"
    assert "after 5.0 minutes on hold" in start.message_history[0][1]
    assert menu.session.hold_seconds_total == pytest.approx(300) and menu.session.menu_started_at == at(300)
    assert menu.session.history[-1].why.startswith("transcript (p(ivr)=")
    # the menu stage's watchdog counts from the new menu, not from the answer
    assert machine.overdue(menu.session.model_copy(update={"policy": CallPolicy(max_ivr_seconds=600)}), at(600)) is None


def test_a_queues_own_press_one_for_a_callback_is_not_a_new_menu() -> None:
    session = new_session(S.HOLD)
    for text in (
        "Press 1 to receive a callback and keep your place in line.",
        "To keep holding, stay on the line, or press 1 and we will call you back.",
    ):
        assert machine.step(session, final(text, confidence=0.93, at=at(60)), at(60)).session.state is S.HOLD, text


def test_a_virtual_agent_is_a_machine_however_friendly() -> None:
    for state in (S.IVR, S.HOLD):
        session = new_session(state)
        result = machine.step(
            session,
            final(
                "Hi, I'm Ava, Crestline Bank's virtual assistant. What can I help you with today?",
                confidence=0.95,
                at=at(20),
            ),
            at(20),
        )
        assert result.session.state is not S.REPRESENTATIVE, state


def test_spanish_queues_menus_and_people() -> None:
    hold = new_session(S.IVR)
    queued = machine.step(
        hold,
        final(
            "Su llamada es muy importante para nosotros. Por favor, permanezca en la línea.", confidence=0.9, at=at(10)
        ),
        at(10),
    )
    assert queued.session.state is S.HOLD
    person = machine.step(
        queued.session,
        final("Buenas tardes, le atiende María, ¿en qué puedo ayudarle?", confidence=0.92, at=at(200)),
        at(200),
    )
    assert person.session.state is S.REPRESENTATIVE
    menu = machine.step(new_session(S.IVR), final("Para español, oprima dos.", confidence=0.9, at=at(5)), at(5))
    assert menu.session.state is S.IVR and menu.commands == []


def test_a_person_who_starts_mid_task_after_a_transfer_is_noticed() -> None:
    session = new_session(S.HOLD)
    for text in (
        "Can I get the last four digits of the card on file?",
        "Yes, hello?",
        "Okay, and what's the date of birth on the account?",
    ):
        assert (
            machine.step(session, final(text, confidence=0.9, at=at(120)), at(120)).session.state is S.REPRESENTATIVE
        ), text


def test_a_representative_asking_us_to_hold_puts_us_on_hold() -> None:
    session = new_session(S.REPRESENTATIVE)
    held = machine.step(
        session, final("Can you hold for just a second while I check?", confidence=0.9, at=at(30)), at(30)
    )
    assert held.session.state is S.HOLD and [c.action for c in held.commands] == ["ai_assistant_stop"]
    # Once they have spoken with us, a person talking about waits is not a queue.
    spoke = machine.step(
        session, final("Sure, I can help with that refund.", confidence=0.92, at=at(20)), at(20)
    ).session
    talk = machine.step(
        spoke, final("The estimated wait time for a refund is about five days.", confidence=0.9, at=at(30)), at(30)
    )
    assert talk.session.state is S.REPRESENTATIVE


def test_voicemail_and_dead_ends_end_the_call_with_that_outcome() -> None:
    cases = (
        ("Please leave your message after the tone.", "voicemail"),
        ("The mailbox is full and cannot accept any new messages.", "voicemail"),
        ("Our office is currently closed. Our hours are Monday through Friday, 8 AM to 5 PM.", "closed"),
        ("The number you have dialed is not in service. Please check the number and try again.", "closed"),
    )
    for text, outcome in cases:
        for state in (S.IVR, S.HOLD):
            ended = machine.step(new_session(state), final(text, confidence=0.9, at=at(15)), at(15)).session
            assert (ended.state, ended.outcome) == (S.ENDED, outcome), (text, state)


def test_an_opening_alone_never_hangs_up_the_next_line_decides() -> None:
    # "Hello, this is the office." opens a voicemail greeting as often as a person's answer;
    # hanging up cannot be undone, so the call waits for the sentence that follows.
    for state in (S.IVR, S.HOLD):
        opening = machine.step(new_session(state), final("hello this is the office", at=at(15)), at(15))
        assert opening.session.state is not S.ENDED and "hangup" not in [c.action for c in opening.commands]
        then = machine.step(
            opening.session, final("I can't take your call, please leave a message after the tone.", at=at(18)), at(18)
        )
        assert (then.session.state, then.session.outcome) == (S.ENDED, "voicemail"), state


def test_each_line_is_recorded_with_its_probabilities() -> None:
    session = machine.step(
        new_session(S.HOLD), final("Thank you for holding.", confidence=0.9, at=at(5)), at(5)
    ).session
    line = session.transcript[-1]
    assert set(line.probabilities) == {"hold", "human", "ivr", "voicemail", "closed", "other"}
    assert sum(line.probabilities.values()) == pytest.approx(1.0, abs=0.01)
    assert line.reason and line.reason.startswith("p(")


def test_a_person_who_answers_by_asking_us_to_hold_is_not_a_false_alarm() -> None:
    session = new_session(S.REPRESENTATIVE)
    held = machine.step(session, final("Can I put you on a brief hold?", confidence=0.9, at=at(10)), at(10)).session
    assert held.state is S.HOLD
    assert "false alarm" not in held.history[-1].why


# --- the transition table is the source -------------------------------------------------------


def test_the_docstring_and_the_readme_show_the_table_as_it_is() -> None:
    from pathlib import Path

    assert machine.transition_table() in (machine.__doc__ or ""), "regenerate the docstring table"
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    shown = readme.split("<!-- state-diagram:start -->\n```mermaid\n")[1].split("\n```\n<!-- state-diagram:end -->")[0]
    assert shown == machine.state_diagram(), "regenerate the README's state diagram"


def test_a_move_the_table_does_not_allow_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def jump_to_hold(ctx: Any, event: Event) -> None:
        ctx.move(S.HOLD, "not allowed")

    rule = machine.TRANSITIONS[DtmfRequested]
    monkeypatch.setitem(machine.TRANSITIONS, DtmfRequested, machine.Rule(jump_to_hold, rule.moves))
    with pytest.raises(machine.TransitionNotInTable, match="DtmfRequested moved a call from ivr to hold"):
        machine.step(new_session(S.IVR), DtmfRequested(digits="1"), at(1))


# --- Telnyx's clock decides, not arrival order --------------------------------------------------


def _both_orders(start: CallSession, first: Event, second: Event, now: datetime) -> tuple[CallState, CallState]:
    in_order = machine.step(machine.step(start, first, now).session, second, now).session.state
    swapped = machine.step(machine.step(start, second, now).session, first, now).session.state
    return in_order, swapped


def test_an_unhold_overtaken_by_the_queue_ends_on_hold_whatever_arrives_first() -> None:
    unhold = UnholdSignalled(source="call.unhold", at=at(100))
    # Finished at 106 s, so begun at about 102 s (0.4 s a word): after the unhold.
    queue = final("Please continue to hold, your call will be answered shortly.", confidence=0.9, at=at(106))
    assert _both_orders(new_session(S.HOLD), unhold, queue, at(107)) == (S.HOLD, S.HOLD)


def test_a_hold_overtaken_by_the_person_talking_stays_with_the_person() -> None:
    hold = HoldSignalled(source="call.hold", at=at(100))
    person = final("Okay, I have your account open now, what was the date of the charge?", confidence=0.93, at=at(107))
    start = new_session(S.REPRESENTATIVE, representative_at=at(0))
    assert _both_orders(start, hold, person, at(108)) == (S.REPRESENTATIVE, S.REPRESENTATIVE)
