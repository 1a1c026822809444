"""How the service is served: uvicorn's h11 server, with the limits a slow or hostile client
must not get around.

- A request's headers must be complete within `header_timeout` of the connection (or of the
  previous response): a client that connects and sends nothing, or trickles its headers a
  byte at a time, is cut off. uvicorn's own keep-alive timer stops at the first byte.
- At most `max_connections` requests at once; beyond that uvicorn answers 503 at once.
- The soft limit on open files is raised to the hard one, so sockets run out later.
Request bodies get their deadline in guard.py.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)


class HeaderDeadlineProtocol(H11Protocol):
    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_overdue)

    def _disarm_header_deadline(self) -> None:
        deadline: asyncio.TimerHandle | None = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()

    def _headers_overdue(self) -> None:
        # h11 leaves the client IDLE until a whole request line and headers have arrived.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def serve(app: Any, host: str, port: int, *, header_timeout: float, max_connections: int) -> None:
    raise_open_file_limit()
    protocol = type("Protocol", (HeaderDeadlineProtocol,), {"header_timeout": header_timeout})
    uvicorn.run(app, host=host, port=port, log_level="info", http=protocol, limit_concurrency=max_connections)


def raise_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):  # a container may refuse; the limit stays as it was
            log.warning("could not raise the open-file limit from %d", soft)
