"""The orchestrator: the only code that loads, steps and saves a session.

For every fact (a webhook, a tool call, a command result) it takes the call's lock, drops a
webhook id it has already processed, runs `machine.step`, saves the new session and hands
the step's commands to the call's outbox, in that order. Routes only parse, call the
service, and shape the answer.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from hold_agent.config import Settings
from hold_agent.core import machine
from hold_agent.core.commands import Command, Hangup, SendDtmf
from hold_agent.core.events import (
    CallDialed,
    CommandSettled,
    DialFailed,
    DtmfRequested,
    EndRequested,
    Event,
    HoldSignalled,
    ProcessingFailed,
    TimeElapsed,
)
from hold_agent.core.outcomes import Refusal
from hold_agent.core.session import CallPolicy, CallSession, CallState, ContextValue
from hold_agent.errors import (
    BadRequest,
    CallerError,
    Conflict,
    NotAllowed,
    NotFound,
    RateLimited,
    Unavailable,
    UpstreamError,
)
from hold_agent.runtime.outbox import Delivery, Outbox, Settlement
from hold_agent.runtime.rate import SlidingWindow
from hold_agent.runtime.retry import Retrier, RetryPolicy
from hold_agent.runtime.store import SessionStore
from hold_agent.telnyx.bodies import action_body, dial_body
from hold_agent.telnyx.client import CallControl
from hold_agent.telnyx.numbers import special_rate_problem
from hold_agent.telnyx.webhooks import ParsedWebhook

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# How long a tool request waits for its own command to reach Telnyx before answering.
TOOL_WAIT_SECONDS = 8.0
# An allowlist entry with more digits than this (after the "+") names a number range
# specifically enough to allow its special rates: +1900 does, +1 or +44 does not.
SPECIFIC_PREFIX_DIGITS = 3
# Tool requests remembered for de-duplication: a replay comes within the signature's
# five-minute tolerance, and a few thousand cover any load we take.
MAX_REMEMBERED_TOOL_REQUESTS = 5000
# What a 429 for too many concurrent calls suggests: calls end on their own schedule.
CONCURRENCY_RETRY_AFTER_SECONDS = 30


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CallRequest:
    """A call to place: what the requester asked for, already validated by the API."""

    to: str
    target_company: str
    objective: str
    context: dict[str, ContextValue] = field(default_factory=dict)
    greeting: str | None = None
    allowed_digits: str | None = None


class WebhookResult(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"  # this webhook id was processed before
    IGNORED = "ignored"  # accepted, but nothing to do with it (an unknown call, an event we do not use)
    ERROR = "error"  # processing failed; recorded on the call and in the log


@dataclass(frozen=True)
class WebhookOutcome:
    result: WebhookResult
    reason: str
    session_id: str | None = None
    state: CallState | None = None


class ToolResult(StrEnum):
    DONE = "done"
    REFUSED = "refused"  # the machine declined it; `refusal` says why
    PENDING = "pending"  # its command is still on the way to Telnyx
    FAILED = "failed"  # Telnyx did not take its command


@dataclass(frozen=True)
class ToolOutcome:
    result: ToolResult
    message: str  # spoken back to the assistant
    state: CallState
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.result is ToolResult.DONE


class CallService:
    def __init__(
        self,
        settings: Settings,
        call_control: CallControl,
        store: SessionStore | None = None,
        clock: Clock = utc_now,
        retrier: Retrier | None = None,
    ) -> None:
        self.settings = settings
        self.call_control = call_control
        self.store = store or SessionStore()
        self.clock = clock
        self.retrier = retrier or Retrier(
            RetryPolicy(
                attempt_timeout=settings.command_attempt_timeout_seconds,
                deadline=settings.command_deadline_seconds,
            )
        )
        self.outbox = Outbox(call_control, self.retrier, self._record_settlement, self._skip_reason)
        self.tool_wait_seconds = TOOL_WAIT_SECONDS
        self.dials_per_minute = SlidingWindow(settings.max_calls_per_minute)
        # Tool requests by their identity (see `once`), oldest first.
        self._tool_runs: dict[str, asyncio.Future[ToolOutcome]] = {}
        # Sessions whose dial request is still in flight: never evicted under it.
        self._dialing: set[str] = set()

    # --- placing a call -------------------------------------------------------------------

    async def start_call(self, request: CallRequest) -> CallSession:
        missing = self.settings.missing_for_real_calls()
        if missing:
            raise Unavailable(
                "Real calls need these settings: " + ", ".join(missing) + ". Set them, or use TELNYX_DRY_RUN=true.",
                code="not_configured",
                missing=missing,
            )
        self._check_destination(request.to)
        now = self.clock()
        self._check_rate(now)
        session = CallSession(
            session_id=uuid.uuid4().hex,
            to=request.to,
            target_company=request.target_company,
            objective=request.objective,
            context=request.context,
            greeting=request.greeting,
            policy=CallPolicy(
                transcribe_during_ivr=self.settings.start_transcription_during_ivr,
                allowed_digits=request.allowed_digits,
                max_ivr_seconds=self.settings.max_ivr_seconds,
                max_hold_seconds=self.settings.max_hold_seconds,
                max_call_seconds=self.settings.max_call_seconds,
            ),
            created_at=now,
            updated_at=now,
        )
        # Checked and recorded with no await in between, so concurrent requests cannot both
        # slip under a limit.
        self.store.save(session)
        self.dials_per_minute.record(now.timestamp())
        body = dial_body(self.settings, session.session_id, request.to, time_limit=self.settings.max_call_seconds)
        # Re-sending a dial is safe: Telnyx ignores a dial whose command_id it has seen.
        self._dialing.add(session.session_id)
        try:
            attempted = await self.retrier.run(lambda: self.call_control.dial(body))
        finally:
            self._dialing.discard(session.session_id)
        if attempted.error is not None or attempted.value is None:
            summary = attempted.error.summary() if attempted.error else "no answer"
            await self._apply(session.session_id, DialFailed(reason=summary))
            raise UpstreamError(f"The call could not be placed: {summary}", code="dial_failed") from None
        dialed = attempted.value
        await self._apply(
            session.session_id,
            CallDialed(
                call_control_id=dialed.call_control_id,
                call_leg_id=dialed.call_leg_id,
                call_session_id=dialed.call_session_id,
            ),
        )
        return self.store.get(session.session_id) or session

    def _check_destination(self, to: str) -> None:
        allowed = self.settings.allowed_destinations
        listed = any(to.startswith(entry) for entry in allowed)
        # A special rate must be asked for by name: "+1" allows the United States, not +1 900.
        named = any(to.startswith(entry) and len(entry) > SPECIFIC_PREFIX_DIGITS for entry in allowed)
        if allowed and not listed:
            raise NotAllowed(
                "That destination is not on DESTINATION_ALLOWLIST, so it will not be dialled.",
                code="destination_not_allowed",
            )
        costly = special_rate_problem(to)
        if costly is not None and not named:
            # An empty allowlist allows ordinary numbers only: special rates must be asked for.
            raise NotAllowed(
                f"{to} {costly}; it is dialled only when DESTINATION_ALLOWLIST lists it.",
                code="special_rate_number",
            )

    def _check_rate(self, now: datetime) -> None:
        if self.store.active_count() >= self.settings.max_concurrent_calls:
            raise RateLimited(
                f"{self.settings.max_concurrent_calls} calls are already active (MAX_CONCURRENT_CALLS).",
                code="too_many_active_calls",
                retry_after=CONCURRENCY_RETRY_AFTER_SECONDS,
            )
        wait = self.dials_per_minute.wait_before_next(now.timestamp())
        if wait > 0:
            raise RateLimited(
                f"More than {self.settings.max_calls_per_minute} calls in a minute (MAX_CALLS_PER_MINUTE).",
                code="too_many_calls_per_minute",
                retry_after=wait,
            )

    # --- watchdogs and housekeeping ---------------------------------------------------------

    async def check_timers(self) -> int:
        """Hang up calls whose watchdog ran out; forget ended sessions past retention.
        Returns how many calls were hung up."""
        now = self.clock()
        expired = 0
        for session in self.store.active():
            if machine.overdue(session, now) is not None:
                applied = await self._apply(session.session_id, TimeElapsed())
                if applied is not None and applied[0].session.state is CallState.ENDED:
                    expired += 1
                    log.warning("call %s hung up by watchdog: %s", session.session_id, applied[0].session.outcome)
        retention = timedelta(seconds=self.settings.session_retention_seconds)
        for session_id in self.store.ended_before(now - retention):
            if not self.outbox.busy(session_id) and session_id not in self._dialing:
                self.store.remove(session_id)
        return expired

    async def run_watchdog(self, interval: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check_timers()
            except Exception:  # the watchdog must outlive any one bad session
                log.exception("watchdog pass failed")

    # --- webhooks -------------------------------------------------------------------------

    async def handle_webhook(self, parsed: ParsedWebhook) -> WebhookOutcome:
        """What became of one parsed webhook. Never raises: whatever happens, Telnyx gets a 2xx
        (a 5xx would make it retry the same failure)."""
        try:
            return await self._handle_webhook(parsed)
        except Exception:
            log.exception("webhook %s %s failed inside processing", parsed.event_type, parsed.event_id)
            return WebhookOutcome(WebhookResult.ERROR, "processing failed; recorded in the log")

    async def _handle_webhook(self, parsed: ParsedWebhook) -> WebhookOutcome:
        if parsed.event is None:
            return WebhookOutcome(WebhookResult.IGNORED, parsed.ignored_reason or "not used")
        session = self._session_for_webhook(parsed)
        if session is None:
            return WebhookOutcome(WebhookResult.IGNORED, "unknown call: no session has this call_control_id")
        try:
            applied = await self._apply(session.session_id, parsed.event, event_id=parsed.event_id)
        except CallerError as error:
            # Accepted but unusable (its session vanished meanwhile, say): answered 2xx, noted.
            log.info("webhook %s %s not used: %s", parsed.event_type, parsed.event_id, error.message)
            return WebhookOutcome(WebhookResult.IGNORED, error.message, session.session_id)
        except Exception as error:
            # A bug or a foreign failure: log it and note it on the call.
            log.exception("processing %s for call %s failed", parsed.event_type, session.session_id)
            await self._apply(session.session_id, ProcessingFailed(what=parsed.event_type, error=type(error).__name__))
            return WebhookOutcome(WebhookResult.ERROR, "processing failed; recorded on the session", session.session_id)
        if applied is None:
            current = self.store.get(session.session_id)
            return WebhookOutcome(
                WebhookResult.DUPLICATE,
                f"webhook {parsed.event_id} was already processed",
                session.session_id,
                current.state if current else None,
            )
        result, _ = applied
        return WebhookOutcome(WebhookResult.PROCESSED, result.message, session.session_id, result.session.state)

    def _session_for_webhook(self, parsed: ParsedWebhook) -> CallSession | None:
        if parsed.call_control_id is not None:
            session = self.store.by_call(parsed.call_control_id)
            if session is not None:
                return session
        if parsed.session_hint is not None:
            # Our client_state names the session: this covers webhooks that overtake the
            # dial's own answer, before we know the call_control_id.
            session = self.store.get(parsed.session_hint)
            if session is not None and session.call_control_id in (None, parsed.call_control_id):
                return session
        return None

    # --- tools ----------------------------------------------------------------------------

    async def send_dtmf(self, call_control_id: str | None, digits: str, reason: str) -> ToolOutcome:
        session = self.resolve_tool_call(call_control_id)
        return await self._tool(session, DtmfRequested(digits=digits, reason=reason), wait_for=SendDtmf.action)

    async def hold_detected(self, call_control_id: str | None, reason: str, confidence: float | None) -> ToolOutcome:
        session = self.resolve_tool_call(call_control_id)
        # No waiting: the command that follows stops the very assistant asking.
        return await self._tool(
            session, HoldSignalled(source="hold-detected tool", reason=reason, confidence=confidence)
        )

    async def end_call(self, call_control_id: str | None, reason: str) -> ToolOutcome:
        session = self.resolve_tool_call(call_control_id)
        return await self._tool(session, EndRequested(reason=reason), wait_for=Hangup.action)

    async def once(self, key: str | None, run: Callable[[], Awaitable[ToolOutcome]]) -> ToolOutcome:
        """Run a tool request once per `key` (its signature or Idempotency-Key): a repeat, even
        one that arrives while the first is still running, gets the first one's outcome."""
        if key is None:
            return await run()
        running = self._tool_runs.get(key)
        if running is None:
            running = self._tool_runs[key] = asyncio.ensure_future(run())
            while len(self._tool_runs) > MAX_REMEMBERED_TOOL_REQUESTS:
                del self._tool_runs[next(iter(self._tool_runs))]
        try:
            return await asyncio.shield(running)
        except Exception:
            # A refusal (no such call, say) is not remembered: the same request may work later.
            if self._tool_runs.get(key) is running:
                del self._tool_runs[key]
            raise

    def resolve_tool_call(self, call_control_id: str | None) -> CallSession:
        """The call a tool request is about. Never guesses between several calls."""
        if call_control_id:
            if "{{" in call_control_id:
                raise BadRequest(
                    "The call id was not filled in. Configure the tool's preset body field "
                    "call_control_id with the value {{call_control_id}}.",
                    code="unfilled_call_control_id",
                )
            session = self.store.by_call(call_control_id)
            if session is None:
                raise NotFound("I can't find that call.", code="unknown_call")
            return session
        active = self.store.active()
        if not active:
            raise NotFound("There is no active call right now.", code="no_active_call")
        if len(active) > 1:
            raise Conflict(
                "Several calls are active, so I can't tell which one this is for. "
                "Send call_control_id in the body or the x-telnyx-call-control-id header.",
                code="ambiguous_call",
            )
        return active[0]

    async def _tool(self, session: CallSession, event: Event, wait_for: str | None = None) -> ToolOutcome:
        applied = await self._apply(session.session_id, event)
        if applied is None:  # cannot happen without an event id; keeps the type honest
            return ToolOutcome(ToolResult.DONE, "That was already done.", session.state)
        result, deliveries = applied
        if result.refusal is not None:
            return ToolOutcome(ToolResult.REFUSED, result.message, result.session.state, result.refusal)
        awaited = [d for d in deliveries if d.action == wait_for]
        if not awaited:
            return ToolOutcome(ToolResult.DONE, result.message, result.session.state)
        try:
            settlement = await asyncio.wait_for(asyncio.shield(awaited[0].done), self.tool_wait_seconds)
        except TimeoutError:
            if wait_for == SendDtmf.action:
                # Keys pressed late land in whatever the menu says by then: withdraw them, and
                # say plainly that they were not pressed.
                awaited[0].withdrawn = f"withdrawn: not sent within {self.tool_wait_seconds:g} s"
                message = "Telnyx is not answering, so I did not press those keys. Try again in a moment."
                return ToolOutcome(ToolResult.FAILED, message, result.session.state)
            return ToolOutcome(
                ToolResult.PENDING, "That is taking longer than usual; it may still go through.", result.session.state
            )
        state = self._state_of(session.session_id)
        if settlement.ok or (wait_for == Hangup.action and settlement.skipped):
            # A hangup not sent because the call had already hung up did what was asked.
            return ToolOutcome(ToolResult.DONE, result.message, state)
        return ToolOutcome(ToolResult.FAILED, "That did not go through. " + _speakable_failure(settlement), state)

    # --- reading --------------------------------------------------------------------------

    def get_session(self, session_id: str) -> CallSession:
        session = self.store.get(session_id)
        if session is None:
            raise NotFound(f"No session with id {session_id[:64]!r}.", code="unknown_session")
        return session

    def list_sessions(self, limit: int | None = None) -> list[CallSession]:
        return self.store.newest_first(limit)

    async def aclose(self) -> None:
        await self.outbox.close()
        await self.call_control.aclose()

    # --- the one path that changes a session ----------------------------------------------

    async def _apply(
        self, session_id: str, event: Event, event_id: str | None = None
    ) -> tuple[machine.StepResult, list[Delivery]] | None:
        """Step the session under its lock. None when `event_id` was already processed."""
        async with self.store.lock(session_id):
            session = self.store.get(session_id)
            if session is None:
                raise NotFound("That session no longer exists.", code="unknown_session")
            if event_id is not None and self.store.already_processed(session_id, event_id):
                return None
            result = machine.step(session, event, self.clock())
            self.store.save(result.session)
            if event_id is not None:
                self.store.mark_processed(session_id, event_id)
            deliveries = [self._delivery(result.session, command) for command in result.commands]
            self.outbox.submit(deliveries)
            if result.session.state is CallState.ENDED and session.state is not CallState.ENDED:
                log.info("call %s ended: %s", session_id, result.session.outcome)
            return result, deliveries

    def _delivery(self, session: CallSession, command: Command) -> Delivery:
        return Delivery(
            session_id=session.session_id,
            call_control_id=session.call_control_id,
            action=command.action,
            command_id=command.command_id,
            body=action_body(self.settings, session.session_id, command),
        )

    async def _record_settlement(self, delivery: Delivery, settlement: Settlement) -> None:
        conversation_id = settlement.data.get("conversation_id")
        await self._apply(
            delivery.session_id,
            CommandSettled(
                command_id=delivery.command_id,
                ok=settlement.ok,
                detail=settlement.detail,
                skipped=settlement.skipped,
                attempts=settlement.attempts,
                conversation_id=conversation_id if isinstance(conversation_id, str) else None,
                call_gone=settlement.call_gone,
            ),
        )

    def _skip_reason(self, delivery: Delivery) -> str | None:
        if delivery.withdrawn is not None:
            return delivery.withdrawn
        session = self.store.get(delivery.session_id)
        if session is None:
            return "the session is gone"
        if session.hangup_cause is not None:
            return "the call has hung up"
        if session.state is CallState.ENDED and delivery.action != Hangup.action:
            return "the call has ended"
        return None

    def _state_of(self, session_id: str) -> CallState:
        session = self.store.get(session_id)
        return session.state if session else CallState.ENDED


def _speakable_failure(settlement: Settlement) -> str:
    if settlement.skipped:
        return "The call has already ended."
    if settlement.call_gone:
        return "The call is no longer connected."
    return "The phone service reported a problem."
