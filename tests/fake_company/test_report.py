"""The report that judges a simulated call, and how it reads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fake_company.company import Record
from fake_company.report import judge_call, render
from fake_company.scenario import load
from fake_company.simulated_call import CallLog, Pickup
from fake_company.webhook_delivery import DeliveryStats

pytestmark = pytest.mark.anyio


def good_call() -> dict[str, Any]:
    """judge_call's arguments for a Willow Creek call that went right."""
    session = {
        "session_id": "sess-1",
        "outcome": "completed",
        "end_reason": "end-call: done",
        "hold_seconds": 151.04,
        "history": [
            {"from": "dialing", "to": "ivr", "why": "call answered"},
            {"from": "ivr", "to": "hold", "why": "hold detected"},
            {"from": "hold", "to": "representative", "why": "a person spoke"},
            {"from": "representative", "to": "ended", "why": "end-call: done"},
        ],
    }
    record = Record(
        steps=["main", "reservations", "sarah"], keys=["1"], task_done=True, hold_seconds=150.0, ended_by="caller"
    )
    record.answers = [("What name?", "It's Alex Morgan.", True)]
    log = CallLog(
        commands=[
            "ai_assistant_start(ivr)",
            "send_dtmf 1",
            "ai_assistant_stop",
            "ai_assistant_start(representative)",
            "hangup",
        ],
        spoken=["representative: Hi, thanks for taking my call."],
        pickups=[Pickup(at=175.0, turn_started_at=170.0, utterances_before=1)],
    )
    return {
        "slug": "willow-creek",
        "scenario": load("willow-creek"),
        "number": 1,
        "session": session,
        "record": record,
        "log": log,
        "webhooks": DeliveryStats(sent=40, duplicates=2, reordered=1),
        "company_seconds": 230.94,
        "real_seconds": 3.912,
        "problems": [],
    }


def test_a_good_call_passes() -> None:
    report = judge_call(**good_call())
    assert report.passed is True and report.failures == []
    assert report.outcome == report.expected_outcome == "completed"
    assert report.path == ["1"] and report.expected_path == ["1"]
    assert report.pickups == [{"at": 175.0, "after_first_words_s": 5.0, "utterances_before": 1}]
    assert (report.hold_seconds, report.company_hold_seconds) == (151.0, 150.0)
    assert report.states == [
        "dialing",
        "ivr (call answered)",
        "hold (hold detected)",
        "representative (a person spoke)",
        "ended (end-call: done)",
    ]
    counts = {name: report.webhooks[name] for name in ("sent", "duplicates", "reordered", "refused")}
    assert counts == {"sent": 40, "duplicates": 2, "reordered": 1, "refused": []}
    assert report.company_record["answers"] == [{"asked": "What name?", "heard": "It's Alex Morgan.", "right": True}]
    assert json.loads(json.dumps(report.as_dict()))["passed"] is True
    text = render(report)
    assert text.splitlines()[0] == "willow-creek #1  PASS  outcome completed (expected completed)"
    assert "IVR path   1 (expected 1)" in text
    assert "representative assistant started 5.0 s after the person's first words" in text
    assert "151.0 s by the service's count; the company played 150.0 s" in text
    assert "40 sent (2 duplicates, 1 reordered), 0 not accepted" in text
    assert "FAILED" not in text


def test_keys_with_pauses_count_as_the_expected_path() -> None:
    arguments = good_call()
    arguments["record"].keys = ["w1"]
    assert judge_call(**arguments).passed is True


def test_a_wrong_outcome_fails() -> None:
    arguments = good_call()
    arguments["session"]["outcome"] = "hold_timeout"
    report = judge_call(**arguments)
    assert report.passed is False
    assert report.failures == ["outcome 'hold_timeout', expected 'completed'"]
    assert "FAIL  outcome hold_timeout (expected completed)" in render(report)
    assert "FAILED     outcome 'hold_timeout', expected 'completed'" in render(report)


def test_no_session_fails() -> None:
    arguments = good_call()
    arguments["session"] = None
    report = judge_call(**arguments)
    assert report.passed is False and "outcome None, expected 'completed'" in report.failures
    assert report.hold_seconds is None


def test_a_wrong_path_fails() -> None:
    arguments = good_call()
    arguments["record"].keys = ["2"]
    report = judge_call(**arguments)
    assert report.failures == ["pressed ['2'], expected ['1']"]
    text = render(report)
    assert "IVR path   2 (expected 1)" in text and "FAILED     pressed ['2'], expected ['1']" in text


def test_extra_keys_fail_the_path() -> None:
    arguments = good_call()
    arguments["record"].keys = ["1", "1"]
    assert judge_call(**arguments).passed is False


def test_a_false_pickup_fails() -> None:
    arguments = good_call()
    arguments["log"].pickups.insert(0, Pickup(at=60.0, turn_started_at=None, utterances_before=0))
    report = judge_call(**arguments)
    assert report.passed is False
    assert report.failures == ["representative assistant started 1 time(s) while nobody was talking (false pickup)"]
    assert report.pickups[0] == {"at": 60.0, "after_first_words_s": None, "utterances_before": 0}
    text = render(report)
    assert "started at 60.0 s while nobody was talking: TOO EARLY" in text
    assert "false pickup" in text


def test_pickup_early_means_nobody_was_talking() -> None:
    assert Pickup(1.0, None, 0).early is True
    assert Pickup(1.0, 0.5, 0).early is False


def test_refused_webhooks_fail() -> None:
    arguments = good_call()
    arguments["webhooks"].refused = ["call.hangup: HTTP 500 oops"]
    report = judge_call(**arguments)
    assert report.failures == ["1 webhook(s) not accepted: ['call.hangup: HTTP 500 oops']"]
    text = render(report)
    assert "1 not accepted" in text and "FAILED     1 webhook(s) not accepted" in text


def test_an_unfinished_task_fails_a_completed_call() -> None:
    arguments = good_call()
    arguments["record"].task_done = False
    report = judge_call(**arguments)
    assert report.failures == ["the representative never completed the task"]
    assert "FAILED     the representative never completed the task" in render(report)


def test_an_unfinished_task_is_fine_when_completion_is_not_expected() -> None:
    arguments = good_call()
    arguments["scenario"] = load("bluewave-telecom")
    arguments["session"]["outcome"] = "hung_up_by_company"
    arguments["record"].keys = ["4"]
    arguments["record"].task_done = False
    assert judge_call(**arguments).passed is True


def test_the_callers_problems_are_failures_and_all_failures_are_listed() -> None:
    arguments = good_call()
    arguments["problems"] = ["the call ran longer than 300 s"]
    arguments["session"]["outcome"] = "call_timeout"
    arguments["record"].task_done = False
    report = judge_call(**arguments)
    assert report.failures == [
        "the call ran longer than 300 s",
        "outcome 'call_timeout', expected 'completed'",
        "the representative never completed the task",
    ]
    assert render(report).count("FAILED") == 3


def test_render_without_pickups_or_expected_path() -> None:
    arguments = good_call()
    arguments["scenario"] = load("riverside-clinic")
    arguments["session"]["outcome"] = "closed"
    arguments["record"].keys = []
    arguments["log"].pickups = []
    report = judge_call(**arguments)
    assert report.passed is True
    text = render(report)
    assert "IVR path   (none)\n" in text
    assert "the representative assistant never started" in text
