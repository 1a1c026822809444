"""The fake company on the line: plays a scenario, step by step, against whatever calls it.

It speaks through a `Line` (which turns speech into transcripts for the caller and measures
company time), hears the caller as `Keys` (DTMF), `Speech` (an assistant talking) or `Gone`
(the caller hung up), and keeps a record of what happened for the report. It knows nothing
of Telnyx or HTTP: the simulator provides the Line.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

from .scenario import (
    DROP,
    HANGUP,
    ClosedStep,
    HangupStep,
    HoldStep,
    MenuStep,
    PersonHold,
    PersonStep,
    Question,
    Scenario,
    VoicemailStep,
)


@dataclass(frozen=True)
class Keys:
    digits: str


@dataclass(frozen=True)
class Speech:
    text: str


@dataclass(frozen=True)
class Gone:
    """The caller hung up."""


Heard = Keys | Speech | Gone


class Line(Protocol):
    def now(self) -> float:
        """Company time: seconds since the call was answered."""

    async def say(self, text: str, speaker: str) -> None:
        """Speak (taking as long as the words take). `speaker` is "machine", "music" (what
        the transcriber makes of hold music) or "person"."""

    async def listen(self, seconds: float) -> Heard | None:
        """The caller's next input within `seconds` of company time, or None."""

    def clear(self) -> None:
        """Forget inputs heard so far (a person asking a question wants a fresh answer)."""

    async def hang_up(self) -> None:
        """The company ends the call."""

    async def signal_hold(self, on: bool) -> None:
        """The far end's SIP hold (call.hold / call.unhold)."""

    def hurry(self, on: bool) -> None:
        """Nothing but waiting happens from now on (a hold): time may run at full speed."""

    def person_away(self) -> None:
        """The person stepped away from the phone (their own hold): whoever speaks next starts
        a new turn, for the report's pickup timing."""


@dataclass
class Record:
    """What the company saw happen, for the report."""

    steps: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    answers: list[tuple[str, str, bool]] = field(default_factory=list)  # (question, answer, right)
    task_done: bool = False
    hold_seconds: float = 0.0  # company time spent in holds and the person's own holds
    ended_by: str | None = None  # "caller" or "company"
    problems: list[str] = field(default_factory=list)  # what the caller got wrong
    stray_keys: list[str] = field(default_factory=list)


class Company:
    def __init__(self, scenario: Scenario, line: Line, seed: int = 0) -> None:
        self.scenario = scenario
        self.line = line
        self.record = Record()
        self._random = random.Random(seed)
        self._sip_hold = False

    async def run(self) -> Record:
        step: str | None = self.scenario.start
        while step is not None:
            self.record.steps.append(step)
            step = await self._play(step)
        return self.record

    async def _play(self, name: str) -> str | None:
        step = self.scenario.steps[name]
        if isinstance(step, MenuStep):
            return await self._menu(step)
        if isinstance(step, HoldStep):
            return await self._hold(step)
        if isinstance(step, PersonStep):
            return await self._person(step)
        if isinstance(step, (VoicemailStep, ClosedStep)):
            return await self._message(step)
        if isinstance(step, HangupStep):
            await self._say_all(step.say, "machine")
            return await self._hang_up()
        raise TypeError(f"unknown step {type(step).__name__}")

    # --- steps -----------------------------------------------------------------------------

    async def _menu(self, step: MenuStep) -> str | None:
        self.line.clear()
        for attempt in range(1, step.attempts + 1):
            await self._say_all(step.say, "machine")
            heard = await self.line.listen(step.wait)
            if isinstance(heard, Gone):
                return self._caller_left()
            target = self._route(step, heard)
            if target is not None:
                return target
            if heard is not None and attempt < step.attempts:
                await self.line.say(step.invalid, "machine")
        if step.on_timeout == HANGUP:
            return await self._hang_up()
        return step.on_timeout

    def _route(self, step: MenuStep, heard: Keys | Speech | None) -> str | None:
        keys = heard.digits if isinstance(heard, Keys) else ""
        target = step.route(keys, heard.text if isinstance(heard, Speech) else "", self.scenario.call.context)
        if keys:
            self.record.keys.append(keys)
            if target is None and step.collect:
                self.record.problems.append(f"keyed {keys!r} for {step.collect}")
        return target

    async def _hold(self, step: HoldStep) -> str | None:
        began = self.line.now()
        self.line.hurry(True)
        try:
            return await self._hold_for(step)
        finally:
            self.line.hurry(False)
            self.record.hold_seconds += self.line.now() - began

    async def _hold_for(self, step: HoldStep) -> str | None:
        began = self.line.now()
        if step.sip_hold:
            await self.line.signal_hold(True)
            self._sip_hold = True
        await self._say_all(step.say, "machine")
        # Moments are seconds into the hold; the hold ends `duration` after it began, however
        # long the announcements take to say (one that would overlap the next is just late).
        for at, lines, speaker in [*self._hold_timeline(step), (step.duration, [], "machine")]:
            wait = began + at - self.line.now()
            if wait > 0 and isinstance(await self._idle(wait), Gone):
                return self._caller_left()
            if at < step.duration:
                await self._say_all(lines, speaker)
        if step.then == DROP:
            return await self._hang_up()
        return step.then

    def _hold_timeline(self, step: HoldStep) -> list[tuple[float, list[str], str]]:
        """(seconds into the hold, what is said then, who says it), in order."""
        moments = [(at, lines, "machine") for at, lines in step.announcement_times()]
        if step.music:
            at = step.music_every / 2
            while at < step.duration:
                moments.append((at, [self._random.choice(step.music)], "music"))
                at += step.music_every * self._random.uniform(0.6, 1.4)
        return sorted(moments, key=lambda item: item[0])

    async def _person(self, step: PersonStep) -> str | None:
        if self._sip_hold:
            await self.line.signal_hold(False)
            self._sip_hold = False
        self.line.clear()
        await self._say_all(step.say, "person")
        if not await self._greeted(step):
            return None
        # The person's own hold comes after `hold.after` answers (at the latest, after all).
        for index in range(len(step.questions) + 1):
            if index == step.hold_at and step.hold and not await self._personal_hold(step.hold, step):
                return None
            if index == len(step.questions):
                break
            if not await self._ask(step.questions[index], step):
                return None
        self.record.task_done = True
        await self.line.say(step.done, "person")
        if await self._until_gone(step.patience * 2):
            return self._caller_left()
        await self.line.say("Alright then, goodbye.", "person")
        return await self._hang_up()

    async def _ask(self, question: Question, step: PersonStep) -> bool:
        """Ask one question; True when the caller answered it right."""
        self.line.clear()
        await self.line.say(question.ask, "person")
        answer = await self._speech(step.patience)
        if isinstance(answer, Gone):
            self._caller_left()
            return False
        expected = str(self.scenario.call.context[question.expect])
        heard = answer.text if isinstance(answer, Speech) else ""
        right = expected.lower() in heard.lower()
        self.record.answers.append((question.ask, heard, right))
        if right:
            return True
        self.record.problems.append(f"asked for {question.expect!r}, heard {heard!r}")
        await self.line.say("Hmm, I can't find anything under that. I'm sorry, I can't help you today.", "person")
        await self._hang_up()
        return False

    async def _greeted(self, step: PersonStep) -> bool:
        """Wait for the caller to speak; nudge once. False when the call is over."""
        for nudge in ("Hello? Is anyone there?", None):
            heard = await self._speech(step.patience)
            if isinstance(heard, Gone):
                self._caller_left()
                return False
            if isinstance(heard, Speech):
                return True
            if nudge:
                self.record.problems.append(f"the person waited {step.patience:g} s in silence and asked: {nudge}")
                await self.line.say(nudge, "person")
        self.record.problems.append("nobody answered the person")
        await self.line.say("I'm going to hang up now.", "person")
        await self._hang_up()
        return False

    async def _personal_hold(self, hold: PersonHold, step: PersonStep) -> bool:
        await self.line.say(hold.say, "person")
        self.line.person_away()
        began = self.line.now()
        self.line.hurry(True)
        try:
            gap = hold.seconds / (len(hold.music) + 1)
            for fragment in [*hold.music, None]:
                heard = await self._idle(gap)
                if isinstance(heard, Gone):
                    self._caller_left()
                    return False
                if fragment:
                    await self.line.say(fragment, "music")
        finally:
            self.line.hurry(False)
            self.record.hold_seconds += self.line.now() - began
        self.line.clear()
        await self.line.say(hold.back, "person")
        return await self._greeted(step)

    async def _message(self, step: VoicemailStep | ClosedStep) -> str | None:
        await self._say_all(step.say, "machine")
        wait = step.record if isinstance(step, VoicemailStep) else step.linger
        self.line.hurry(True)
        gone = await self._until_gone(wait)
        self.line.hurry(False)
        if gone:
            return self._caller_left()
        return await self._hang_up()

    # --- helpers ---------------------------------------------------------------------------

    async def _say_all(self, lines: list[str], speaker: str) -> None:
        for line in lines:
            await self.line.say(line, speaker)

    async def _speech(self, seconds: float) -> Speech | Gone | None:
        """The caller's next speech within `seconds` (keys pressed meanwhile go nowhere)."""
        deadline = self.line.now() + seconds
        while (remaining := deadline - self.line.now()) > 0:
            heard = await self.line.listen(remaining)
            if heard is None or isinstance(heard, (Speech, Gone)):
                return heard
            self._stray(heard)
        return None

    async def _idle(self, seconds: float) -> Gone | None:
        """Let `seconds` pass; only a hangup interrupts (keys pressed go nowhere)."""
        deadline = self.line.now() + seconds
        while (remaining := deadline - self.line.now()) > 0:
            heard = await self.line.listen(remaining)
            if heard is None or isinstance(heard, Gone):
                return heard
            self._stray(heard)
        return None

    def _stray(self, heard: Keys | Speech) -> None:
        """Keys pressed where no menu listens (on hold, to a person) are a caller's mistake:
        a callback offer taken by accident, a menu answered too late."""
        if isinstance(heard, Keys):
            self.record.stray_keys.append(heard.digits)
            self.record.problems.append(f"keys {heard.digits!r} pressed where no menu was listening")

    async def _until_gone(self, seconds: float) -> bool:
        heard = await self._idle(seconds)
        return isinstance(heard, Gone)

    async def _hang_up(self) -> str | None:
        """The company hangs up. Like every step, returns the next step: None, the call is over."""
        self.record.ended_by = self.record.ended_by or "company"
        await self.line.hang_up()
        return None

    def _caller_left(self) -> str | None:
        """The caller hung up: no next step."""
        self.record.ended_by = self.record.ended_by or "caller"
        return None
