"""Rate limits kept by the runtime: at most so many events (dials) in a sliding window."""

from __future__ import annotations

from collections import deque


class SlidingWindow:
    """At most `limit` events in any `window` seconds. Times come from the caller's clock."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def wait_before_next(self, now: float) -> float:
        """0 when another event fits now; otherwise seconds until one will."""
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return self.window - (now - self._times[0])

    def record(self, now: float) -> None:
        self._times.append(now)
