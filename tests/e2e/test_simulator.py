"""Whole calls through the simulator, exactly as a user runs it: `python -m fake_company.simulate`
starts the Telnyx stand-in and `python app.py` (a real uvicorn server, real mode, signed
webhooks), plays the company and the assistants, and scores every call."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fake_company.scenario import SCENARIOS, shipped
from tests.support.servers import REPO

pytestmark = pytest.mark.e2e  # real processes and servers: not in the fast loop

README = (REPO / "README.md").read_text()
WRITTEN_FROM_THE_DOCS = sorted((REPO / "tests" / "scenarios").glob("*.toml"))
# Holds at 100x, and a rough network: a tenth of webhooks twice, a tenth out of order.
ROUGH = ["--speed", "100", "--duplicates", "0.1", "--reorder", "0.1", "--timeout", "120"]


def simulate(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fake_company.simulate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def as_json(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert run.stdout.strip(), run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def every_shipped_scenario() -> dict[str, Any]:
    run = simulate("--scenario", "all", "--json", *ROUGH)
    report = as_json(run)
    report["exit_code"] = run.returncode
    return report


def test_every_shipped_scenario_passes(every_shipped_scenario: dict[str, Any]) -> None:
    calls = every_shipped_scenario["calls"]
    assert sorted(call["scenario"] for call in calls) == shipped()
    failed = {call["scenario"]: call["failures"] for call in calls if not call["passed"]}
    assert failed == {}
    assert every_shipped_scenario["exit_code"] == 0
    assert len(shipped()) >= 7


def test_the_report_measures_what_happened(every_shipped_scenario: dict[str, Any]) -> None:
    calls = {call["scenario"]: call for call in every_shipped_scenario["calls"]}
    for name, call in calls.items():
        # The service's own hold count (from occurred_at) agrees with the hold the company played.
        assert call["hold_seconds"] == pytest.approx(call["company_hold_seconds"], abs=8), name
        assert all(p["after_first_words_s"] is not None for p in call["pickups"]), name
        assert call["webhooks"]["refused"] == [], name
    willow = calls["willow-creek"]
    assert willow["path"] == ["1"]
    assert willow["states"][0] == "dialing" and willow["states"][-1].startswith("ended")
    assert [s.split(" ")[0] for s in willow["states"]] == ["dialing", "ivr", "hold", "representative", "ended"]
    assert willow["commands"][-1] == "hangup" and "send_dtmf 1" in willow["commands"]
    assert any("Alex Morgan" in said for said in willow["assistant_said"])
    # The utility's representative puts us on hold and comes back: two starts, both after they spoke.
    assert len(calls["metro-utility"]["pickups"]) == 2
    assert calls["acme-insurance"]["company_hold_seconds"] >= 1200
    assert calls["corner-hardware"]["path"] == [] and calls["corner-hardware"]["company_hold_seconds"] == 0
    assert calls["riverside-clinic"]["outcome"] == "closed" and calls["riverside-clinic"]["pickups"] == []
    assert calls["bluewave-telecom"]["outcome"] == "hung_up_by_company"


@pytest.mark.parametrize("scenario", WRITTEN_FROM_THE_DOCS, ids=lambda path: path.stem)
def test_a_scenario_written_from_the_docs_alone_runs(scenario: Path) -> None:
    run = simulate("--scenario", str(scenario), "--json", *ROUGH)
    report = as_json(run)
    assert [call["failures"] for call in report["calls"]] == [[]]
    assert run.returncode == 0


def test_commands_that_fail_first_are_retried_and_the_call_still_completes() -> None:
    run = simulate("--scenario", "willow-creek", "--api-faults", "--json", *ROUGH)
    (call,) = as_json(run)["calls"]
    assert call["failures"] == [] and run.returncode == 0
    assert call["commands"].count("send_dtmf 1") == 1  # a retried command takes effect once


def test_without_transcription_in_the_menu_the_ivr_assistant_reports_hold() -> None:
    run = simulate(
        "--scenario", "willow-creek", "--agent-env", "START_TRANSCRIPTION_DURING_IVR=false", "--json", *ROUGH
    )
    (call,) = as_json(run)["calls"]
    assert call["failures"] == [] and run.returncode == 0
    assert call["commands"][:2] == ["ai_assistant_start(ivr)", "send_dtmf 1"]
    assert any(state.startswith("hold (hold-detected tool") for state in call["states"])


def test_a_call_that_runs_too_long_is_hung_up_and_fails() -> None:
    run = simulate("--scenario", "acme-insurance", "--timeout", "3", "--json")
    (call,) = as_json(run)["calls"]
    assert run.returncode == 1
    assert "the call ran past --timeout; the company hung up" in call["failures"]
    # The service was told: the session ended with the company's hangup.
    assert call["outcome"] == "hung_up_by_company"
    assert not any("still" in failure for failure in call["failures"])


def test_a_call_that_misses_its_goal_fails(tmp_path: Path) -> None:
    wrong = (SCENARIOS / "corner-hardware.toml").read_text().replace('outcome = "completed"', 'outcome = "voicemail"')
    scenario = tmp_path / "wrong-expectation.toml"
    scenario.write_text(wrong)
    run = simulate("--scenario", str(scenario), "--calls", "2")
    assert run.returncode == 1
    assert run.stdout.count("  FAIL  outcome completed (expected voicemail)") == 2
    assert "outcome 'completed', expected 'voicemail'" in run.stdout
    assert "0 of 2 call(s) passed" in run.stdout


def test_a_scenario_that_does_not_load_is_a_clear_error(tmp_path: Path) -> None:
    missing = simulate("--scenario", "no-such-company")
    assert missing.returncode == 2 and "no scenario 'no-such-company'" in missing.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text((SCENARIOS / "willow-creek.toml").read_text().replace('then = "sarah"', 'then = "nobody"'))
    run = simulate("--scenario", str(broken))
    assert run.returncode == 2 and "'nobody', which does not exist" in run.stderr


def test_the_readme_command_runs_willow_creek_and_passes() -> None:
    section = README.split("## Try a whole call without a phone", 1)[1]
    command = re.search(r"```bash\n(.*?)\n```", section, flags=re.DOTALL)
    assert command is not None
    run = subprocess.run(["bash", "-c", command.group(1)], capture_output=True, text=True, timeout=240, cwd=REPO)
    assert run.returncode == 0, run.stderr + run.stdout
    assert "willow-creek #1  PASS" in run.stdout and "1 of 1 call(s) passed" in run.stdout
