"""What routes are handed: the service that app.py built."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hold_agent.runtime.service import CallService


def get_service(request: Request) -> CallService:
    # A plain def costs a worker-thread hop per request (issue 12 measures it); making it async
    # changes when the outbox's tasks run relative to the next request, which
    # test_queued_commands_are_not_sent_once_the_call_hangs_up relies on. Left for issue 12.
    service: CallService = request.app.state.service
    return service


Service = Annotated[CallService, Depends(get_service)]
