"""Slow and hostile clients against the real server (`python app.py`): headers and bodies that
never finish are cut off, and requests beyond the limit get 503 at once."""

from __future__ import annotations

import socket
import time

import pytest

from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

LIMITS = {"HEADER_TIMEOUT_SECONDS": "1", "BODY_TIMEOUT_SECONDS": "1", "MAX_CONNECTIONS": "3"}


def connect(agent: AppProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", agent.port), timeout=10)
    return sock


def test_headers_that_never_finish_are_cut_off() -> None:
    with AppProcess(LIMITS) as agent:
        sock = connect(agent)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: agent\r\n")  # and never the blank line
        started = time.monotonic()
        assert sock.recv(100) == b""  # closed by the server
        assert time.monotonic() - started < 5
        silent = connect(agent)  # connects and says nothing at all
        assert silent.recv(100) == b""


def test_a_body_that_never_finishes_gets_408() -> None:
    with AppProcess(LIMITS) as agent:
        sock = connect(agent)
        sock.sendall(
            b"POST /tools/end-call HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\n"
            b'Content-Length: 40\r\n\r\n{"rea'
        )
        answer = sock.recv(300)
        assert answer.startswith(b"HTTP/1.1 408") and b"request_timeout" in sock.recv(300) + answer


def test_requests_beyond_the_limit_get_503_and_the_rest_still_work() -> None:
    with AppProcess({**LIMITS, "BODY_TIMEOUT_SECONDS": "30"}) as agent:
        stuck = []
        # uvicorn counts the arriving connection too: with 3, two requests waiting on bodies
        # that do not come leave no room for a third.
        for _ in range(2):
            sock = connect(agent)
            sock.sendall(b"POST /tools/end-call HTTP/1.1\r\nHost: agent\r\nContent-Length: 40\r\n\r\n{")
            stuck.append(sock)
        time.sleep(0.5)
        probe = connect(agent)
        probe.sendall(b"GET /health HTTP/1.1\r\nHost: agent\r\n\r\n")
        assert probe.recv(100).startswith(b"HTTP/1.1 503")
        for sock in stuck:
            sock.close()
        time.sleep(0.5)
        again = connect(agent)
        again.sendall(b"GET /health HTTP/1.1\r\nHost: agent\r\n\r\n")
        assert again.recv(100).startswith(b"HTTP/1.1 200")
