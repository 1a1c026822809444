"""The dry-run Call Control answers as Telnyx would."""

from __future__ import annotations

import pytest

from hold_agent.telnyx.client import CallControlError
from hold_agent.telnyx.dry_run import DryRunCallControl

pytestmark = pytest.mark.anyio


async def test_dial_gives_fresh_ids_and_repeat_dials_are_deduplicated() -> None:
    telnyx = DryRunCallControl()
    first = await telnyx.dial({"to": "+1555", "command_id": "a"})
    second = await telnyx.dial({"to": "+1555", "command_id": "b"})
    again = await telnyx.dial({"to": "+1555", "command_id": "a"})
    assert first.call_control_id != second.call_control_id
    assert again == first
    assert len(telnyx.sent("dial")) == 2


async def test_actions() -> None:
    telnyx = DryRunCallControl()
    call = (await telnyx.dial({"command_id": "d"})).call_control_id
    start = await telnyx.action(call, "ai_assistant_start", {"command_id": "c1"})
    assert start["result"] == "ok" and start["conversation_id"]
    assert await telnyx.action(call, "send_dtmf", {"digits": "1", "command_id": "c2"}) == {"result": "ok"}
    # A re-sent command with the same command_id is accepted and not applied twice.
    await telnyx.action(call, "send_dtmf", {"digits": "1", "command_id": "c2"})
    assert [r.body["digits"] for r in telnyx.sent("send_dtmf")] == ["1"]


async def test_unknown_and_ended_calls() -> None:
    telnyx = DryRunCallControl()
    with pytest.raises(CallControlError) as unknown:
        await telnyx.action("v3:nope", "hangup", {"command_id": "x"})
    assert unknown.value.status == 404 and unknown.value.call_gone
    call = (await telnyx.dial({"command_id": "d"})).call_control_id
    await telnyx.action(call, "hangup", {"command_id": "h"})
    with pytest.raises(CallControlError) as ended:
        await telnyx.action(call, "send_dtmf", {"digits": "1", "command_id": "late"})
    assert ended.value.status == 422 and ended.value.call_gone
    other = (await telnyx.dial({"command_id": "e"})).call_control_id
    telnyx.end_call(other)
    with pytest.raises(CallControlError):
        await telnyx.action(other, "ai_assistant_stop", {"command_id": "s"})
