"""The README's dry-run walkthrough, run verbatim with bash and curl against `python app.py`."""

from __future__ import annotations

import re
import shutil
import subprocess

import httpx
import pytest

from tests.support.harness import SPEC_PATH, transitions
from tests.support.servers import REPO, AppProcess

pytestmark = pytest.mark.e2e  # the whole app over HTTP, with real waits: not in the fast loop

README = (REPO / "README.md").read_text()


def walkthrough_script() -> str:
    section = README.split("<!-- walkthrough:start -->", 1)[1].split("<!-- walkthrough:end -->", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) >= 7, "the walkthrough lost steps"
    return "\n".join(blocks)


def test_the_two_commands_are_in_the_readme() -> None:
    assert ".venv/bin/python app.py" in README
    test_command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/python -m pytest -q"
    assert test_command in README
    assert test_command in (REPO / ".ci" / "run").read_text()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough uses curl")
def test_readme_walkthrough_reaches_every_state() -> None:
    with AppProcess({}) as agent:
        script = walkthrough_script().replace("http://127.0.0.1:8000", agent.url)
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO
        )
        assert run.returncode == 0, run.stderr + run.stdout
        sessions = httpx.get(f"{agent.url}/sessions").json()["sessions"]
    assert len(sessions) == 1
    session = sessions[0]
    assert transitions(session) == SPEC_PATH
    assert session["outcome"] == "completed"
    assert [c["status"] for c in session["commands"]] == ["ok"] * 6
    # What the user sees printed: the session id and each step's answer.
    assert session["session_id"] in run.stdout
    assert '"message":"Pressed 1."' in run.stdout
    assert '"state":"representative"' in run.stdout
    assert '"outcome": "completed"' in run.stdout
