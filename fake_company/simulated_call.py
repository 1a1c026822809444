"""One simulated call: Telnyx, the fake company and the two AI Assistants, around the service.

The company (company.py) speaks through this call's `Line`. What it says becomes
`call.transcription` webhooks (interim results, then the final one) while Telnyx
transcription is running (Telnyx sends none otherwise), and is heard by whichever assistant
is running. Commands the service sends to the Telnyx stand-in arrive through `on_command`
and act on the call: DTMF reaches the company, an assistant starts or stops, transcription
starts or stops, a hangup ends the call. The scripted assistants (assistants.py) press
keys, report hold and end the call only through the service's tool endpoints, as a
configured Telnyx assistant would, and know only what the service told them.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from .assistants import EndCall, PressKeys, ReportHold, Speak, approved_details, ivr_reaction, representative_reaction
from .company import Company, Gone, Heard, Keys, Record, Speech
from .scenario import Scenario
from .webhook_delivery import CallEvents, DeliveryStats, WebhookDelivery

WORDS_PER_SECOND = 2.6
PAUSE_AFTER_SPEECH = 0.4  # company seconds between one utterance and the next
RING_SECONDS = 2.0
ANSWER_SETTLE_SECONDS = 1.0  # the line connects before the company starts talking
THINK_SECONDS = 0.8  # an assistant's reaction time
INTERIM_AT = (0.4, 0.75)  # shares of an utterance after which an interim result is sent
CONFIDENCE = {"machine": (0.90, 0.99), "person": (0.84, 0.97), "music": (0.25, 0.55)}
# Deepgram's partial results carry no real confidence: Telnyx reports 0.0 for them.
INTERIM_CONFIDENCE = 0.0
# Tool answers that mean the service (or our scripted assistant) got something wrong. A 409
# is not among them: an assistant reporting hold just after a transcript moved the call to
# hold is a race the service rightly refuses.
BAD_TOOL_STATUS = frozenset({400, 401, 403, 404, 413, 415, 422, 429})


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
    spoken: list[str] = field(default_factory=list)  # what the assistants said
    pickups: list[Pickup] = field(default_factory=list)
    tool_replies: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what the service got wrong, as seen here
    timed_out: bool = False


@dataclass
class _RunningAssistant:
    role: str
    body: dict[str, Any]
    conversation_id: str
    started_at: float
    done: set[str] = field(default_factory=set)


class ToolClient:
    """The assistants' webhook tools: POST /tools/* with the tool token, naming the call."""

    def __init__(self, client: httpx.AsyncClient, token: str | None, call_control_id: str) -> None:
        self._client = client
        self._headers = {"authorization": f"Bearer {token}"} if token else {}
        self._call = call_control_id

    async def call(self, tool: str, **body: Any) -> tuple[int, str]:
        """(HTTP status, what the service said); status 0 when no answer came."""
        try:
            response = await self._client.post(
                f"/tools/{tool}", json={"call_control_id": self._call, **body}, headers=self._headers
            )
        except httpx.HTTPError as error:
            return 0, type(error).__name__
        try:
            message = str(response.json().get("message", ""))
        except ValueError:
            message = response.text[:120]
        return response.status_code, message


class SimulatedCall:
    """Implements company.Line for one call, and plays Telnyx and the assistants around it."""

    def __init__(
        self,
        scenario: Scenario,
        call_control_id: str,
        dial_body: dict[str, Any],
        delivery: WebhookDelivery,
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
        self.tools: ToolClient | None = None  # set once the service has told us its session
        self._rng = random.Random(seed)
        self._loop = asyncio.get_running_loop()
        # The company clock: `_company_at` seconds at real time `_real_at`, running at `_rate`.
        self._company_at, self._real_at, self._rate = 0.0, self._loop.time(), self.talk_speed
        self.events = CallEvents(call_control_id, dial_body, datetime.now(UTC), self.now)
        self._delivery = delivery
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
        # Telnyx sends call.initiated as the dial is accepted, often before its HTTP answer.
        self._delivery.start()
        self._delivery.send(self.events.envelope("call.initiated", direction="outgoing", state="bridging"))

    @property
    def delivery_stats(self) -> DeliveryStats:
        return self._delivery.stats

    # --- the whole call ---------------------------------------------------------------------

    async def play(self, timeout: float) -> Record:
        """Ring, answer, let the company play; after `timeout` real seconds the company hangs up."""
        try:
            await self._sleep(RING_SECONDS)
            self._delivery.send(self.events.envelope("call.answered"))
            await self._sleep(ANSWER_SETTLE_SECONDS)
            await asyncio.wait_for(self.company.run(), timeout)
        except TimeoutError:
            self.log.timed_out = True
            await self.hang_up()
        finally:
            self._over = True
            for task in list(self._tasks):
                task.cancel()
            await self._delivery.drain()
        return self.company.record

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
                    self._delivery.send(self.events.transcription(_unformatted(prefix), False, INTERIM_CONFIDENCE))
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

    def on_command(self, action: str, body: dict[str, Any], answer: dict[str, Any]) -> None:
        # Telnyx echoes the client_state of the command behind each later webhook.
        if isinstance(body.get("client_state"), str):
            self.events.client_state = body["client_state"]
        if action == "ai_assistant_start":
            self._start_assistant(body, str(answer.get("conversation_id", "")))
        elif action == "ai_assistant_stop":
            self._stop_assistant()
            self.log.commands.append(action)
        elif action in ("transcription_start", "transcription_stop"):
            self._transcribing = action == "transcription_start"
            self.log.commands.append(action)
        elif action == "send_dtmf":
            digits = str(body.get("digits", ""))
            self.log.commands.append(f"send_dtmf {digits}")
            self._inbox.put_nowait(Keys(digits))
        elif action == "hangup":
            self.log.commands.append(action)
            if not self._over:
                self._over = True
                self._inbox.put_nowait(Gone())
                self._delivery.send(self.events.hangup("normal_clearing", "caller"))
        else:
            self.log.commands.append(action)

    def _start_assistant(self, body: dict[str, Any], conversation_id: str) -> None:
        assistant_id = body.get("assistant", {}).get("id")
        if assistant_id == self._ids.representative:
            role = "representative"
        elif assistant_id == self._ids.ivr:
            role = "ivr"
        else:
            role = f"unknown assistant {assistant_id!r}"
            self.log.problems.append(f"started {role}")
        self.log.commands.append(f"ai_assistant_start({role})")
        if self._assistant is not None:
            self.log.problems.append(f"started the {role} assistant while the {self._assistant.role} one still ran")
        self._assistant = _RunningAssistant(role, body, conversation_id, self.now())
        self._delivery.send(self.events.envelope("call.conversation.created", conversation_id=conversation_id))
        if role != "representative":
            return
        self.log.pickups.append(Pickup(self.now(), self._turn_started_at, self._turn_utterances))
        variables = body.get("assistant", {}).get("dynamic_variables", {})
        if variables.get("objective") != self.scenario.call.objective:
            self.log.problems.append("the representative assistant was not given the objective")
        greeting = body.get("greeting")
        if isinstance(greeting, str) and greeting:
            self._react(self._assistant, Speak(greeting))
        else:
            self.log.problems.append("the representative assistant was started without a greeting")

    def _stop_assistant(self) -> None:
        assistant = self._assistant
        if assistant is None:
            return
        self._assistant = None
        self._delivery.send(
            self.events.envelope(
                "call.conversation.ended",
                assistant_id=assistant.body.get("assistant", {}).get("id"),
                conversation_id=assistant.conversation_id,
                duration_sec=round(self.now() - assistant.started_at),
                reason="assistant_stopped",
                messages=[],
            )
        )

    # --- the assistants ---------------------------------------------------------------------

    def _heard_by_assistant(self, text: str) -> None:
        assistant = self._assistant
        if assistant is None:
            return
        if assistant.role == "ivr":
            # Only what the service sent: a missing objective leaves the assistant lost.
            variables = assistant.body.get("assistant", {}).get("dynamic_variables", {})
            objective = str(variables.get("objective", ""))
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
            return
        body: dict[str, str | float]
        if isinstance(action, PressKeys):
            tool, body = "send-dtmf", {"digits": action.digits, "reason": action.reason}
        elif isinstance(action, ReportHold):
            tool, body = "hold-detected", {"reason": action.reason, "confidence": 0.9}
        else:
            tool, body = "end-call", {"reason": action.reason}
        if self.tools is None:
            self.log.problems.append(f"{tool}: the assistant had no tool endpoint yet")
            return
        status, message = await self.tools.call(tool, **body)
        self.log.tool_replies.append(f"{tool} {body.get('digits', '')}".rstrip() + f": {status} {message}")
        if status == 0 or status >= 500 or status in BAD_TOOL_STATUS:
            self.log.problems.append(f"{tool} answered {status or 'nothing'}: {message[:100]}")

    async def _sleep(self, company_seconds: float) -> None:
        await asyncio.sleep(max(0.0, company_seconds) / self._rate)


def _unformatted(text: str) -> str:
    """How an interim result reads: lower case, no punctuation."""
    return re.sub(r"[^\w\s'-]", "", text).lower()
