"""The call's state machine: `step(session, event, now) -> StepResult`. No I/O.

States: dialing -> ivr -> hold -> representative -> ended (why a call ended is `outcome`).
Every move a state can make, generated from TRANSITIONS at the bottom of this module (a test
fails when this copy differs; events not listed never change the state):

    DialFailed            dialing -> ended
    CallAnswered          dialing -> ivr
    HoldSignalled         ivr -> hold; representative -> hold
    UnholdSignalled       hold -> representative
    TranscriptHeard       ivr -> hold, representative, ended; hold -> ivr, representative, ended; representative -> hold, ended
    EndRequested          dialing -> ended; ivr -> ended; hold -> ended; representative -> ended
    HangupReceived        dialing -> ended; ivr -> ended; hold -> ended; representative -> ended
    AssistantStartFailed  dialing -> ended; ivr -> ended; hold -> ended; representative -> ended
    TimeElapsed           dialing -> ended; ivr -> ended; hold -> ended; representative -> ended
    CommandSettled        dialing -> ended; ivr -> ended; hold -> ended; representative -> ended

What the moves issue:
- answered: the IVR assistant starts (and transcription, when the policy transcribes the IVR);
- into hold: the running assistant stops and transcription starts if it is not running;
- into the representative stage: the IVR assistant stops if running, the representative
  assistant starts with the task, the wait and what was just said;
- hold -> ivr (a menu after a transfer): the IVR assistant starts again, told what happened;
- into ended by our decision (end-call, voicemail, closed, a watchdog): a hangup.

Rules:
- An event that does not apply in a state is ignored with a note, never an exception.
- Once `ended`, nothing moves the call again and no command is issued, with one exception:
  a call we ended while its dial was still in flight is hung up when Telnyx names it.
- Webhooks may arrive late. A webhook that happened (by Telnyx's `occurred_at`) before the
  webhook that caused the current state is late news: it is recorded but moves nothing.
- Every command gets a `command_id` derived from the session and a counter, so the same
  logical command keeps its id when the outbox re-sends it.
- Transcription keeps running after a person picks up. It costs transcription minutes, but
  it is how we notice a representative putting us back on hold, and it gives the session a
  record of what the company said.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from hold_agent.core import detection, speech
from hold_agent.core.commands import Command, Hangup, SendDtmf, StartAssistant, StartTranscription, StopAssistant
from hold_agent.core.detection import Label
from hold_agent.core.dtmf import DtmfRefused, normalize_dtmf
from hold_agent.core.events import (
    AssistantStartFailed,
    CallAnswered,
    CallDialed,
    CallInitiated,
    CommandSettled,
    ConversationCreated,
    ConversationEnded,
    DialFailed,
    DtmfRequested,
    EndRequested,
    Event,
    HangupReceived,
    HoldSignalled,
    ProcessingFailed,
    TimeElapsed,
    TranscriptHeard,
    UnholdSignalled,
)
from hold_agent.core.outcomes import Outcome, Refusal
from hold_agent.core.session import (
    ACTIVE_STATES,
    MAX_COMMANDS,
    MAX_HISTORY,
    MAX_NOTES,
    MAX_TRANSCRIPT_LINES,
    AssistantRole,
    CallSession,
    CallState,
    CommandRecord,
    Note,
    TranscriptLine,
    Transition,
)

# A hold-detected tool call below this confidence is noted, not acted on.
MIN_HOLD_TOOL_CONFIDENCE = 0.5
# A pickup is taken back when, within this window, no person has spoken since and the queue
# speaks again this clearly (or repeats itself).
FALSE_ALARM_WINDOW_SECONDS = 60

# What a transcript must show to move the call: the call's probability of a label (detection/
# judge.py). Chosen by tests/corpus/tune.py on the development corpus, each source judged by a
# model that never saw it (a model is surer on its own training data), by the cost of each
# mistake (tune.COSTS): a person never noticed, or a call hung up that was not a dead end, cannot
# be recovered (5); a false pickup can (2: the call goes back to hold when the queue speaks).
PERSON_ON_HOLD = 0.4  # a person picking up on hold (a false pickup is recoverable, a lost person not)
PERSON_BACK = 0.3  # a representative back from their own hold
PERSON_IN_MENU = 0.4  # a person answering in the menu stage (virtual agents sound like people)
HOLD_IN_MENU = 0.4  # queue language in the menu stage
MENU_AFTER_HOLD = 0.8  # a second menu after a transfer (queues offer "press 1" options too;
# tune.py found 0.4 cheaper by 0.0009, within noise: a move that restarts an assistant stays sure)
NOBODY_IN_MENU = 0.6  # voicemail or closed: hanging up ends the task, so be sure
NOBODY_ON_HOLD = 0.9  # queues say "you've reached" and give opening hours too
HOLD_WITH_PERSON = 0.4  # a person asking us to hold, in so many words (see asks_to_hold)
QUEUE_WITH_PERSON = 0.9  # the queue repeating itself with a person on the line
FALSE_ALARM_HOLD = 0.3  # after a pickup, the queue again, and the "person" silent since,
PERSON_SPOKE = 0.3  # ...where a line this likely theirs counts as them speaking (tune.py found 0.5
# a hair cheaper, but then "How can I help you today?" would not count: test_machine.py)
STILL_TALKING = 0.3  # after "one moment", a line this likely a person means they went on talking
# A queue's own options ("press 1 to keep your place and get a call back") are not a new menu.
_CALLBACK_OFFER = re.compile(
    r"\b(?:call ?back|return call|keep your place|hold your place|stay on the line|continue (?:to )?hold)"
)
# An assistant that fails to start this many times in a row ends the call.
MAX_ASSISTANT_START_FAILURES = 2
# How far a webhook's time may be from our clock (ahead, or before the call was placed) and
# still be believed. Telnyx's clock agrees with ours within seconds, but a simulator's scaled
# clock runs minutes or hours ahead (tests/core/test_machine.py); past a day it is no time at
# all, and a year-9999 time would overflow the call's arithmetic.
MAX_CLOCK_SKEW_SECONDS = 86_400
SECONDS_PER_WORD = 0.4  # how long a transcribed word took to say, roughly


class StepResult(NamedTuple):
    session: CallSession
    commands: list[Command]
    # Short and speakable: tool endpoints hand it to the assistant as is.
    message: str
    # Why the event was not acted on ("not_applicable", "call_ended", "invalid_digits",
    # "low_confidence", "late", ...), or None when it was.
    refusal: Refusal | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


class _Step:
    """The mutable scratchpad of one step: a private copy of the session plus outputs."""

    def __init__(self, session: CallSession, event: Event, now: datetime) -> None:
        self.s = session
        self.event = event
        self.now = now
        if event.at is not None:
            offset = (event.at - now).total_seconds()
            previous = session.telnyx_clock_offset
            session.telnyx_clock_offset = offset if previous is None else max(previous, offset)
            self.at = event.at
        else:
            self.at = session.telnyx_now(now)
        self.commands: list[Command] = []
        self.message = ""
        self.refusal: Refusal | None = None

    @property
    def late(self) -> bool:
        signal = self.s.state_signal_at
        return self.event.at is not None and signal is not None and self.event.at < signal

    @property
    def overtaken(self) -> bool:
        """A hold or unhold signal that happened before a line confirming the current state."""
        confirmed = self.s.state_confirmed_at
        return self.event.at is not None and confirmed is not None and self.event.at < confirmed

    def note(self, text: str) -> None:
        self.s.notes.append(Note(at=self.at, text=text))
        del self.s.notes[:-MAX_NOTES]

    def reply(self, message: str, refusal: Refusal | None = None) -> None:
        self.message, self.refusal = message, refusal

    def ignore(self, refusal: Refusal, why: str, message: str | None = None) -> None:
        self.note(f"ignored {type(self.event).__name__}: {why}")
        self.reply(message or f"Ignored: {why}.", refusal)

    def move(self, to: CallState, why: str) -> None:
        self.s.history.append(Transition(at=self.at, from_state=self.s.state, to_state=to, why=why))
        del self.s.history[:-MAX_HISTORY]
        self.s.state = to
        self.s.state_confirmed_at = None
        if self.event.at is not None:
            self.s.state_signal_at = self.event.at

    def issue(self, kind: type[Command], summary: str = "", **fields: Any) -> Command:
        self.s.command_seq += 1
        command_id = f"{self.s.session_id}-{self.s.command_seq}-{kind.action}"
        command = kind(command_id=command_id, stage=self.s.state, **fields)
        self.s.commands.append(
            CommandRecord(
                command_id=command_id,
                action=command.action,
                stage=self.s.state,
                summary=summary,
                issued_at=self.now,
            )
        )
        del self.s.commands[:-MAX_COMMANDS]
        self.commands.append(command)
        return command


def step(session: CallSession, event: Event, now: datetime) -> StepResult:
    """Apply one event to a copy of `session`; return the copy and the commands to send."""
    absurd = _absurd_time(session, event, now)
    if absurd is not None:
        event = dataclasses.replace(event, at=None)
    ctx = _Step(session.model_copy(deep=True), event, now)
    ctx.s.updated_at = now
    if absurd is not None:
        ctx.note(absurd)
    rule = TRANSITIONS[type(event)]
    start = ctx.s.state
    if start is CallState.ENDED and CallState.ENDED not in rule.moves:
        ctx.ignore(Refusal.CALL_ENDED, "the call has already ended", "The call has already ended.")
    elif start not in rule.moves:
        ctx.ignore(Refusal.NOT_APPLICABLE, f"not applicable while {start.value}", speech.not_now_message(event, start))
    else:
        rule.handler(ctx, event)
        if ctx.s.state not in rule.moves[start]:
            raise TransitionNotInTable(f"{type(event).__name__} moved a call from {start} to {ctx.s.state}")
    return StepResult(ctx.s, ctx.commands, ctx.message, ctx.refusal)


class TransitionNotInTable(AssertionError):
    """A handler moved a call where TRANSITIONS says it cannot go: a bug in this module."""


# --- handlers -----------------------------------------------------------------------------


def _absurd_time(session: CallSession, event: Event, now: datetime) -> str | None:
    """Why the event's Telnyx time cannot be true, or None. Such a time is replaced by our
    clock: in arithmetic, a year-9999 `occurred_at` breaks every later sum for the call."""
    if event.at is None:
        return None
    if event.at > now + timedelta(seconds=MAX_CLOCK_SKEW_SECONDS):
        return f"{type(event).__name__} claimed occurred_at {event.at.isoformat()}, in the future; our clock used"
    if event.at < session.created_at - timedelta(seconds=MAX_CLOCK_SKEW_SECONDS):
        return f"{type(event).__name__} claimed occurred_at {event.at.isoformat()}, before the call; our clock used"
    return None


def _on_dialed(ctx: _Step, event: CallDialed) -> None:
    _adopt_call_ids(ctx, event.call_control_id, event.call_leg_id, event.call_session_id)
    if ctx.s.state is CallState.ENDED:
        _hang_up_orphan(ctx)
    ctx.reply("Dialing.")


def _hang_up_orphan(ctx: _Step) -> None:
    """Telnyx names a live call for a session we already ended (cancelled while the dial
    was in flight, or a dial we gave up on that went through after all): hang it up once."""
    ended_while_dialing = bool(ctx.s.history) and ctx.s.history[-1].from_state is CallState.DIALING
    if (
        ended_while_dialing
        and ctx.s.hangup_cause is None
        and not _hangup_issued(ctx.s)
        and ctx.s.call_control_id is not None
    ):
        ctx.issue(Hangup, summary="the call exists but its session had already ended", reason="orphan")
        ctx.note("hung up a call that Telnyx placed after its session had ended")


def _on_dial_failed(ctx: _Step, event: DialFailed) -> None:
    _end(ctx, Outcome.DIAL_FAILED, f"dial failed: {event.reason}")
    ctx.reply(f"The call could not be placed: {event.reason}")


def _on_initiated(ctx: _Step, event: CallInitiated) -> None:
    _adopt_call_ids(ctx, event.call_control_id)
    if ctx.s.state is CallState.ENDED:
        _hang_up_orphan(ctx)
        ctx.reply("The call has already ended.", Refusal.CALL_ENDED)
        return
    ctx.note("Telnyx reports the call is ringing")
    ctx.reply("Ringing.")


def _on_answered(ctx: _Step, event: CallAnswered) -> None:
    _adopt_call_ids(ctx, event.call_control_id)
    if ctx.s.state is CallState.ENDED:
        _hang_up_orphan(ctx)
        ctx.ignore(Refusal.CALL_ENDED, "the call has already ended", "The call has already ended.")
        return
    ctx.s.answered_at = ctx.at
    ctx.move(CallState.IVR, "call answered")
    _start_assistant(ctx, "ivr")
    if ctx.s.policy.transcribe_during_ivr:
        _ensure_transcription(ctx)
    ctx.reply("Call answered; the IVR assistant is starting.")


def _on_dtmf(ctx: _Step, event: DtmfRequested) -> None:
    try:
        digits = normalize_dtmf(event.digits, ctx.s.policy.allowed_digits)
    except DtmfRefused as refusal:
        ctx.note(f"refused DTMF {event.digits[:40]!r}: {refusal}")
        ctx.reply(str(refusal), Refusal.INVALID_DIGITS)
        return
    why = f" ({event.reason})" if event.reason else ""
    ctx.issue(SendDtmf, summary=f"digits={digits}{why}", digits=digits)
    ctx.reply(f"Pressed {speech.spoken_keys(digits)}.")


def _on_hold_signalled(ctx: _Step, event: HoldSignalled) -> None:
    if ctx.s.state is CallState.HOLD:
        ctx.reply("We are already on hold; I'm listening for a person.")
        return
    if event.confidence is not None and event.confidence < MIN_HOLD_TOOL_CONFIDENCE:
        ctx.note(f"hold suggested by {event.source} at confidence {event.confidence:.2f}; not acted on")
        ctx.reply(
            "Noted, but that is not certain enough; keep navigating and tell me again if it is hold.",
            Refusal.LOW_CONFIDENCE,
        )
        return
    if ctx.late:
        ctx.ignore(Refusal.LATE, f"late {event.source} from before the current state")
        return
    if ctx.overtaken:
        ctx.ignore(Refusal.LATE, f"{event.source} from before the person last spoke")
        return
    why = f"{event.source}: {event.reason}" if event.reason else event.source
    _enter_hold(ctx, why)
    ctx.reply("Understood. I'll wait on hold and bring in a colleague when a person answers.")


def _on_unhold(ctx: _Step, event: UnholdSignalled) -> None:
    if ctx.late:
        ctx.ignore(Refusal.LATE, "late call.unhold from before the current state")
        return
    if ctx.overtaken:
        ctx.ignore(Refusal.LATE, "call.unhold from before the queue last spoke")
        return
    _enter_representative(ctx, event.source)
    ctx.reply("Off hold; the representative assistant is starting.")


def _on_transcript(ctx: _Step, event: TranscriptHeard) -> None:
    text = " ".join(event.text.split())
    if not text:
        ctx.reply("Empty transcript.")
        return
    judgement = detection.judge(
        text, is_final=event.is_final, confidence=event.confidence, at=ctx.at, memory=ctx.s.detector
    )
    if event.is_final:
        _record_line(ctx, text, event.confidence, judgement)
        if ctx.s.state in (CallState.IVR, CallState.HOLD):
            ctx.s.detector = detection.remember(ctx.s.detector, text, judgement, ctx.at)
        else:
            ctx.s.detector.last_speech_at = ctx.at
    if event.is_final and not ctx.late:
        _confirm_state(ctx, judgement)
    move = _transcript_move(ctx, judgement, text, event.is_final)
    representative_final = event.is_final and ctx.s.state is CallState.REPRESENTATIVE and not ctx.late
    if move is None and representative_final and _soft_hold_followed(ctx, text, judgement):
        return
    if move is None:
        kind = "final" if event.is_final else "interim (not stored)"
        ctx.reply(f"Heard ({kind}): {judgement.label.value}.")
        return
    if ctx.late:
        ctx.ignore(Refusal.LATE, f"late transcript from before the current state ({judgement.label.value})")
        return
    target, outcome = move
    kind = "transcript" if event.is_final else "interim transcript"
    why = f"{kind} ({judgement.why()}): {text[:120]}"
    if target is CallState.HOLD:
        unanswered = not _person_spoke_since_pickup(ctx.s) and _recent_pickup(ctx)
        if ctx.s.state is CallState.REPRESENTATIVE and unanswered and not judgement.evidence.asks_to_hold:
            # The "person" who picked up has said nothing since, and the queue is talking
            # again: that pickup was a false alarm. Stop talking to the hold music.
            _enter_hold(ctx, f"false alarm, still on hold ({judgement.why()}): {text[:120]}")
            ctx.reply("That was not a person after all; back to waiting on hold.")
            return
        _enter_hold(ctx, why)
        ctx.reply("Hold language heard; waiting on hold.")
    elif target is CallState.REPRESENTATIVE:
        _enter_representative(ctx, why)
        ctx.reply("A person picked up; the representative assistant is starting.")
    elif target is CallState.IVR:
        _enter_menu(ctx, why)
        ctx.reply("A phone menu started after the hold; the IVR assistant is starting again.")
    else:
        if outcome is Outcome.VOICEMAIL and ctx.s.state is CallState.REPRESENTATIVE:
            why = f"the pickup was a voicemail greeting ({judgement.why()}): {text[:120]}"
        _hang_up(ctx, outcome or Outcome.FAILED, why)
        ctx.reply(f"Nobody will answer ({outcome}); hanging up.")


def _transcript_move(
    ctx: _Step, judgement: detection.Judgement, text: str, is_final: bool
) -> tuple[CallState, Outcome | None] | None:
    """Where a transcript moves the call, if anywhere: (state, outcome when it ends).

    Detection gives probabilities; the thresholds above weigh the two costs. A late pickup
    loses the person (they hang up after "hello? hello?"); a false pickup talks to a recording
    and the call goes back to hold when the queue speaks again. Interim results never decide."""
    p = judgement.probabilities
    evidence = judgement.evidence
    state = ctx.s.state
    human, hold, menu = p[Label.HUMAN], p[Label.HOLD], p[Label.IVR]
    ending = max((Label.VOICEMAIL, Label.CLOSED), key=lambda label: p[label])
    # Hanging up cannot be undone, and "Hello, this is the office." opens a voicemail greeting
    # as often as a person's answer: a dead end needs more than an opening. The greeting's
    # next sentence ("...leave a message") comes a moment later and ends the call then.
    may_end = not evidence.greeting_only
    if not is_final:
        # The final follows within about a second; an interim is a guess at half a sentence
        # ("Hi, this is Sam..." may go on "...leave a message"). Waiting costs a second, a
        # wrong start talks over a recording.
        return None
    if state is CallState.IVR:
        if human >= PERSON_IN_MENU:
            return CallState.REPRESENTATIVE, None
        if may_end and p[ending] >= NOBODY_IN_MENU and p[ending] >= hold:
            return CallState.ENDED, _dead_end(ending)
        if hold >= HOLD_IN_MENU and hold > menu:
            return CallState.HOLD, None
        return None
    if state is CallState.HOLD:
        if human >= (PERSON_BACK if ctx.s.representative_at is not None else PERSON_ON_HOLD):
            return CallState.REPRESENTATIVE, None
        if may_end and p[ending] >= NOBODY_ON_HOLD:
            return CallState.ENDED, _dead_end(ending)
        if menu >= MENU_AFTER_HOLD and not evidence.repeat and not _CALLBACK_OFFER.search(detection.normalise(text)):
            return CallState.IVR, None
        return None
    if state is CallState.REPRESENTATIVE:
        # A person asking us to hold is a person speaking: here the words decide (the line
        # model's hold), not who is speaking (the call's probability of a person).
        words_hold = judgement.line[Label.HOLD]
        if may_end and p[Label.VOICEMAIL] >= NOBODY_IN_MENU and _recent_pickup(ctx):
            return CallState.ENDED, Outcome.VOICEMAIL
        if evidence.asks_to_hold and words_hold >= HOLD_WITH_PERSON:
            return CallState.HOLD, None
        if words_hold >= QUEUE_WITH_PERSON and evidence.repeat and human < PERSON_BACK:
            return CallState.HOLD, None  # the queue's loop again: they left without a word
        recent = _recent_pickup(ctx) and not _person_spoke_since_pickup(ctx.s)
        queue_again = evidence.repeat or (hold >= FALSE_ALARM_HOLD and not evidence.soft_hold)
        if recent and queue_again and human < PERSON_ON_HOLD:
            return CallState.HOLD, None
    return None


def _dead_end(label: Label) -> Outcome:
    return Outcome.VOICEMAIL if label is Label.VOICEMAIL else Outcome.CLOSED


def _confirm_state(ctx: _Step, judgement: detection.Judgement) -> None:
    """Note when a line agrees with where the call is: the queue on hold, a person with us."""
    agrees = (ctx.s.state is CallState.HOLD and judgement.label is Label.HOLD) or (
        ctx.s.state is CallState.REPRESENTATIVE and judgement.label is Label.HUMAN
    )
    # A final comes when the speech ends; the line was being said for a while before. Only
    # its start is sure to be after an earlier signal (about 0.4 s a word).
    began = ctx.at - timedelta(seconds=SECONDS_PER_WORD * judgement.evidence.words)
    if agrees and (ctx.s.state_confirmed_at is None or began > ctx.s.state_confirmed_at):
        ctx.s.state_confirmed_at = began


def _recent_pickup(ctx: _Step) -> bool:
    since = ctx.s.representative_at
    return since is not None and (ctx.at - since).total_seconds() <= FALSE_ALARM_WINDOW_SECONDS


def _soft_hold_followed(ctx: _Step, text: str, judgement: detection.Judgement) -> bool:
    """A person's "one moment" / "hang on" is a hold only if music or a queue follows; if
    they simply go on talking it was a pause. Returns True when this line was handled."""
    pending = ctx.s.pending_hold_at
    if pending is not None:
        ctx.s.pending_hold_at = None
        if judgement.probabilities[Label.HUMAN] < STILL_TALKING:
            _enter_hold(ctx, f"on hold since they asked us to wait, then: {text[:120]}", since=pending)
            ctx.reply("They asked us to wait and the line went to music; waiting on hold.")
            return True
    if judgement.evidence.soft_hold:
        ctx.s.pending_hold_at = ctx.at
        ctx.note(f"asked to wait a moment ({text[:80]}); on hold if music follows")
        ctx.reply("Asked to wait a moment.")
        return True
    return False


def _on_end_requested(ctx: _Step, event: EndRequested) -> None:
    outcome = Outcome.COMPLETED if ctx.s.state is CallState.REPRESENTATIVE else Outcome.ENDED_BY_AGENT
    reason = event.reason or "end requested"
    _hang_up(ctx, outcome, f"end-call: {reason}")
    ctx.reply("Ending the call now. Goodbye.")


def _on_hangup(ctx: _Step, event: HangupReceived) -> None:
    ctx.s.hangup_cause = ctx.s.hangup_cause or event.cause
    ctx.s.hangup_source = ctx.s.hangup_source or event.source
    if ctx.s.state is CallState.ENDED:
        ctx.note(f"call.hangup after the session ended (cause {event.cause})")
        if ctx.s.outcome is Outcome.DISCONNECTED and ctx.s.history and event.cause:
            # We ended it when Telnyx refused a command ("call gone"), not knowing why; the
            # hangup webhook, racing that refusal, says why.
            ctx.s.outcome = hangup_outcome(event.cause, event.source, ctx.s.history[-1].from_state)
            ctx.note(f"outcome {Outcome.DISCONNECTED} refined to {ctx.s.outcome} by the hangup cause")
        ctx.reply("Already ended.")
        return
    outcome = hangup_outcome(event.cause, event.source, ctx.s.state)
    _end(ctx, outcome, f"call.hangup: cause={event.cause or 'unknown'} source={event.source or 'unknown'}")
    ctx.reply("The call has ended.")


def _on_conversation_created(ctx: _Step, event: ConversationCreated) -> None:
    if event.conversation_id:
        ctx.s.conversation_id = event.conversation_id
    ctx.reply("Conversation created.")


def _on_conversation_ended(ctx: _Step, event: ConversationEnded) -> None:
    ctx.note(f"assistant conversation ended ({event.reason or 'no reason given'})")
    ctx.reply("Conversation ended.")


def _on_assistant_start_failed(ctx: _Step, event: AssistantStartFailed) -> None:
    if ctx.late:
        ctx.ignore(Refusal.LATE, "late start_failed from before the current state")
        return
    if event.stage is not None and event.stage is not ctx.s.state:
        ctx.ignore(
            Refusal.STALE, f"start_failed for an assistant of the {event.stage} stage; we are in {ctx.s.state.value}"
        )
        return
    _assistant_failed(ctx, f"call.conversation.start_failed ({event.reason or 'no reason given'})")


def _on_command_settled(ctx: _Step, event: CommandSettled) -> None:
    record = ctx.s.command(event.command_id)
    if record is None:
        ctx.reply("Unknown command.", Refusal.UNKNOWN_COMMAND)
        return
    record.status = "ok" if event.ok else "skipped" if event.skipped else "failed"
    record.result = event.detail or record.status
    record.attempts = event.attempts
    record.settled_at = ctx.now
    ctx.reply(record.result)
    if event.skipped:
        return
    if event.ok:
        if record.action == StartAssistant.action and event.conversation_id:
            ctx.s.conversation_id = event.conversation_id
        return
    ctx.note(f"{record.action} failed after {event.attempts} attempt(s): {record.result}")
    if event.call_gone:
        if ctx.s.state is not CallState.ENDED:
            why = f"Telnyx says the call is gone ({record.result})"
            if record.action == Hangup.action:
                _end(ctx, Outcome.DISCONNECTED, why)
            else:
                # A 404 can also mean something else was not found: hang up to be sure the
                # line is not left open (harmless if the call is really gone).
                _hang_up(ctx, Outcome.DISCONNECTED, why)
        return
    if record.action == StartTranscription.action:
        ctx.s.transcribing = False
    elif record.action == StartAssistant.action and record.command_id == ctx.s.assistant_command_id:
        _assistant_failed(ctx, f"{record.action} failed: {record.result}")


def _on_processing_failed(ctx: _Step, event: ProcessingFailed) -> None:
    ctx.note(f"processing {event.what} failed: {event.error}")
    ctx.reply("Recorded.")


def _on_time_elapsed(ctx: _Step, event: TimeElapsed) -> None:
    expired = overdue(ctx.s, ctx.now)
    if expired is None:
        ctx.reply("Nothing is overdue.")
        return
    outcome, why = expired
    _hang_up(ctx, outcome, why)
    ctx.reply(f"Hung up: {why}.")


# --- transitions --------------------------------------------------------------------------


def _enter_hold(ctx: _Step, why: str, since: datetime | None = None) -> None:
    """`since`: when the hold really began, if before this event ("one moment", then music)."""
    if ctx.s.assistant is not None:
        ctx.issue(StopAssistant, summary=f"stop {ctx.s.assistant} assistant for hold")
        ctx.s.assistant = None
    ctx.move(CallState.HOLD, why)
    ctx.s.pending_hold_at = None
    ctx.s.hold_started_at = since or ctx.at
    ctx.s.hold_count += 1
    _ensure_transcription(ctx)


def _enter_menu(ctx: _Step, why: str) -> None:
    """A phone menu after a transfer from hold ("enter your account number followed by pound"):
    listening alone cannot press keys, so the IVR assistant starts again, told what happened."""
    _close_hold(ctx)
    ctx.move(CallState.IVR, why)
    ctx.s.menu_started_at = ctx.at
    _start_assistant(ctx, "ivr", resumed=True)
    _ensure_transcription(ctx)


def _enter_representative(ctx: _Step, why: str) -> None:
    returning = ctx.s.representative_at is not None
    if ctx.s.state is CallState.HOLD:
        _close_hold(ctx)
    if ctx.s.assistant is not None:
        # A person answered while the IVR assistant was still running.
        ctx.issue(StopAssistant, summary=f"stop {ctx.s.assistant} assistant")
    ctx.move(CallState.REPRESENTATIVE, why)
    ctx.s.representative_at = ctx.at
    _start_assistant(ctx, "representative", returning=returning)
    _ensure_transcription(ctx)


def _start_assistant(
    ctx: _Step,
    role: AssistantRole,
    returning: bool = False,
    retry: bool = False,
    resumed: bool = False,
) -> None:
    if role == "ivr" and resumed:
        command = ctx.issue(
            StartAssistant,
            summary="ivr assistant (a menu after the hold)",
            role="ivr",
            dynamic_variables=speech.task_variables(ctx.s),
            message_history=speech.menu_again_history(ctx.s, ctx.at),
        )
    elif role == "ivr":
        command = ctx.issue(
            StartAssistant, summary="ivr assistant", role="ivr", dynamic_variables=speech.task_variables(ctx.s)
        )
    else:
        greeting = speech.RETURNING_GREETING if returning else (ctx.s.greeting or speech.default_greeting(ctx.s))
        command = ctx.issue(
            StartAssistant,
            summary="representative assistant" + (" (returning from hold)" if returning else ""),
            role="representative",
            dynamic_variables=speech.representative_variables(ctx.s, ctx.at),
            greeting=greeting,
            message_history=speech.representative_history(ctx.s, ctx.at),
        )
    if retry:
        ctx.s.commands[-1].summary += " (retry)"
    else:
        ctx.s.assistant_failures = 0
    ctx.s.assistant = role
    ctx.s.assistant_command_id = command.command_id


def _assistant_failed(ctx: _Step, why: str) -> None:
    """A start of the current assistant failed: try once more, then give the call up."""
    role = ctx.s.assistant
    ctx.s.assistant = None
    if role is None:
        ctx.note(f"{why}; no assistant was expected to be running")
        return
    ctx.s.assistant_failures += 1
    if ctx.s.assistant_failures < MAX_ASSISTANT_START_FAILURES:
        ctx.note(f"the {role} assistant failed to start ({why}); retrying once")
        resumed = role == "ivr" and ctx.s.menu_started_at is not None
        _start_assistant(
            ctx, role, returning=role == "representative" and ctx.s.hold_count > 1, retry=True, resumed=resumed
        )
        ctx.reply("The assistant failed to start; retrying.")
        return
    _hang_up(ctx, Outcome.ASSISTANT_FAILED, f"the {role} assistant failed to start twice ({why})")
    ctx.reply("The assistant failed to start again; hanging up.")


def _hang_up(ctx: _Step, outcome: Outcome, why: str) -> None:
    if ctx.s.call_control_id is not None:
        ctx.issue(Hangup, summary=why, reason=outcome)
    _end(ctx, outcome, why)


def _end(ctx: _Step, outcome: Outcome, why: str) -> None:
    if ctx.s.state is CallState.HOLD:
        _close_hold(ctx)
    ctx.move(CallState.ENDED, why)
    ctx.s.outcome = outcome
    ctx.s.end_reason = why
    ctx.s.ended_at = ctx.at
    ctx.s.assistant = None
    ctx.s.transcribing = False


def _close_hold(ctx: _Step) -> None:
    if ctx.s.hold_started_at is not None:
        ctx.s.hold_seconds_total += max(0.0, (ctx.at - ctx.s.hold_started_at).total_seconds())
    ctx.s.hold_started_at = None


def _ensure_transcription(ctx: _Step) -> None:
    if not ctx.s.transcribing:
        ctx.issue(StartTranscription, summary="monitor the far end")
        ctx.s.transcribing = True


# --- helpers ------------------------------------------------------------------------------


HANGUP_OUTCOMES = {
    "user_busy": Outcome.BUSY,
    "call_rejected": Outcome.REJECTED,
    "no_answer": Outcome.NO_ANSWER,
    "timeout": Outcome.NO_ANSWER,
    "not_found": Outcome.INVALID_NUMBER,
    "time_limit": Outcome.TIME_LIMIT,
    "originator_cancel": Outcome.CANCELLED,
    "unspecified": Outcome.FAILED,
}


def overdue(session: CallSession, now: datetime) -> tuple[Outcome, str] | None:
    """(outcome, why) when a watchdog of this call has run out at `now` (our clock), else None.
    Stage times come from Telnyx's clock; the call's age from ours (we created it)."""
    policy = session.policy
    at = session.telnyx_now(now)

    def passed(since: datetime | None, limit: float, clock: datetime) -> bool:
        return bool(limit) and since is not None and (clock - since).total_seconds() >= limit

    if session.state is CallState.IVR and passed(
        session.menu_started_at or session.answered_at, policy.max_ivr_seconds, at
    ):
        return Outcome.IVR_TIMEOUT, f"still in the phone menu after {policy.max_ivr_seconds:g} s"
    if (
        session.state is CallState.HOLD
        and policy.max_hold_seconds
        and (session.hold_seconds(at) >= policy.max_hold_seconds)
    ):
        return Outcome.HOLD_TIMEOUT, f"on hold for {policy.max_hold_seconds:g} s in all"
    if session.is_active and passed(session.created_at, policy.max_call_seconds, now):
        return Outcome.CALL_TIMEOUT, f"the call has lasted {policy.max_call_seconds:g} s"
    return None


def hangup_outcome(cause: str | None, source: str | None, state: CallState) -> Outcome:
    """A clear outcome from Telnyx's hangup cause and who hung up."""
    if cause in HANGUP_OUTCOMES:
        return HANGUP_OUTCOMES[cause]
    if cause == "normal_clearing":
        if source == "callee":
            return Outcome.NO_ANSWER if state is CallState.DIALING else Outcome.HUNG_UP_BY_COMPANY
        if source == "caller":
            return Outcome.COMPLETED if state is CallState.REPRESENTATIVE else Outcome.HUNG_UP_BY_AGENT
        return Outcome.HUNG_UP
    return Outcome.FAILED


def _adopt_call_ids(
    ctx: _Step, call_control_id: str, call_leg_id: str | None = None, call_session_id: str | None = None
) -> None:
    if ctx.s.call_control_id is None:
        ctx.s.call_control_id = call_control_id
    elif call_control_id != ctx.s.call_control_id:
        ctx.note(f"Telnyx named a second call control id {call_control_id!r}; keeping the first")
    ctx.s.call_leg_id = ctx.s.call_leg_id or call_leg_id
    ctx.s.call_session_id = ctx.s.call_session_id or call_session_id


def _person_spoke_since_pickup(session: CallSession) -> bool:
    """A line since the pickup that may well be theirs: after a pickup, a person's replies
    ("How can I help you today?") sound like a virtual agent's as often as not."""
    since = session.representative_at
    return any(
        line.heard_in is CallState.REPRESENTATIVE and line.probabilities.get(Label.HUMAN.value, 0.0) >= PERSON_SPOKE
        for line in session.transcript
        if since is None or line.at >= since
    )


def _hangup_issued(session: CallSession) -> bool:
    return any(record.action == Hangup.action for record in session.commands)


def _record_line(ctx: _Step, text: str, confidence: float | None, judgement: detection.Judgement) -> None:
    line = TranscriptLine(
        at=ctx.at,
        text=text,
        confidence=confidence,
        heard_in=ctx.s.state,
        verdict=judgement.label,
        probabilities=judgement.probabilities.as_dict(),
        reason=judgement.why()[:200],
    )
    lines = ctx.s.transcript
    # Keep lines in Telnyx-clock order even when webhooks arrive out of order.
    index = len(lines)
    while index > 0 and lines[index - 1].at > line.at:
        index -= 1
    lines.insert(index, line)
    del lines[:-MAX_TRANSCRIPT_LINES]


# Short names, for the table below.
D, IVR, H, R, E = CallState.DIALING, CallState.IVR, CallState.HOLD, CallState.REPRESENTATIVE, CallState.ENDED


def _stays(states: frozenset[CallState] | set[CallState]) -> dict[CallState, frozenset[CallState]]:
    return {state: frozenset({state}) for state in states}


def _stays_or_ends(states: frozenset[CallState] | set[CallState]) -> dict[CallState, frozenset[CallState]]:
    return {state: frozenset({state, E}) for state in states}


@dataclass(frozen=True)
class Rule:
    """How one kind of event is handled: by whom, in which states, and where it can take the
    call from each. An event in a state not listed is ignored with a note."""

    handler: Callable[[_Step, Any], None]
    moves: Mapping[CallState, frozenset[CallState]]  # from-state -> the states it may leave the call in


# The transition table: the single source of where a call can go. `step` refuses any move a
# handler makes that is not listed here, and the README's state diagram and the docstring's
# table are generated from it (`state_diagram()`, `transition_rows()`; tests/core/test_machine.py
# fails when they disagree).
TRANSITIONS: dict[type[Event], Rule] = {
    CallDialed: Rule(_on_dialed, _stays(set(CallState))),
    DialFailed: Rule(_on_dial_failed, {D: frozenset({E})}),
    CallInitiated: Rule(_on_initiated, _stays({D, E})),
    CallAnswered: Rule(_on_answered, {D: frozenset({IVR}), E: frozenset({E})}),
    DtmfRequested: Rule(_on_dtmf, _stays({IVR, R})),
    HoldSignalled: Rule(_on_hold_signalled, {IVR: frozenset({IVR, H}), H: frozenset({H}), R: frozenset({R, H})}),
    UnholdSignalled: Rule(_on_unhold, {H: frozenset({H, R})}),
    TranscriptHeard: Rule(
        _on_transcript, {IVR: frozenset({IVR, H, R, E}), H: frozenset({H, IVR, R, E}), R: frozenset({R, H, E})}
    ),
    EndRequested: Rule(_on_end_requested, {state: frozenset({E}) for state in ACTIVE_STATES}),
    HangupReceived: Rule(_on_hangup, {state: frozenset({E}) for state in CallState}),
    ConversationCreated: Rule(_on_conversation_created, _stays(ACTIVE_STATES)),
    ConversationEnded: Rule(_on_conversation_ended, _stays(set(CallState))),
    AssistantStartFailed: Rule(_on_assistant_start_failed, _stays_or_ends(ACTIVE_STATES)),
    TimeElapsed: Rule(_on_time_elapsed, _stays_or_ends(ACTIVE_STATES)),
    ProcessingFailed: Rule(_on_processing_failed, _stays(set(CallState))),
    CommandSettled: Rule(_on_command_settled, _stays_or_ends(set(CallState))),
}


_ORDER = list(CallState)


def transition_rows() -> list[tuple[str, CallState, CallState]]:
    """(event, from, to) for every move the table allows that changes the state, in table order."""
    return [
        (event.__name__, start, to)
        for event, rule in TRANSITIONS.items()
        for start in sorted(rule.moves, key=_ORDER.index)
        for to in sorted(rule.moves[start], key=_ORDER.index)
        if to is not start
    ]


def transition_table() -> str:
    """The table as text, one event a line (the module docstring shows it)."""
    moves: dict[str, dict[CallState, list[str]]] = {}
    for event, start, to in transition_rows():
        moves.setdefault(event, {}).setdefault(start, []).append(to.value)
    width = max(len(event) for event in moves)
    return "\n".join(
        f"    {event:<{width}}  " + "; ".join(f"{start.value} -> {', '.join(to)}" for start, to in found.items())
        for event, found in moves.items()
    )


def state_diagram() -> str:
    """The table as a Mermaid state diagram (the README shows it)."""
    edges: dict[tuple[CallState, CallState], list[str]] = {}
    for event, start, to in transition_rows():
        edges.setdefault((start, to), []).append(event)
    lines = ["stateDiagram-v2", f"    [*] --> {D.value}"]
    for (start, to), events in edges.items():
        lines.append(f"    {start.value} --> {to.value}: {', '.join(events)}")
    lines.append(f"    {E.value} --> [*]")
    return "\n".join(lines)
