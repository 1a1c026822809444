"""The company playing a scenario on a scripted line whose clock jumps instead of sleeping:
menus, holds, people, voicemail, closed offices."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fake_company.company import Company, Gone, Heard, Keys, Record, Speech
from fake_company.scenario import HoldStep, PersonStep, Scenario, load
from tests.support.fake_company import scenario_file

pytestmark = pytest.mark.anyio


@dataclass
class Cue:
    """When the company says something containing `hears`, the caller answers `reply`
    `delay` company seconds after the utterance ends (once, unless `repeat`)."""

    hears: str
    reply: Heard | list[Heard]  # several: `delay` apart
    delay: float = 1.0
    repeat: bool = False
    used: bool = False


@dataclass(frozen=True)
class Utterance:
    at: float
    speaker: str
    text: str


@dataclass
class ScriptedLine:
    """company.Line with a fake clock that jumps: saying takes `words / 2.5` company seconds,
    listening returns the next scripted input at once (moving the clock to when it arrives)."""

    cues: list[Cue] = field(default_factory=list)
    inputs: list[tuple[float, Heard]] = field(default_factory=list)  # (arrives at, input), scheduled ahead
    clock: float = 0.0
    said: list[Utterance] = field(default_factory=list)
    hung_up_at: float | None = None
    sip_holds: list[tuple[float, bool]] = field(default_factory=list)
    hurries: list[tuple[float, bool]] = field(default_factory=list)
    away: list[float] = field(default_factory=list)
    cleared: int = 0

    def now(self) -> float:
        return self.clock

    async def say(self, text: str, speaker: str) -> None:
        assert self.hung_up_at is None, f"said {text!r} after hanging up"
        self.said.append(Utterance(self.clock, speaker, text))
        self.clock += max(0.5, len(text.split()) / 2.5)
        cue = next((c for c in self.cues if not c.used and c.hears.lower() in text.lower()), None)
        if cue is not None:
            replies = cue.reply if isinstance(cue.reply, list) else [cue.reply]
            for number, reply in enumerate(replies, start=1):
                self.schedule(self.clock + cue.delay * number, reply)
            cue.used = not cue.repeat

    def schedule(self, at: float, heard: Heard) -> None:
        self.inputs.append((at, heard))
        self.inputs.sort(key=lambda item: item[0])

    async def listen(self, seconds: float) -> Heard | None:
        assert seconds > 0
        await asyncio.sleep(0)
        if self.hung_up_at is not None:
            return Gone()
        deadline = self.clock + seconds
        if self.inputs and self.inputs[0][0] <= deadline:
            at, heard = self.inputs.pop(0)
            self.clock = max(self.clock, at)
            return heard
        self.clock = deadline
        return None

    def clear(self) -> None:
        self.cleared += 1
        self.inputs = [(at, h) for at, h in self.inputs if at > self.clock or isinstance(h, Gone)]

    async def hang_up(self) -> None:
        assert self.hung_up_at is None
        self.hung_up_at = self.clock

    async def signal_hold(self, on: bool) -> None:
        self.sip_holds.append((self.clock, on))

    def hurry(self, on: bool) -> None:
        self.hurries.append((self.clock, on))

    def person_away(self) -> None:
        self.away.append(self.clock)

    # --- for the assertions ---

    def lines(self, speaker: str | None = None) -> list[str]:
        return [u.text for u in self.said if speaker is None or u.speaker == speaker]

    def when(self, text: str) -> float:
        """When the company began saying the (first) utterance containing `text`."""
        return next(u.at for u in self.said if text in u.text)

    def ends(self, text: str) -> float:
        return self.when(text) + max(0.5, len(next(u.text for u in self.said if text in u.text).split()) / 2.5)


async def play(
    scenario: Scenario | str, *cues: Cue, inputs: Iterable[tuple[float, Heard]] = (), seed: int = 0
) -> tuple[Record, ScriptedLine]:
    line = ScriptedLine(cues=list(cues))
    for at, heard in inputs:
        line.schedule(at, heard)
    company = Company(load(scenario) if isinstance(scenario, str) else scenario, line, seed=seed)
    record = await company.run()
    assert record is company.record
    return record, line


# --- menus ------------------------------------------------------------------------------------


async def test_a_menu_routes_a_key_to_its_option() -> None:
    record, line = await play(
        "willow-creek",
        Cue("For reservations, press 1", Keys("2")),
        Cue("Front desk, this is Jordan", Speech("Hi, a question about parking.")),
        Cue("have a good day", Gone()),
    )
    assert record.steps == ["main", "front_desk"]
    assert record.keys == ["2"]
    assert line.lines("machine") == [
        "Thank you for calling Willow Creek Hotel.",
        "For reservations, press 1. For the front desk, press 2.",
    ]
    assert line.lines("person") == [
        "Front desk, this is Jordan speaking. How can I help you?",
        "Okay, have a good day.",
    ]
    assert record.ended_by == "caller" and line.hung_up_at is None


async def test_pauses_in_keys_are_ignored_but_recorded() -> None:
    record, _ = await play("willow-creek", Cue("press 1", Keys("w1")), Cue("Connecting you", Gone()))
    assert record.steps == ["main", "reservations"]
    assert record.keys == ["w1"]


async def test_a_conversational_menu_routes_a_phrase_and_collect_takes_the_number_with_pound() -> None:
    record, line = await play(
        "first-federal-bank",
        Cue("tell me why you're calling", Speech("I'd like to DISPUTE a charge on my card.")),
        Cue("enter your account number", Keys("40123377#")),
        Cue("Please hold while I transfer you", Gone(), delay=30),
    )
    assert record.steps == ["assistant", "account_entry", "card_queue"]
    assert record.keys == ["40123377#"]
    assert record.problems == []
    assert record.ended_by == "caller"
    assert "Sorry, that account number doesn't match our records. Please try again." not in line.lines()


async def test_collect_accepts_the_digits_without_pound() -> None:
    record, _ = await play(
        "first-federal-bank",
        Cue("tell me why", Speech("card charge")),
        Cue("account number", Keys("40123377")),
        Cue("Please hold", Gone()),
    )
    assert record.steps[-1] == "card_queue"


async def test_a_wrong_collect_says_invalid_and_asks_again() -> None:
    record, line = await play(
        "first-federal-bank",
        Cue("tell me why", Speech("a card charge")),
        Cue("enter your account number", Keys("123#")),
        Cue("enter your account number", Keys("40123377#")),
        Cue("Please hold", Gone()),
    )
    invalid = "Sorry, that account number doesn't match our records. Please try again."
    prompt = "Okay, card services. Before I transfer you, please enter your account number followed by the pound key."
    machine = line.lines("machine")
    assert machine[machine.index(prompt) :][:3] == [prompt, invalid, prompt]
    assert record.keys == ["123#", "40123377#"]
    assert record.problems == ["keyed '123#' for account_number"]
    assert record.steps == ["assistant", "account_entry", "card_queue"]


async def test_wrong_keys_repeat_the_prompt_with_invalid_then_go_to_on_timeout() -> None:
    record, line = await play("willow-creek", Cue("press 1", Keys("9"), repeat=True))
    welcome, options = (
        "Thank you for calling Willow Creek Hotel.",
        "For reservations, press 1. For the front desk, press 2.",
    )
    invalid = "Sorry, that is not a valid option."
    assert line.lines() == [
        welcome, options, invalid,
        welcome, options, invalid,
        welcome, options,
        "We did not receive a selection. Goodbye.",
    ]  # fmt: skip
    assert record.keys == ["9", "9", "9"]
    assert record.steps == ["main", "goodbye"]
    assert record.ended_by == "company" and line.hung_up_at is not None


async def test_a_menu_nobody_answers_repeats_after_wait_then_times_out() -> None:
    record, line = await play("willow-creek")
    options = "For reservations, press 1. For the front desk, press 2."
    starts = [u.at for u in line.said if u.text == "Thank you for calling Willow Creek Hotel."]
    assert len(starts) == 3
    # Each repeat begins `wait` (8 s) after the options finished.
    assert starts[1] == pytest.approx(line.ends(options) + 8)
    assert "Sorry, that is not a valid option." not in line.lines()
    assert record.steps == ["main", "goodbye"]
    assert record.keys == []
    assert record.ended_by == "company"
    assert line.hung_up_at == pytest.approx(line.ends("We did not receive a selection. Goodbye."))


async def test_a_menu_that_times_out_to_hangup_hangs_up_at_once(tmp_path: Path) -> None:
    scenario = scenario_file(
        tmp_path,
        """
name = "t"
company = "T"
start = "main"
[call]
objective = "x"
[expect]
outcome = "ivr_timeout"
[steps.main]
kind = "menu"
say = "Press 1 or say sales."
options = { "1" = "main" }
phrases = { "sales" = "main" }
wait = 5
attempts = 2
""",
    )
    record, line = await play(scenario)
    assert line.lines() == ["Press 1 or say sales.", "Press 1 or say sales."]
    assert record.steps == ["main"] and record.ended_by == "company"
    speaking = line.ends("sales") - line.said[0].at
    assert line.said[1].at == pytest.approx(speaking + 5)
    assert line.hung_up_at == pytest.approx(line.said[1].at + speaking + 5)


async def test_the_caller_hanging_up_during_a_menu_ends_the_call() -> None:
    record, line = await play("acme-insurance", Cue("For claims, press 1", Gone()))
    assert record.steps == ["main"]
    assert record.ended_by == "caller" and line.hung_up_at is None


# --- holds ------------------------------------------------------------------------------------

TIMED_HOLD = """
name = "t"
company = "T"
start = "queue"
[call]
objective = "x"
[expect]
outcome = "completed"
[steps.queue]
kind = "hold"
say = "Please hold."
duration = 100
then = "sam"
sip_hold = true
[[steps.queue.announcements]]
say = "Still busy."
first = 10
every = 30
[[steps.queue.announcements]]
say = ["Tip one.", "Tip two."]
first = 25
every = 60
[steps.sam]
kind = "person"
say = "Hi, this is Sam."
"""


async def test_a_hold_plays_announcements_at_first_and_every_and_ends_after_duration(tmp_path: Path) -> None:
    record, line = await play(
        scenario_file(tmp_path, TIMED_HOLD),
        Cue("this is Sam", Gone()),
        inputs=[(30.0, Keys("1")), (50.0, Speech("hello?"))],  # pressing or talking does not end a hold
    )
    machine = [(u.at, u.text) for u in line.said if u.speaker == "machine"]
    tip_two_at = 25 + 2 / 2.5  # said right after "Tip one."
    assert machine == [
        (0.0, "Please hold."),
        (10.0, "Still busy."),
        (25.0, "Tip one."), (tip_two_at, "Tip two."),
        (40.0, "Still busy."),
        (70.0, "Still busy."),
        (85.0, "Tip one."), (85 + tip_two_at - 25, "Tip two."),
    ]  # fmt: skip
    assert line.when("Hi, this is Sam.") == pytest.approx(100.0)
    assert record.hold_seconds == pytest.approx(100.0)
    assert line.hurries == [(0.0, True), (100.0, False)]
    assert line.sip_holds == [(0.0, True), (100.0, False)]  # unhold when the person picks up
    assert record.steps == ["queue", "sam"]


async def test_a_hold_with_music_plays_fragments_between_and_is_deterministic_by_seed() -> None:
    cues = [Cue("press 1", Keys("1")), Cue("this is Sarah", Gone())]
    record, line = await play("willow-creek", *cues, seed=7)
    hold = load("willow-creek").steps["reservations"]
    assert isinstance(hold, HoldStep)
    music = [u for u in line.said if u.speaker == "music"]
    began = line.when("Connecting you to reservations")
    assert music and all(u.text in hold.music for u in music)
    assert music[0].at == pytest.approx(began + 7)  # music_every / 2
    # One about every 14 s (+/-40%): from 7 s on, at least every 19.6 s and at most every 8.4 s.
    assert 1 + int((150 - 7) / (1.4 * 14)) <= len(music) <= 1 + int((150 - 7) / (0.6 * 14))
    for a, b in itertools.pairwise(u for u in line.said if began <= u.at):
        assert b.at >= a.at + max(0.5, len(a.text.split()) / 2.5) - 1e-9, "nothing is said over anything else"
    assert all(began < u.at < began + 150 for u in music)
    assert line.when("this is Sarah") == pytest.approx(began + 150, abs=1.5)
    assert record.hold_seconds == pytest.approx(line.when("this is Sarah") - began)
    # The same seed plays the same call.
    _, again = await play("willow-creek", *[Cue(c.hears, c.reply) for c in cues], seed=7)
    assert again.said == line.said


async def test_a_hold_that_drops_hangs_up_after_its_duration() -> None:
    record, line = await play("bluewave-telecom", Cue("To cancel or change your plan, press 4", Keys("4")))
    began = line.when("Please hold while we connect you.")
    assert record.steps == ["main", "retention_queue"]
    assert record.keys == ["4"]
    assert line.hung_up_at == pytest.approx(began + 300)
    assert record.hold_seconds == pytest.approx(300)
    assert record.ended_by == "company"
    assert line.lines("person") == []


async def test_the_caller_hanging_up_on_hold_ends_the_hold(tmp_path: Path) -> None:
    record, line = await play(scenario_file(tmp_path, TIMED_HOLD), inputs=[(42.0, Gone())])
    assert record.hold_seconds == pytest.approx(42.0)
    assert record.ended_by == "caller" and line.hung_up_at is None
    assert record.steps == ["queue"]
    assert "Hi, this is Sam." not in line.lines()


# --- people -----------------------------------------------------------------------------------


async def test_a_person_nudges_once_then_hangs_up_when_nobody_answers() -> None:
    record, line = await play("corner-hardware")
    greeting = "Corner Hardware, this is Mike, how can I help you?"
    assert line.lines("person") == [greeting, "Hello? Is anyone there?", "I'm going to hang up now."]
    assert line.when("Hello? Is anyone there?") == pytest.approx(line.ends(greeting) + 12)
    assert line.when("I'm going to hang up now.") == pytest.approx(line.ends("Hello? Is anyone there?") + 12)
    assert line.hung_up_at == pytest.approx(line.ends("I'm going to hang up now."))
    assert record.ended_by == "company"
    assert record.problems == [
        "the person waited 12 s in silence and asked: Hello? Is anyone there?",
        "nobody answered the person",
    ]
    assert record.answers == [] and record.task_done is False


async def test_a_person_accepts_an_answer_after_the_nudge() -> None:
    record, line = await play(
        "corner-hardware",
        Cue("anyone there", Speech("Sorry, yes, hi!")),
        Cue("What name", Speech("It's Alex Morgan.")),
        Cue("when are you coming", Speech("Saturday.")),
        Cue("Anything else", Gone()),
    )
    assert record.task_done is True
    assert line.lines("person").count("Hello? Is anyone there?") == 1


async def test_a_person_asks_each_question_and_records_the_answers() -> None:
    record, line = await play(
        "corner-hardware",
        Cue("how can I help", Speech("Hi, do you have a 10 inch pipe wrench?")),
        Cue("What name", [Keys("5"), Speech("It's alex morgan.")], delay=0.5),  # keys go nowhere, noted
        Cue("when are you coming", Speech("On Saturday.")),
        Cue("Anything else", Gone()),
    )
    mike = load("corner-hardware").steps["mike"]
    assert isinstance(mike, PersonStep)
    assert line.lines("person") == [*mike.say, *(q.ask for q in mike.questions), mike.done]
    assert record.answers == [
        (mike.questions[0].ask, "It's alex morgan.", True),
        (mike.questions[1].ask, "On Saturday.", True),
    ]
    assert record.task_done is True
    assert record.ended_by == "caller" and line.hung_up_at is None
    assert record.stray_keys == ["5"]
    assert record.problems == ["keys '5' pressed where no menu was listening"]


async def test_a_person_says_goodbye_after_done_when_the_caller_stays() -> None:
    record, line = await play(
        "corner-hardware",
        Cue("how can I help", Speech("Hi.")),
        Cue("What name", Speech("Alex Morgan")),
        Cue("when are you coming", Speech("Saturday")),
        Cue("Anything else", Speech("Nope.")),  # talking is not hanging up
    )
    done = "Alright, it'll be behind the counter for you. Anything else?"
    assert line.lines("person")[-2:] == [done, "Alright then, goodbye."]
    assert line.when("Alright then, goodbye.") == pytest.approx(line.ends(done) + 2 * 12)
    assert record.task_done is True
    assert record.ended_by == "company" and line.hung_up_at is not None


async def test_a_person_gives_up_on_a_wrong_answer() -> None:
    record, line = await play(
        "corner-hardware",
        Cue("how can I help", Speech("Hi.")),
        Cue("What name", Speech("It's Bob.")),
    )
    ask = "Yep, we've got two of those. What name should I put it under?"
    assert record.answers == [(ask, "It's Bob.", False)]
    assert record.problems == ["asked for 'customer_name', heard \"It's Bob.\""]
    assert line.lines("person")[-1].startswith("Hmm, I can't find anything under that.")
    assert "And when are you coming by to pick it up?" not in line.lines()
    assert record.task_done is False
    assert record.ended_by == "company" and line.hung_up_at is not None


async def test_a_person_gives_up_when_a_question_gets_no_answer() -> None:
    record, line = await play("corner-hardware", Cue("how can I help", Speech("Hi.")))
    assert record.answers == [("Yep, we've got two of those. What name should I put it under?", "", False)]
    assert record.task_done is False and record.ended_by == "company"
    ask_end = line.ends("What name should I put it under?")
    assert line.when("Hmm, I can't find anything") == pytest.approx(ask_end + 12)


async def test_a_number_in_the_context_is_matched_as_text() -> None:
    record, _ = await play(
        "willow-creek",
        Cue("press 1", Keys("1")),
        Cue("this is Sarah", Speech("Hi, a room for Friday please.")),
        Cue("What name", Speech("Alex Morgan.")),
        Cue("how many guests", Speech("It's 2.")),
        Cue("anything else", Gone()),
    )
    assert [right for _, _, right in record.answers] == [True, True]
    assert record.task_done is True


METRO_CUES = (
    Cue("For billing and payment arrangements, press 2", Keys("2")),
    Cue("this is Dana", Speech("Hi, I need a payment plan.")),
    Cue("account number", Speech("It's 770045128.")),
    Cue("put you on hold", Speech("Sure, I'll hold.")),  # heard during the hold: it does not end it
    Cue("Thanks for holding. Okay", Speech("Great, thanks.")),
    Cue("service address", Speech("It's 12 Elm Street.")),
    Cue("Anything else", Gone()),
)


def fresh(cues: Iterable[Cue]) -> list[Cue]:
    return [Cue(c.hears, c.reply, c.delay, c.repeat) for c in cues]


async def test_a_person_puts_the_caller_on_hold_after_the_configured_answers() -> None:
    record, line = await play("metro-utility", *fresh(METRO_CUES))
    dana = load("metro-utility").steps["dana"]
    assert isinstance(dana, PersonStep) and dana.hold is not None
    assert line.lines("person") == [
        *dana.say,
        dana.questions[0].ask,
        dana.hold.say,
        dana.hold.back,
        dana.questions[1].ask,
        dana.done,
    ]
    assert line.away == [pytest.approx(line.ends(dana.hold.say))]
    personal_music = [u.text for u in line.said if u.speaker == "music" and u.at > line.away[0]]
    assert personal_music == dana.hold.music
    # The person is back `seconds` later (plus the time the music fragments take).
    assert line.when(dana.hold.back) - line.away[0] == pytest.approx(120, abs=2)
    assert (line.away[0], True) in line.hurries
    assert [right for _, _, right in record.answers] == [True, True]
    assert record.task_done is True and record.ended_by == "caller"
    # Both holds count: the 200 s queue and the person's own 120 s.
    assert record.hold_seconds == pytest.approx(320, abs=2)
    assert record.steps == ["main", "billing_queue", "dana"]


async def test_after_a_personal_hold_the_person_waits_for_the_caller_again() -> None:
    cues = [c for c in fresh(METRO_CUES) if not c.hears.startswith("Thanks for holding")]
    record, line = await play("metro-utility", *cues)
    back = "Thanks for holding. Okay, so I found a plan for you."
    assert line.lines("person")[-3:] == [back, "Hello? Is anyone there?", "I'm going to hang up now."]
    assert record.task_done is False and record.problems[-1] == "nobody answered the person"
    assert record.problems[0].startswith("the person waited")


PERSON_HOLD = """
name = "t"
company = "T"
start = "pat"
[call]
objective = "x"
context = {{ name = "Alex", day = "Monday" }}
[expect]
outcome = "completed"
[steps.pat]
kind = "person"
say = "Hi, Pat here."
questions = [{{ ask = "Your name?", expect = "name" }}, {{ ask = "Which day?", expect = "day" }}]
hold = {{ after = {after}, say = "Hold on a sec.", seconds = 30, back = "I'm back." }}
done = "Done. Anything else?"
"""


@pytest.mark.parametrize(
    ("after", "before"),
    [(0, "Your name?"), (1, "Which day?"), (2, "Done. Anything else?"), (9, "Done. Anything else?")],
)
async def test_the_personal_hold_comes_after_n_answers_or_after_the_last(
    tmp_path: Path, after: int, before: str
) -> None:
    record, line = await play(
        scenario_file(tmp_path, PERSON_HOLD.format(after=after)),
        Cue("Pat here", Speech("Hello.")),
        Cue("I'm back", Speech("Okay.")),
        Cue("Your name?", Speech("Alex.")),
        Cue("Which day?", Speech("Monday.")),
        Cue("Anything else", Gone()),
    )
    person = line.lines("person")
    assert person.index("I'm back.") == person.index("Hold on a sec.") + 1
    assert person[person.index("I'm back.") + 1] == before
    assert len(line.away) == 1
    assert record.hold_seconds == pytest.approx(30)
    assert record.task_done is True


# --- voicemail, closed, hangup ----------------------------------------------------------------


async def test_voicemail_records_then_hangs_up() -> None:
    record, line = await play("riverside-clinic")
    last = "Otherwise, please leave a message after the tone and we will return your call the next business day."
    assert line.lines("machine")[-1] == last and len(line.lines()) == 3
    assert line.hung_up_at == pytest.approx(line.ends(last) + 60)
    assert line.hurries == [(line.ends(last), True), (line.ends(last) + 60, False)]
    assert record.ended_by == "company" and record.steps == ["after_hours"]
    assert record.hold_seconds == 0.0


async def test_a_caller_who_hangs_up_on_voicemail_ends_the_call() -> None:
    record, line = await play("riverside-clinic", Cue("leave a message", Gone(), delay=2))
    assert record.ended_by == "caller" and line.hung_up_at is None


CLOSED = """
name = "t"
company = "T"
start = "shut"
[call]
objective = "x"
[expect]
outcome = "closed"
[steps.shut]
kind = "closed"
say = ["We are closed.", "Call back tomorrow."]
linger = 30
"""


async def test_closed_lingers_then_hangs_up(tmp_path: Path) -> None:
    record, line = await play(scenario_file(tmp_path, CLOSED))
    assert line.lines() == ["We are closed.", "Call back tomorrow."]
    assert line.hung_up_at == pytest.approx(line.ends("Call back tomorrow.") + 30)
    assert record.ended_by == "company"


async def test_a_hangup_step_says_goodbye_and_hangs_up() -> None:
    record, line = await play("bluewave-telecom", Cue("press 4", Keys("1")))
    assert record.steps == ["main", "gone"]
    assert line.lines()[-1] == "Goodbye."
    assert line.hung_up_at == pytest.approx(line.ends("Goodbye."))
    assert record.ended_by == "company"


async def test_a_full_call_records_the_path_the_hold_and_the_finished_task() -> None:
    record, line = await play(
        "willow-creek",
        Cue("press 1", Keys("1")),
        Cue("this is Sarah", Speech("Hi, I'd like to book a room for Friday night.")),
        Cue("What name", Speech("It's Alex Morgan.")),
        Cue("how many guests", Speech("It's 2.")),
        Cue("anything else", Gone()),
    )
    assert record.steps == ["main", "reservations", "sarah"]
    assert record.keys == ["1"]
    assert record.hold_seconds == pytest.approx(150, abs=1.5)
    assert record.task_done is True
    assert record.ended_by == "caller"
    assert record.problems == []
    assert line.cleared >= 3  # each menu, the pickup and each question want fresh input
