"""Re-send a Telnyx command until it is answered, refused for good, or out of time.

Rules (Telnyx documents commands as retry-safe when the `command_id` is reused):
- The identical request is re-sent: the caller's `send` builds nothing new.
- Transient failures are retried: no answer within `attempt_timeout`, connection errors,
  5xx, 408 and 429. Anything else (401, 403, 404, 422, ...) is final at once.
- Waits grow exponentially (`base_delay * 2**n`, capped at `max_delay`) with jitter, so many
  calls retrying together do not arrive together; a 429's `Retry-After` is honoured instead.
- No attempt starts later than `deadline` seconds after the first: the last error is final.
- The caller may say stop at any time (`stop_reason`, asked before every attempt and every
  wait): a call that has ended is not retried for.

Time and randomness are injected, so tests run without sleeping.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from hold_agent.telnyx.client import CallControlError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    # Telnyx suggests re-sending after 500 ms without an answer; we allow a little more so a
    # healthy but slow answer is not duplicated needlessly (duplicates are harmless anyway).
    attempt_timeout: float = 2.0
    base_delay: float = 0.25
    max_delay: float = 5.0
    deadline: float = 30.0

    def backoff(self, attempt: int, jitter: float) -> float:
        """Wait before attempt `attempt + 1`: half fixed, half random ("equal jitter")."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return float(ceiling / 2 + jitter * ceiling / 2)


@dataclass(frozen=True)
class Attempted(Generic[T]):
    value: T | None
    error: CallControlError | None
    attempts: int
    # Why the caller stopped the retries, when it did.
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Retrier:
    policy: RetryPolicy
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random

    async def run(
        self, send: Callable[[], Awaitable[T]], stop_reason: Callable[[], str | None] = lambda: None
    ) -> Attempted[T]:
        started = self.monotonic()
        attempt = 0
        while True:
            if attempt and (reason := stop_reason()) is not None:
                return Attempted(None, None, attempt, stopped=reason)
            attempt += 1
            try:
                value = await asyncio.wait_for(send(), self.policy.attempt_timeout)
                return Attempted(value, None, attempt)
            except TimeoutError:
                error = CallControlError(f"no answer within {self.policy.attempt_timeout:g} s")
            except CallControlError as refused:
                error = refused
            if not error.transient:
                return Attempted(None, error, attempt)
            delay = self.policy.backoff(attempt, self.jitter())
            if error.status == 429 and error.retry_after is not None:
                # Honour Retry-After, but never hammer: "Retry-After: 0" still backs off.
                delay = max(delay, error.retry_after)
            if self.monotonic() - started + delay > self.policy.deadline:
                return Attempted(None, _gave_up(error, attempt, self.policy.deadline), attempt)
            if (reason := stop_reason()) is not None:
                return Attempted(None, None, attempt, stopped=reason)
            await self.sleep(delay)


def _gave_up(error: CallControlError, attempts: int, deadline: float) -> CallControlError:
    return CallControlError(
        f"gave up after {attempts} attempts in {deadline:g} s; last: {error.detail}",
        status=error.status,
        code=error.telnyx_code,
    )
