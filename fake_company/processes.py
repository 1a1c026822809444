"""Start `python app.py` (the hold agent, exactly as the README runs it) on a free loopback
port, from an empty directory so no developer's .env leaks in, and stop it again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
# What the child inherits from our environment: enough to run Python, nothing that configures
# the service (a developer's shell settings must not change what a test or simulation sees).
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT", "VIRTUAL_ENV")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class AgentProcess:
    """`python app.py` with the given environment. With `public=True`, PUBLIC_BASE_URL is the
    server's own loopback URL (as a tunnel would be)."""

    def __init__(self, env: dict[str, str], public: bool = False, startup_seconds: float = 30) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        inherited = {k: v for k, v in os.environ.items() if k in INHERITED or k.startswith("PYTHON")}
        self.env = {**inherited, "PORT": str(self.port), "HOST": "127.0.0.1", **env}
        if public:
            self.env["PUBLIC_BASE_URL"] = self.url
        self.output = ""
        self._startup_seconds = startup_seconds
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> AgentProcess:
        # The log goes to a file: a pipe nobody reads fills up and freezes the server.
        self._workdir = tempfile.TemporaryDirectory()
        self._log = open(Path(self._workdir.name) / "app.log", "w+")
        self._process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py")],
            cwd=self._workdir.name,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + self._startup_seconds
        while True:
            if self._process.poll() is not None:
                self._log.seek(0)
                output = self._log.read()
                self._close()
                raise RuntimeError(f"app.py exited early:\n{output}")
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"app.py did not become healthy within {self._startup_seconds:g} s:\n{self.output}")
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
        self._close()

    def _close(self) -> None:
        self._process = None
        self._log.close()
        self._workdir.cleanup()
