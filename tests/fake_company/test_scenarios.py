"""Scenario files: the shipped ones load, and a broken one is refused with a message that
says what is wrong and where (fake_company/README.md, "Scenario format")."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_company.scenario import (
    OUTCOMES,
    SCENARIOS,
    ClosedStep,
    HangupStep,
    HoldStep,
    MenuStep,
    PersonStep,
    Scenario,
    ScenarioError,
    VoicemailStep,
    load,
    shipped,
    slug,
)
from hold_agent.errors import DataError, HoldAgentError
from tests.support.servers import REPO

# The README's table of shipped scenarios, with the outcome and path each one expects.
README_SCENARIOS: dict[str, tuple[str, list[str] | None]] = {
    "willow-creek": ("completed", ["1"]),
    "acme-insurance": ("completed", ["1", "2"]),
    "riverside-clinic": ("closed", None),
    "first-federal-bank": ("completed", ["40123377#"]),
    "metro-utility": ("completed", ["2"]),
    "bluewave-telecom": ("hung_up_by_company", ["4"]),
    "corner-hardware": ("completed", []),
}

HEADER = """
name = "Test Co line"
company = "Test Co"
start = "main"

[call]
objective = "pay my bill"
context = { account_number = "4012-3377", customer_name = "Alex Morgan" }

[expect]
outcome = "completed"
"""

GOODBYE = """
[steps.bye]
kind = "hangup"
say = "Goodbye."
"""

MAIN_HANGUP = """
[steps.main]
kind = "hangup"
say = "Adios."
"""


def write(tmp_path: Path, text: str, name: str = "company.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def refused(tmp_path: Path, text: str) -> str:
    """Load `text` from a file, expecting a ScenarioError; return its message."""
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load(path)
    message = str(caught.value)
    assert path in message, "the error names the file"
    return message


# --- the shipped scenarios ---------------------------------------------------------------------


def test_shipped_lists_the_readme_scenarios() -> None:
    assert shipped() == sorted(README_SCENARIOS)


@pytest.mark.parametrize("name", sorted(README_SCENARIOS))
def test_every_shipped_scenario_loads_with_its_documented_expectation(name: str) -> None:
    scenario = load(name)
    assert isinstance(scenario, Scenario)
    outcome, path = README_SCENARIOS[name]
    assert scenario.expect.outcome == outcome
    assert scenario.expect.path == path
    assert scenario.start in scenario.steps
    assert scenario.call.objective
    # By name or by path, the same scenario.
    assert load(str(SCENARIOS / f"{name}.toml")) == scenario
    assert slug(SCENARIOS / f"{name}.toml") == name


@pytest.mark.parametrize("name", sorted(README_SCENARIOS))
def test_every_shipped_menu_and_question_refers_to_real_steps_and_context(name: str) -> None:
    scenario = load(name)
    for step in scenario.steps.values():
        if isinstance(step, MenuStep):
            assert set(step.options.values()) | set(step.phrases.values()) <= set(scenario.steps)
            if step.collect:
                assert step.collect in scenario.call.context
        if isinstance(step, PersonStep):
            assert all(q.expect in scenario.call.context for q in step.questions)


def test_the_shipped_step_kinds_parse_into_their_models() -> None:
    assert isinstance(load("willow-creek").steps["main"], MenuStep)
    assert isinstance(load("willow-creek").steps["reservations"], HoldStep)
    assert isinstance(load("willow-creek").steps["sarah"], PersonStep)
    assert isinstance(load("willow-creek").steps["goodbye"], HangupStep)
    assert isinstance(load("riverside-clinic").steps["after_hours"], VoicemailStep)
    dana = load("metro-utility").steps["dana"]
    assert isinstance(dana, PersonStep) and dana.hold is not None and dana.hold.after == 1 and dana.hold.seconds == 120


# --- a file of one's own -----------------------------------------------------------------------


def test_a_minimal_file_loads_with_the_documented_defaults(tmp_path: Path) -> None:
    scenario = load(
        write(
            tmp_path,
            HEADER
            + """
[steps.main]
kind = "menu"
say = "For billing, press 1."
options = { "1" = "queue" }

[steps.queue]
kind = "hold"
duration = 60
then = "person"

[[steps.queue.announcements]]
say = "Thanks for waiting."

[steps.person]
kind = "person"
say = "Hi."

[steps.vm]
kind = "voicemail"
say = "Leave a message after the tone."

[steps.shut]
kind = "closed"
say = "We are closed."
"""
            + GOODBYE,
        )
    )
    assert scenario.call.to == "+15550100000"
    assert scenario.expect.path is None
    menu = scenario.steps["main"]
    assert isinstance(menu, MenuStep)
    assert menu.say == ["For billing, press 1."]  # a string is one utterance
    assert (menu.wait, menu.attempts, menu.on_timeout) == (8.0, 3, "hangup")
    assert menu.invalid == "Sorry, that is not a valid option."
    hold = scenario.steps["queue"]
    assert isinstance(hold, HoldStep)
    assert (hold.say, hold.music, hold.music_every, hold.sip_hold) == ([], [], 15.0, False)
    assert (hold.announcements[0].first, hold.announcements[0].every) == (20.0, 45.0)
    person = scenario.steps["person"]
    assert isinstance(person, PersonStep)
    assert (person.questions, person.hold, person.patience) == ([], None, 12.0)
    assert person.done == "You're all set. Is there anything else I can help with?"
    voicemail = scenario.steps["vm"]
    assert isinstance(voicemail, VoicemailStep) and voicemail.record == 60.0
    closed = scenario.steps["shut"]
    assert isinstance(closed, ClosedStep) and closed.linger == 30.0


def test_menus_may_time_out_to_hangup_and_holds_may_drop(tmp_path: Path) -> None:
    scenario = load(
        write(
            tmp_path,
            HEADER
            + """
[steps.main]
kind = "menu"
say = "Say something."
phrases = { "bill" = "queue" }
on_timeout = "hangup"

[steps.queue]
kind = "hold"
duration = 30
then = "drop"
""",
        )
    )
    menu, hold = scenario.steps["main"], scenario.steps["queue"]
    assert isinstance(menu, MenuStep) and menu.on_timeout == "hangup" and menu.phrases == {"bill": "queue"}
    assert isinstance(hold, HoldStep) and hold.then == "drop"


# --- refusals ----------------------------------------------------------------------------------


def test_invalid_toml_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, HEADER + "\n[steps.main\nkind = 'hangup'\n")
    assert "not valid TOML" in message
    assert "line" in message  # tomllib's position of the problem


def test_an_unknown_top_level_key_is_named(tmp_path: Path) -> None:
    message = refused(tmp_path, 'colour = "red"\n' + HEADER + '[steps.main]\nkind = "hangup"\n')
    assert "colour" in message and "Extra inputs are not permitted" in message


def test_an_unknown_step_key_is_named_with_its_step(tmp_path: Path) -> None:
    message = refused(
        tmp_path,
        HEADER + '[steps.main]\nkind = "menu"\nsay = "Press 1."\noptions = { "1" = "bye" }\ntimeout = 5\n' + GOODBYE,
    )
    assert "steps.main" in message and "timeout" in message


def test_an_unknown_key_in_call_is_named(tmp_path: Path) -> None:
    message = refused(
        tmp_path, HEADER.replace('objective = "pay my bill"', 'objective = "x"\nfrom = "+1555"') + MAIN_HANGUP
    )
    assert "call.from" in message


def test_an_unknown_step_kind_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, HEADER + '[steps.main]\nkind = "dance"\nsay = "Hi."\n')
    assert "steps.main" in message and "dance" in message


@pytest.mark.parametrize(
    ("steps", "named"),
    [
        (
            '[steps.main]\nkind = "menu"\nsay = "Press 1."\noptions = { "1" = "nowhere" }\n',
            "steps.main names step 'nowhere'",
        ),
        (
            '[steps.main]\nkind = "menu"\nsay = "Say it."\nphrases = { "bill" = "nowhere" }\n',
            "steps.main names step 'nowhere'",
        ),
        (
            '[steps.main]\nkind = "menu"\nsay = "Press 1."\noptions = { "1" = "bye" }\non_timeout = "nowhere"\n',
            "steps.main.on_timeout names step 'nowhere'",
        ),
        (
            '[steps.main]\nkind = "menu"\nsay = "Key it."\ncollect = "account_number"\nthen = "nowhere"\n',
            "steps.main.then names step 'nowhere'",
        ),
        ('[steps.main]\nkind = "hold"\nduration = 5\nthen = "nowhere"\n', "steps.main.then names step 'nowhere'"),
        # "hangup" is an on_timeout value, not a hold's `then` (that is "drop").
        ('[steps.main]\nkind = "hold"\nduration = 5\nthen = "hangup"\n', "steps.main.then names step 'hangup'"),
    ],
)
def test_a_step_naming_a_missing_step_is_refused(tmp_path: Path, steps: str, named: str) -> None:
    message = refused(tmp_path, HEADER + steps + GOODBYE)
    assert named in message and "does not exist" in message


def test_a_missing_start_step_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, HEADER.replace('start = "main"', 'start = "lobby"') + GOODBYE)
    assert "start names step 'lobby'" in message


def test_collect_naming_a_missing_context_key_is_refused(tmp_path: Path) -> None:
    message = refused(
        tmp_path,
        HEADER + '[steps.main]\nkind = "menu"\nsay = "Enter your PIN."\ncollect = "pin"\nthen = "bye"\n' + GOODBYE,
    )
    assert "steps.main.collect" in message and "'pin'" in message and "call.context" in message


def test_collect_without_then_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, HEADER + '[steps.main]\nkind = "menu"\nsay = "Enter it."\ncollect = "account_number"\n')
    assert "steps.main" in message and "then" in message


def test_a_question_expecting_a_missing_context_key_is_refused(tmp_path: Path) -> None:
    message = refused(
        tmp_path,
        HEADER
        + '[steps.main]\nkind = "person"\nsay = "Hi."\nquestions = [{ ask = "Your birthday?", expect = "date_of_birth" }]\n',
    )
    assert "steps.main" in message and "'date_of_birth'" in message and "call.context" in message


@pytest.mark.parametrize("key", ["a", "1a", "", " 1", "1 ", "#1x", "\uff10"])
def test_option_keys_must_be_keypad_keys(tmp_path: Path, key: str) -> None:
    message = refused(
        tmp_path, HEADER + f'[steps.main]\nkind = "menu"\nsay = "Press."\noptions = {{ "{key}" = "bye" }}\n' + GOODBYE
    )
    assert "steps.main" in message and f"option {key!r} is not a keypad key sequence" in message


@pytest.mark.parametrize("key", ["1", "0", "*", "#", "12", "*9#"])
def test_keypad_option_keys_are_accepted(tmp_path: Path, key: str) -> None:
    scenario = load(
        write(
            tmp_path,
            HEADER + f'[steps.main]\nkind = "menu"\nsay = "Press."\noptions = {{ "{key}" = "bye" }}\n' + GOODBYE,
        )
    )
    menu = scenario.steps["main"]
    assert isinstance(menu, MenuStep) and menu.options == {key: "bye"}


def test_a_menu_with_no_way_out_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, HEADER + '[steps.main]\nkind = "menu"\nsay = "Hello."\n')
    assert "steps.main" in message and "a menu needs options, phrases or collect" in message


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ('[steps.main]\nkind = "hold"\nthen = "bye"\n', "duration"),
        ('[steps.main]\nkind = "hold"\nduration = 0\nthen = "bye"\n', "duration"),
        ('[steps.main]\nkind = "menu"\nsay = "Press 1."\noptions = { "1" = "bye" }\nattempts = 0\n', "attempts"),
        ('[steps.main]\nkind = "menu"\nsay = "Press 1."\noptions = { "1" = "bye" }\nwait = -1\n', "wait"),
        ('[steps.main]\nkind = "person"\n', "say"),
    ],
)
def test_missing_or_out_of_range_fields_are_named(tmp_path: Path, steps: str, field: str) -> None:
    message = refused(tmp_path, HEADER + steps + GOODBYE)
    assert "steps.main" in message and field in message


def test_missing_sections_are_named(tmp_path: Path) -> None:
    message = refused(tmp_path, 'name = "x"\ncompany = "y"\nstart = "main"\n')
    for section in ("call", "expect", "steps"):
        assert section in message


def test_an_unknown_name_is_refused_listing_the_shipped_ones() -> None:
    with pytest.raises(ScenarioError) as caught:
        load("no-such-company")
    message = str(caught.value)
    assert "no scenario 'no-such-company'" in message
    assert all(name in message for name in README_SCENARIOS)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no scenario"):
        load(str(tmp_path / "absent.toml"))


def test_a_directory_is_not_a_scenario(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no scenario"):
        load(str(tmp_path))


def test_scenario_error_is_a_data_error_in_the_one_tree() -> None:
    assert issubclass(ScenarioError, DataError) and issubclass(ScenarioError, HoldAgentError)


def test_a_file_that_is_not_utf8_is_refused_with_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes((HEADER + MAIN_HANGUP.replace("Adios", "Adi\xf3s")).encode("latin-1"))
    with pytest.raises(ScenarioError):
        load(str(path))


@pytest.mark.parametrize("reserved", ["drop", "hangup"])
def test_a_step_may_not_be_named_like_a_way_to_hang_up(tmp_path: Path, reserved: str) -> None:
    message = refused(
        tmp_path,
        HEADER
        + f'[steps.main]\nkind = "hold"\nduration = 5\nthen = "{reserved}"\n[steps.{reserved}]\nkind = "hangup"\n',
    )
    assert repr(reserved) in message and "hangs up" in message


def test_every_outcome_a_scenario_may_expect_is_documented_in_api_md() -> None:
    api = (REPO / "API.md").read_text()
    assert [outcome for outcome in sorted(OUTCOMES) if f"`{outcome}`" not in api] == []


def test_an_expected_outcome_the_service_never_records_is_refused(tmp_path: Path) -> None:
    text = (SCENARIOS / "willow-creek.toml").read_text().replace('outcome = "completed"', 'outcome = "complete"')
    path = tmp_path / "typo.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match="'complete' is not an outcome"):
        load(str(path))
