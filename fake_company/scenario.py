"""A fake company, as data: what it says, how its menus branch, how long it keeps you on hold,
who picks up and what they ask, and what the agent should achieve.

Scenarios are TOML files (stdlib `tomllib`), validated here with clear errors; the format is
documented in fake_company/README.md. A step is one of:

    menu       say a prompt; keys (`options`) or spoken words (`phrases`) lead to other steps,
               or `collect` a context field keyed in, then go to `then`
    hold       an intro, periodic announcements, music, for `duration` seconds, then `then`
               (a step, or "drop": the company hangs up)
    person     someone picks up, greets, asks `questions`, may put us on `hold` and return,
               says `done`, and waits for us to hang up
    voicemail  a greeting and a beep; the line records for `record` seconds, then hangs up
    closed     a closed-office message; the line hangs up after `linger` seconds
    hangup     a goodbye, then the company hangs up
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hold_agent.errors import DataError

SCENARIOS = Path(__file__).parent / "scenarios"
# Targets that are not steps.
DROP = "drop"
HANGUP = "hangup"

ContextValue = str | int | float | bool
# Every outcome the service records (API.md lists them): an expectation must be one of these.
OUTCOMES = frozenset(
    {
        "completed",
        "ended_by_agent",
        "dial_failed",
        "busy",
        "rejected",
        "no_answer",
        "invalid_number",
        "time_limit",
        "cancelled",
        "hung_up_by_company",
        "hung_up_by_agent",
        "hung_up",
        "failed",
        "disconnected",
        "assistant_failed",
        "ivr_timeout",
        "hold_timeout",
        "call_timeout",
        "voicemail",
        "closed",
    }
)


def _as_lines(value: object) -> object:
    return [value] if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MenuStep(_Strict):
    kind: Literal["menu"]
    say: list[str]
    options: dict[str, str] = Field(default_factory=dict, description="key pressed -> step")
    phrases: dict[str, str] = Field(default_factory=dict, description="word heard -> step")
    collect: str | None = Field(default=None, description="context field the caller must key in")
    then: str | None = Field(default=None, description="step after a correct `collect`")
    invalid: str = "Sorry, that is not a valid option."
    wait: float = Field(default=8.0, gt=0, description="seconds to wait for an answer")
    attempts: int = Field(default=3, ge=1)
    on_timeout: str = HANGUP

    _lines = field_validator("say", mode="before")(_as_lines)

    def route(self, keys: str, speech: str, context: dict[str, ContextValue]) -> str | None:
        """The step an answer leads to, or None: keys as an option or as the collected field's
        digits (a trailing # is fine; w/W pauses are not keys), else a phrase in the speech."""
        keys = keys.replace("w", "").replace("W", "").strip()
        if keys in self.options:
            return self.options[keys]
        if self.collect and self.then and keys:
            expected = "".join(ch for ch in str(context.get(self.collect, "")) if ch.isdigit())
            if keys.rstrip("#") == expected:
                return self.then
        said = speech.lower()
        return next((target for word, target in self.phrases.items() if said and word.lower() in said), None)

    @model_validator(mode="after")
    def _has_a_way_out(self) -> MenuStep:
        if not (self.options or self.phrases or self.collect):
            raise ValueError("a menu needs options, phrases or collect")
        if self.collect and not self.then:
            raise ValueError("a menu that collects a field needs `then`")
        for key in self.options:
            if not key or any(ch not in "0123456789*#" for ch in key):
                raise ValueError(f"option {key!r} is not a keypad key sequence")
        return self


class Announcement(_Strict):
    say: list[str]
    first: float = Field(default=20.0, ge=0, description="seconds into the hold")
    every: float = Field(default=45.0, gt=0, description="seconds between repeats")

    _lines = field_validator("say", mode="before")(_as_lines)


class HoldStep(_Strict):
    kind: Literal["hold"]
    say: list[str] = Field(default_factory=list)
    announcements: list[Announcement] = Field(default_factory=list)
    music: list[str] = Field(default_factory=list, description="what the transcriber makes of the music")
    music_every: float = Field(default=15.0, gt=0)
    duration: float = Field(gt=0, description="seconds on hold before `then`")
    then: str
    sip_hold: bool = Field(default=False, description="also signal call.hold / call.unhold")

    _lines = field_validator("say", mode="before")(_as_lines)

    def announcement_times(self) -> list[tuple[float, list[str]]]:
        """(seconds into the hold, what is said), for every repeat of every announcement, in order."""
        moments = []
        for announcement in self.announcements:
            at = announcement.first
            while at < self.duration:
                moments.append((at, announcement.say))
                at += announcement.every
        return sorted(moments, key=lambda moment: moment[0])


class Question(_Strict):
    ask: str
    expect: str = Field(description="the context field whose value the answer must contain")


class PersonHold(_Strict):
    after: int = Field(ge=0, description="after this many questions are answered")
    say: str
    seconds: float = Field(gt=0)
    music: list[str] = Field(default_factory=list)
    back: str


class PersonStep(_Strict):
    kind: Literal["person"]
    say: list[str]
    questions: list[Question] = Field(default_factory=list)
    hold: PersonHold | None = None
    done: str = "You're all set. Is there anything else I can help with?"
    patience: float = Field(default=12.0, gt=0, description="seconds they wait for us before giving up")

    _lines = field_validator("say", mode="before")(_as_lines)

    @property
    def hold_at(self) -> int | None:
        """After how many answers the person's own hold comes (at the latest, after all)."""
        return None if self.hold is None else min(self.hold.after, len(self.questions))


class VoicemailStep(_Strict):
    kind: Literal["voicemail"]
    say: list[str]
    record: float = Field(default=60.0, gt=0)

    _lines = field_validator("say", mode="before")(_as_lines)


class ClosedStep(_Strict):
    kind: Literal["closed"]
    say: list[str]
    linger: float = Field(default=30.0, gt=0)

    _lines = field_validator("say", mode="before")(_as_lines)


class HangupStep(_Strict):
    kind: Literal["hangup"]
    say: list[str] = Field(default_factory=list)

    _lines = field_validator("say", mode="before")(_as_lines)


Step = Annotated[
    MenuStep | HoldStep | PersonStep | VoicemailStep | ClosedStep | HangupStep, Field(discriminator="kind")
]


class CallSpec(_Strict):
    to: str = "+15550100000"
    objective: str
    context: dict[str, ContextValue] = Field(default_factory=dict)


class Expect(_Strict):
    outcome: str = Field(description="the session outcome the agent must reach")
    path: list[str] | None = Field(default=None, description="keys the agent must press, in order")

    @field_validator("outcome")
    @classmethod
    def _known_outcome(cls, value: str) -> str:
        if value not in OUTCOMES:
            raise ValueError(f"{value!r} is not an outcome the service records: one of {', '.join(sorted(OUTCOMES))}")
        return value


class Scenario(_Strict):
    name: str
    company: str
    description: str = ""
    call: CallSpec
    expect: Expect
    start: str
    steps: dict[str, Step]

    @model_validator(mode="after")
    def _references_exist(self) -> Scenario:
        def check(target: str, where: str, allowed: tuple[str, ...] = ()) -> None:
            if target not in self.steps and target not in allowed:
                raise ValueError(f"{where} names step {target!r}, which does not exist")

        for reserved in (DROP, HANGUP):
            if reserved in self.steps:
                raise ValueError(f"a step may not be named {reserved!r}: it means the company hangs up")
        check(self.start, "start")
        for name, step in self.steps.items():
            if isinstance(step, MenuStep):
                for target in [*step.options.values(), *step.phrases.values()]:
                    check(target, f"steps.{name}")
                if step.then:
                    check(step.then, f"steps.{name}.then")
                check(step.on_timeout, f"steps.{name}.on_timeout", (HANGUP,))
                if step.collect and step.collect not in self.call.context:
                    raise ValueError(f"steps.{name}.collect names {step.collect!r}, which call.context lacks")
            elif isinstance(step, HoldStep):
                check(step.then, f"steps.{name}.then", (DROP,))
            elif isinstance(step, PersonStep):
                for question in step.questions:
                    if question.expect not in self.call.context:
                        raise ValueError(f"steps.{name} asks for {question.expect!r}, which call.context lacks")
        return self


class ScenarioError(DataError):
    """A scenario that cannot be found or read; the message says why."""


def shipped() -> list[str]:
    return sorted(path.stem for path in SCENARIOS.glob("*.toml"))


def load(name_or_path: str) -> Scenario:
    """A shipped scenario by name (never a file that happens to share the name), else a file."""
    path = SCENARIOS / f"{name_or_path}.toml" if name_or_path in shipped() else Path(name_or_path)
    if not path.is_file():
        raise ScenarioError(f"no scenario {name_or_path!r}: not a file, and not one of {', '.join(shipped())}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(top)'}: {item['msg']}" for item in error.errors()
        )
        raise ScenarioError(f"{path}: {problems}") from None


def slug(scenario_file: str | Path) -> str:
    return Path(scenario_file).stem
