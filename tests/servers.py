"""Real servers on loopback for end-to-end tests: an ASGI app in a thread, or `python app.py`
as a child process (exactly what the README tells a user to run)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


class AppProcess:
    """`python app.py` with the given environment, on a free port, from the repository root.

    With `public=True`, PUBLIC_BASE_URL is the server's own loopback URL (as a tunnel would be).
    """

    def __init__(self, env: dict[str, str], public: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        clean = {key: value for key, value in os.environ.items() if not key.startswith(("TELNYX_", "PUBLIC_BASE_URL"))}
        self._env = {**clean, "PORT": str(self.port), "HOST": "127.0.0.1", **env}
        if public:
            self._env["PUBLIC_BASE_URL"] = self.url
        self._process: subprocess.Popen[str] | None = None
        self.output = ""

    def __enter__(self) -> AppProcess:
        # Run from an empty directory so a developer's .env never leaks into a test. The log
        # goes to a file: a pipe nobody reads fills up and freezes the server mid-test.
        self._workdir = tempfile.TemporaryDirectory()
        self._log = open(Path(self._workdir.name) / "app.log", "w+")
        self._process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py")],
            cwd=self._workdir.name,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 20
        while True:
            if self._process.poll() is not None:
                self._log.seek(0)
                raise RuntimeError(f"app.py exited early:\n{self._log.read()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("app.py did not become healthy")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.seek(0)
        self.output = self._log.read()
        self._log.close()
        self._workdir.cleanup()
