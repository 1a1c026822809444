"""The retrier on its own, with an injected clock: no test here sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hold_agent.runtime.retry import Retrier, RetryPolicy
from hold_agent.telnyx.client import CallControlError
from tests.support.clock import VirtualTime

pytestmark = pytest.mark.anyio


def retrier(time: VirtualTime, **policy: Any) -> Retrier:
    return Retrier(RetryPolicy(**policy), sleep=time.sleep, monotonic=time.monotonic, jitter=lambda: 0.5)


def scripted(*outcomes: Any) -> tuple[Callable[[], Awaitable[str]], list[int]]:
    calls: list[int] = []

    async def send() -> str:
        calls.append(1)
        outcome = outcomes[min(len(calls), len(outcomes)) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome == "hang":
            await asyncio.Event().wait()
        return outcome

    return send, calls


async def test_5xx_then_success() -> None:
    time = VirtualTime()
    send, calls = scripted(CallControlError("oops", status=500), CallControlError("oops", status=502), "ok")
    result = await retrier(time).run(send)
    assert result.ok and result.value == "ok" and result.attempts == 3 and len(calls) == 3
    assert time.sleeps == [0.1875, 0.375]  # 0.25 * 2**n, half fixed and half jitter (0.5)


async def test_repeated_5xx_gives_up_at_the_deadline() -> None:
    time = VirtualTime()
    send, calls = scripted(CallControlError("down", status=503))
    result = await retrier(time, deadline=10.0).run(send)
    assert not result.ok and result.error is not None
    assert "gave up after" in result.error.detail and "down" in result.error.detail
    assert time.now <= 10.0 and result.attempts == len(calls) > 3
    assert max(time.sleeps) <= 5.0  # capped


async def test_429_honours_retry_after() -> None:
    time = VirtualTime()
    send, _ = scripted(CallControlError("slow down", status=429, retry_after=3.0), "ok")
    result = await retrier(time).run(send)
    assert result.ok and time.sleeps == [3.0]


async def test_429_whose_wait_passes_the_deadline_is_final() -> None:
    time = VirtualTime()
    send, calls = scripted(CallControlError("slow down", status=429, retry_after=60.0))
    result = await retrier(time, deadline=30.0).run(send)
    assert not result.ok and len(calls) == 1 and time.sleeps == []


async def test_no_answer_is_retried() -> None:
    time = VirtualTime()
    send, _ = scripted("hang", "ok")
    result = await retrier(time, attempt_timeout=0.01).run(send)
    assert result.ok and result.attempts == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_refusals_are_final_at_once(status: int) -> None:
    time = VirtualTime()
    send, calls = scripted(CallControlError("no", status=status))
    result = await retrier(time).run(send)
    assert not result.ok and len(calls) == 1 and result.error is not None and result.error.status == status


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    assert [policy.backoff(n, 1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert [policy.backoff(n, 0.0) for n in range(1, 6)] == [0.25, 0.5, 1.0, 2.0, 2.0]
