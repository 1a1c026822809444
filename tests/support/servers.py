"""Real servers on loopback for end-to-end tests: an ASGI app in a thread, or `python app.py`
as a child process (exactly what the README tells a user to run)."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from fake_company.processes import REPO, AgentProcess, free_port

# `python app.py` in a child process (see fake_company/processes.py).
AppProcess = AgentProcess

__all__ = ["REPO", "AppProcess", "ThreadedServer", "free_port"]


class ThreadedServer:
    """Serve an ASGI app with uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
