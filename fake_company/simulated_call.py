"""One simulated call: Telnyx, the fake company and the two AI Assistants, around the service.

The company (company.py) speaks through this call's `Line`. What it says becomes
`call.transcription` webhooks (interim results, then the final one) while Telnyx
transcription is running, and is heard by whichever assistant is running. Commands the
service sends to the Telnyx stand-in arrive here through `on_command` and act on the call:
DTMF reaches the company's menu, an assistant starts or stops, transcription starts or
stops, a hangup ends the call. The scripted assistants (assistants.py) press keys, report
hold and end the call only through the service's tool endpoints, as a configured Telnyx
assistant would.

Company time runs faster than real time: at `speed` while the company only makes us wait
(a hold, a voicemail recording), and at `talk_speed` (lower) while anyone talks or waits for
an answer, so that the service's and the assistants' reaction times (real milliseconds) stay
realistic in company seconds. The service sees company time only through the webhooks'
`occurred_at`.
"""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from .assistants import EndCall, PressKeys, ReportHold, Speak, approved_details, ivr_reaction, representative_reaction
from .company import Company, Gone, Heard, Keys, Record, Speech
from .scenario import Scenario
from .webhook_delivery import CallEvents, WebhookDelivery

WORDS_PER_SECOND = 2.6
PAUSE_AFTER_SPEECH = 0.4  # company seconds between one utterance and the next
RING_SECONDS = 2.0
ANSWER_SETTLE_SECONDS = 1.0  # the line connects before the company starts talking
THINK_SECONDS = 0.8  # an assistant's reaction time
INTERIM_AT = (0.4, 0.75)  # shares of an utterance after which an interim result is sent
CONFIDENCE = {"machine": (0.90, 0.99), "person": (0.84, 0.97), "music": (0.25, 0.55)}


@dataclass(frozen=True)
class AssistantIds:
    ivr: str
    representative: str


@dataclass
class Pickup:
    """The representative assistant starting, seen against what the person had said."""

    at: float  # company seconds
    turn_started_at: float | None  # when the person's current turn began; None: nobody was talking
    utterances_before: int  # the person's utterances finished before the start

    @property
    def early(self) -> bool:
        return self.turn_started_at is None


@dataclass
class CallLog:
    commands: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)  # what the assistants said
    pickups: list[Pickup] = field(default_factory=list)
    tool_replies: list[str] = field(default_factory=list)
    ended_at: float | None = None


@dataclass
class _RunningAssistant:
    role: str
    body: dict[str, Any]
    done: set[str] = field(default_factory=set)
    conversation_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class ToolClient:
    """The assistants' webhook tools: POST /tools/* with the tool token, naming the call."""

    def __init__(self, client: httpx.AsyncClient, token: str | None, call_control_id: str) -> None:
        self._client = client
        self._headers = {"authorization": f"Bearer {token}"} if token else {}
        self._call = call_control_id

    async def call(self, tool: str, **body: Any) -> str:
        try:
            response = await self._client.post(
                f"/tools/{tool}", json={"call_control_id": self._call, **body}, headers=self._headers
            )
        except httpx.HTTPError as error:
            return f"{tool}: {type(error).__name__}"
        try:
            message = response.json().get("message", "")
        except ValueError:
            message = response.text[:120]
        return f"{tool}: {response.status_code} {message}"


class SimulatedCall:
    """Implements company.Line for one call, and plays Telnyx and the assistants around it."""

    def __init__(
        self,
        scenario: Scenario,
        call_control_id: str,
        dial_body: dict[str, Any],
        delivery: WebhookDelivery,
        tools: ToolClient,
        assistant_ids: AssistantIds,
        speed: float,
        talk_speed: float,
        seed: int,
        mark_gone: Callable[[str], None],
    ) -> None:
        self.scenario = scenario
        self.call_control_id = call_control_id
        self.speed = speed
        self.talk_speed = min(speed, talk_speed)
        self.log = CallLog()
        self._rng = random.Random(seed)
        self._loop = asyncio.get_running_loop()
        # The company clock: `_company_at` seconds at real time `_real_at`, running at `_rate`.
        self._company_at, self._real_at, self._rate = 0.0, self._loop.time(), self.talk_speed
        self.events = CallEvents(call_control_id, dial_body, datetime.now(UTC), self.now)
        self._delivery = delivery
        self._tools = tools
        self._ids = assistant_ids
        self._mark_gone = mark_gone
        self._inbox: asyncio.Queue[Heard] = asyncio.Queue()
        self._transcribing = False
        self._assistant: _RunningAssistant | None = None
        self._turn_started_at: float | None = None
        self._turn_utterances = 0
        self._over = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.company = Company(scenario, self, seed=seed)

    # --- the whole call ---------------------------------------------------------------------

    async def play(self) -> Record:
        self._delivery.start()
        self._delivery.send(self.events.envelope("call.initiated", direction="outgoing", state="bridging"))
        await self._sleep(RING_SECONDS)
        self._delivery.send(self.events.envelope("call.answered"))
        await self._sleep(ANSWER_SETTLE_SECONDS)
        try:
            record = await self.company.run()
        finally:
            self._over = True
            for task in list(self._tasks):
                task.cancel()
            await self._delivery.drain()
        return record

    async def abandon(self) -> None:
        """The simulator gives up on the call (it ran too long): the company hangs up."""
        if not self._over:
            await self.hang_up()

    # --- company.Line -----------------------------------------------------------------------

    def now(self) -> float:
        return self._company_at + (self._loop.time() - self._real_at) * self._rate

    def hurry(self, on: bool) -> None:
        self._company_at, self._real_at = self.now(), self._loop.time()
        self._rate = self.speed if on else self.talk_speed

    async def say(self, text: str, speaker: str) -> None:
        if self._over:
            return
        if speaker == "person" and self._turn_started_at is None:
            self._turn_started_at, self._turn_utterances = self.now(), 0
        elif speaker != "person":
            self._turn_started_at = None
        words = text.split()
        duration = max(0.6, len(words) / WORDS_PER_SECOND)
        spoken = 0.0
        if speaker != "music" and len(words) >= 4:
            # Interim results part of the way through, as the transcriber hears the words.
            for share in INTERIM_AT:
                await self._sleep(duration * share - spoken)
                spoken = duration * share
                if self._transcribing and not self._over:
                    prefix = " ".join(words[: max(1, int(len(words) * share))])
                    self._delivery.send(self.events.transcription(_unformatted(prefix), False, None))
        await self._sleep(duration - spoken)
        if self._over:
            return
        if self._transcribing:
            self._delivery.send(self.events.transcription(text, True, self._rng.uniform(*CONFIDENCE[speaker])))
        if speaker == "person":
            self._turn_utterances += 1
        self._heard_by_assistant(text)
        await self._sleep(PAUSE_AFTER_SPEECH)

    async def listen(self, seconds: float) -> Heard | None:
        if self._over:
            return Gone()
        try:
            return await asyncio.wait_for(self._inbox.get(), max(0.0, seconds) / self._rate)
        except TimeoutError:
            return None

    def clear(self) -> None:
        while not self._inbox.empty():
            heard = self._inbox.get_nowait()
            if isinstance(heard, Gone):
                self._inbox.put_nowait(heard)
                return

    async def hang_up(self) -> None:
        if self._over:
            return
        self._over = True
        self.log.ended_at = self.now()
        self._mark_gone(self.call_control_id)
        self._delivery.send(self.events.hangup("normal_clearing", "callee"))

    async def signal_hold(self, on: bool) -> None:
        if not on:
            # Taking the caller off hold is the person's doing: they are there from now on.
            self._turn_started_at, self._turn_utterances = self.now(), 0
        self._delivery.send(self.events.envelope("call.hold" if on else "call.unhold"))

    def person_away(self) -> None:
        self._turn_started_at = None

    # --- commands from the service, through the Telnyx stand-in -----------------------------

    def on_command(self, action: str, body: dict[str, Any]) -> None:
        if action == "ai_assistant_start":
            self._start_assistant(body)
        elif action == "ai_assistant_stop":
            if self._assistant is not None:
                self._delivery.send(
                    self.events.envelope(
                        "call.conversation.ended",
                        client_state=self._assistant.body.get("client_state"),
                        conversation_id=self._assistant.conversation_id,
                        reason="assistant_stopped",
                    )
                )
            self._assistant = None
            self.log.commands.append(action)
        elif action in ("transcription_start", "transcription_stop"):
            self._transcribing = action == "transcription_start"
            self.log.commands.append(action)
        elif action == "send_dtmf":
            digits = str(body.get("digits", ""))
            self.log.keys.append(digits)
            self.log.commands.append(f"send_dtmf {digits}")
            self._inbox.put_nowait(Keys(digits))
        elif action == "hangup":
            self.log.commands.append(action)
            if not self._over:
                self._over = True
                self.log.ended_at = self.now()
                self._inbox.put_nowait(Gone())
                self._delivery.send(self.events.hangup("normal_clearing", "caller"))
        else:
            self.log.commands.append(action)

    def _start_assistant(self, body: dict[str, Any]) -> None:
        assistant_id = body.get("assistant", {}).get("id")
        role = "representative" if assistant_id == self._ids.representative else "ivr"
        if assistant_id not in (self._ids.ivr, self._ids.representative):
            role = f"unknown assistant {assistant_id!r}"
        self.log.commands.append(f"ai_assistant_start({role})")
        self._assistant = _RunningAssistant(role, body)
        self._delivery.send(
            self.events.envelope(
                "call.conversation.created",
                client_state=body.get("client_state"),
                conversation_id=self._assistant.conversation_id,
            )
        )
        if role == "representative":
            self.log.pickups.append(Pickup(self.now(), self._turn_started_at, self._turn_utterances))
            greeting = body.get("greeting")
            if isinstance(greeting, str) and greeting:
                self._react(self._assistant, Speak(greeting))

    # --- the assistants ---------------------------------------------------------------------

    def _heard_by_assistant(self, text: str) -> None:
        assistant = self._assistant
        if assistant is None:
            return
        if assistant.role == "ivr":
            variables = assistant.body.get("assistant", {}).get("dynamic_variables", {})
            objective = str(variables.get("objective", self.scenario.call.objective))
            action = ivr_reaction(text, objective, approved_details(assistant.body), assistant.done)
        elif assistant.role == "representative":
            action = representative_reaction(text, assistant.body)
        else:
            action = None
        if action is not None:
            self._react(assistant, action)

    def _react(self, assistant: _RunningAssistant, action: PressKeys | Speak | ReportHold | EndCall) -> None:
        task = asyncio.create_task(self._act(assistant, action))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _act(self, assistant: _RunningAssistant, action: PressKeys | Speak | ReportHold | EndCall) -> None:
        await self._sleep(THINK_SECONDS)
        if self._assistant is not assistant or self._over:
            return  # stopped meanwhile: a stopped assistant does nothing more
        if isinstance(action, Speak):
            self.log.spoken.append(f"{assistant.role}: {action.text}")
            self._inbox.put_nowait(Speech(action.text))
        elif isinstance(action, PressKeys):
            self.log.tool_replies.append(await self._tools.call("send-dtmf", digits=action.digits, reason=action.reason))
        elif isinstance(action, ReportHold):
            self.log.tool_replies.append(await self._tools.call("hold-detected", reason=action.reason, confidence=0.9))
        else:
            self.log.tool_replies.append(await self._tools.call("end-call", reason=action.reason))

    async def _sleep(self, company_seconds: float) -> None:
        await asyncio.sleep(max(0.0, company_seconds) / self._rate)


def _unformatted(text: str) -> str:
    """How an interim result reads: lower case, no punctuation."""
    return re.sub(r"[^\w\s'-]", "", text).lower()
