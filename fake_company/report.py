"""What one simulated call came to, judged against its scenario, as text or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .company import Record
from .scenario import Scenario
from .simulated_call import CallLog, Pickup
from .webhook_delivery import DeliveryStats


@dataclass
class CallReport:
    scenario: str
    company: str
    call: int
    expected_outcome: str
    outcome: str | None
    passed: bool
    failures: list[str]
    path: list[str]
    expected_path: list[str] | None
    # The representative assistant's starts: seconds after the person's current turn began
    # (None: it started while nobody was talking, a false pickup) and their utterances before.
    pickups: list[dict[str, Any]]
    hold_seconds: float | None  # as the service counted it
    company_hold_seconds: float  # as the company played it
    states: list[str]
    company_steps: list[str]
    commands: list[str]
    tool_replies: list[str]
    assistant_said: list[str]
    webhooks: dict[str, Any]
    company_seconds: float
    real_seconds: float
    session_id: str | None = None
    end_reason: str | None = None
    company_record: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge_call(
    slug: str,
    scenario: Scenario,
    number: int,
    session: dict[str, Any] | None,
    record: Record | None,
    log: CallLog,
    webhooks: DeliveryStats,
    company_seconds: float,
    real_seconds: float,
    problems: list[str],
) -> CallReport:
    """Pass when the service reached the expected outcome by the expected path, never started
    the representative assistant before a person spoke, lost no webhook, and (for a completed
    call) the company's task really was done."""
    failures = list(problems) + log.problems + (record.problems if record else [])
    if log.timed_out:
        failures.append("the call ran past --timeout; the company hung up")
    outcome = session.get("outcome") if session else None
    expected = scenario.expect.outcome
    if outcome != expected:
        failures.append(f"outcome {outcome!r}, expected {expected!r}")
    # The path is what the company's menus heard; extra presses elsewhere show in `commands`.
    keys = [_keys_only(digits) for digits in (record.keys if record else [])]
    if scenario.expect.path is not None and keys != [_keys_only(k) for k in scenario.expect.path]:
        failures.append(f"pressed {keys}, expected {scenario.expect.path}")
    early = [pickup for pickup in log.pickups if pickup.early]
    if early:
        failures.append(
            f"representative assistant started {len(early)} time(s) while nobody was talking (false pickup)"
        )
    if webhooks.refused:
        failures.append(f"{len(webhooks.refused)} webhook(s) not accepted: {webhooks.refused[:3]}")
    if expected == "completed" and record is not None and not record.task_done:
        failures.append("the representative never completed the task")
    history = session.get("history", []) if session else []
    states = [history[0]["from"]] if history else []
    states += [f"{item['to']} ({_clip(item['why'], 60)})" for item in history]
    return CallReport(
        scenario=slug,
        company=scenario.company,
        call=number,
        expected_outcome=expected,
        outcome=outcome,
        passed=not failures,
        failures=failures,
        path=keys,
        expected_path=scenario.expect.path,
        pickups=[_pickup(p) for p in log.pickups],
        hold_seconds=round(session["hold_seconds"], 1) if session else None,
        company_hold_seconds=round(record.hold_seconds, 1) if record else 0.0,
        states=states,
        company_steps=record.steps if record else [],
        commands=log.commands,
        tool_replies=log.tool_replies,
        assistant_said=log.spoken,
        webhooks={
            "sent": webhooks.sent,
            "duplicates": webhooks.duplicates,
            "reordered": webhooks.reordered,
            "refused": webhooks.refused,
            "answer_ms_p50": _percentile(webhooks.answer_ms, 0.5),
            "answer_ms_max": round(max(webhooks.answer_ms), 1) if webhooks.answer_ms else None,
        },
        company_seconds=round(company_seconds, 1),
        real_seconds=round(real_seconds, 2),
        session_id=session.get("session_id") if session else None,
        end_reason=session.get("end_reason") if session else None,
        company_record={
            "steps": record.steps,
            "answers": [{"asked": q, "heard": a, "right": ok} for q, a, ok in record.answers],
            "ended_by": record.ended_by,
            "stray_keys": record.stray_keys,
        }
        if record
        else {},
    )


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _utterances(count: int) -> str:
    if count == 0:
        return "before they finished their first utterance"
    return "on their first utterance" if count == 1 else f"after {count} of their utterances"


def _keys_only(digits: str) -> str:
    return digits.replace("w", "").replace("W", "")


def _pickup(pickup: Pickup) -> dict[str, Any]:
    after = None if pickup.turn_started_at is None else round(pickup.at - pickup.turn_started_at, 1)
    return {"at": round(pickup.at, 1), "after_first_words_s": after, "utterances_before": pickup.utterances_before}


def render(report: CallReport) -> str:
    verdict = "PASS" if report.passed else "FAIL"
    lines = [
        f"{report.scenario} #{report.call}  {verdict}  outcome {report.outcome} (expected {report.expected_outcome})",
    ]
    if report.expected_path is not None:
        lines.append(f"  IVR path   {' '.join(report.path) or '(none)'} (expected {' '.join(report.expected_path)})")
    else:
        lines.append(f"  IVR path   {' '.join(report.path) or '(none)'}")
    if report.pickups:
        for pickup in report.pickups:
            if pickup["after_first_words_s"] is None:
                lines.append(
                    f"  pickup     representative assistant started at {pickup['at']} s while nobody was talking: TOO EARLY"
                )
            else:
                lines.append(
                    f"  pickup     representative assistant started {pickup['after_first_words_s']} s after the person's "
                    f"first words, {_utterances(pickup['utterances_before'])}"
                )
    else:
        lines.append("  pickup     the representative assistant never started")
    lines.append(
        f"  on hold    {report.hold_seconds} s by the service's count; the company played {report.company_hold_seconds} s"
    )
    lines.append(f"  states     {' -> '.join(report.states)}")
    lines.append(f"  company    {' -> '.join(report.company_steps)}")
    lines.append(f"  commands   {', '.join(report.commands)}")
    for reply in report.tool_replies:
        lines.append(f"  tool       {reply}")
    for said in report.assistant_said:
        lines.append(f"  said       {said}")
    hooks = report.webhooks
    lines.append(
        f"  webhooks   {hooks['sent']} sent ({hooks['duplicates']} duplicates, {hooks['reordered']} reordered), "
        f"{len(hooks['refused'])} not accepted; answered in {hooks['answer_ms_p50']} ms (median), "
        f"{hooks['answer_ms_max']} ms (slowest)"
    )
    lines.append(f"  time       {report.company_seconds} s of company time in {report.real_seconds} s")
    for failure in report.failures:
        lines.append(f"  FAILED     {failure}")
    return "\n".join(lines)
