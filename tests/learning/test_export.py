"""Operators teach the detector: real calls' lines exported for labelling, then retrained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hold_agent.learning.corpus import read_lines
from hold_agent.learning.export import export
from tests.support.harness import Harness

pytestmark = pytest.mark.anyio


async def test_a_calls_lines_are_exported_once_in_the_corpus_format(harness: Harness, tmp_path: Path) -> None:
    h = harness
    call = await h.place_call(target_company="Willow Creek Hotel")
    cid = call["call_control_id"]
    await h.webhook("call.answered", cid)
    await h.webhook("call.hold", cid)
    await h.transcript(cid, "Thank you for holding. All of our agents are still assisting other guests.")
    await h.transcript(cid, "Hi, thanks for holding, this is Sarah with reservations. How can I help?")
    sessions = (await h.client.get("/sessions")).json()["sessions"]

    assert export(sessions, tmp_path) == {"calls-willow-creek-hotel.jsonl": 2}
    assert export(sessions, tmp_path) == {"calls-willow-creek-hotel.jsonl": 0}  # nothing new the second time
    lines = read_lines(tmp_path / "lines" / "calls-willow-creek-hotel.jsonl")
    assert [line.label.value for line in lines] == ["hold", "human"]
    assert all(line.source == "calls-willow-creek-hotel" and call["session_id"] in line.ref for line in lines)
    streams = json.loads((tmp_path / "streams" / "calls-willow-creek-hotel.json").read_text())
    assert len(streams) == 1 and streams[0]["pickup_index"] == 1 and streams[0]["start"] == "hold"
    assert streams[0]["review"] is True
