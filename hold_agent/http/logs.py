"""Log filters for the HTTP shell: no secret in the access log, and no flood of one error.

- `QueryRedaction`: the access log shows each request's path without its query string. A
  client that puts a token in the URL (`?token=...`) must not leave it in the log.
- `RepeatLimiter`: the same message from the same logger at most `burst` times per
  `window` seconds, then one line saying how many were dropped. Under a flood (a socket
  limit reached, a client hammering a bad request) the log stays readable and small.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class QueryRedaction(logging.Filter):
    """For uvicorn's access logger, whose args are (client, method, path, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            path = args[2].split("?", 1)[0] + "?[query hidden]"
            record.args = (*args[:2], path, *args[3:])
        return True


class RepeatLimiter(logging.Filter):
    def __init__(self, burst: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst, self.window, self.clock = burst, window, clock
        # (logger, message template) -> (window start, count in this window)
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = self.clock()
        start, count = self._seen.get(key, (now, 0))
        if now - start >= self.window:
            if count > self.burst:
                record.msg = f"{record.msg} (and {count - self.burst} more like it in the last {self.window:g} s)"
            start, count = now, 0
        count += 1
        self._seen[key] = (start, count)
        if len(self._seen) > 10_000:  # forget quiet keys; never grow without bound
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window}
        return count <= self.burst


def install_log_filters() -> None:
    """Once per process: the access log without query strings; errors rate-limited."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryRedaction) for f in access.filters):
        access.addFilter(QueryRedaction())
    # Logger filters see only their own logger's records (not its children's); handler
    # filters see everything the handler writes.
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in ("uvicorn.error", "asyncio")]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, RepeatLimiter) for f in target.filters):
            target.addFilter(RepeatLimiter())
