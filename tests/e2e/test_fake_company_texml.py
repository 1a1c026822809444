"""The fake company's TeXML pages: every shipped scenario walked along its path, holds,
people, and odd requests (a local ASGI app; nothing leaves the process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

import httpx
import pytest
from fastapi import FastAPI

from fake_company import texml_routes
from fake_company.scenario import HoldStep, MenuStep, PersonStep, load, shipped
from fake_company.texml_routes import Urls, build_router, render_input, render_person, render_step
from tests.support.fake_company import PUBLIC, XML_DECLARATION, scenario_file

# The whole app over HTTP, with real waits: not in the fast loop.
pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


def texml_client(public_base_url: str | None = PUBLIC) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(build_router(public_base_url))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fake.test")


async def fetch(http: httpx.AsyncClient, url: str, method: str = "POST", **kwargs: Any) -> Element:
    """Request a page (absolute URLs go to the same app) and check it is a TeXML document."""
    response = await http.request(method, url, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "application/xml"
    assert response.text.startswith(XML_DECLARATION + "\n<Response")
    root = ElementTree.fromstring(response.text)
    assert root.tag == "Response"
    return root


def said(root: Element) -> list[str]:
    return [say.text or "" for say in root.iter("Say")]


def step_of(url: str) -> str:
    """The step a page's URL names: .../steps/{step}[/input|/answer][?...]."""
    parts = urlsplit(url).path.split("/")
    return parts[parts.index("steps") + 1]


def only_redirect(root: Element) -> str:
    """A page that just moves on: one Redirect and nothing else."""
    assert [child.tag for child in root] == ["Redirect"], ElementTree.tostring(root, encoding="unicode")
    return root[0].text or ""


def is_goodbye(root: Element) -> bool:
    return root[-1].tag == "Hangup" and root.find("Gather") is None and root.find("Redirect") is None


def timeline(root: Element) -> tuple[list[tuple[int, str]], list[int]]:
    """(seconds into the page, text) of every top-level Say, and every Pause length."""
    elapsed, says, pauses = 0, [], []
    for child in root:
        if child.tag == "Pause":
            length = int(child.get("length") or 0)
            pauses.append(length)
            elapsed += length
        elif child.tag == "Say":
            says.append((elapsed, child.text or ""))
    return says, pauses


# --- Willow Creek, the spec's company ---------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_default_texml_is_willow_creeks_first_menu(method: str) -> None:
    async with texml_client() as http:
        root = await fetch(
            http, "/fake-company/texml", method, data={"CallSid": "v3:abc"} if method == "POST" else None
        )
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("action") == f"{PUBLIC}/fake-company/willow-creek/steps/main/input?attempt=1"
    assert gather.get("method") == "POST"
    assert (gather.get("input"), gather.get("numDigits"), gather.get("validDigits")) == ("dtmf", "1", "12")
    assert gather.get("timeout") == "8"
    prompt = " ".join(said(gather))
    assert "Thank you for calling Willow Creek Hotel." in prompt and "For reservations, press 1." in prompt
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text == f"{PUBLIC}/fake-company/willow-creek/steps/main?attempt=2"
    assert [child.tag for child in root] == ["Gather", "Redirect"]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_action_urls_fall_back_to_the_request_base_url(method: str) -> None:
    async with texml_client(None) as http:
        root = await fetch(http, "/fake-company/texml", method)
        menu = await fetch(
            http, "/fake-company/willow-creek/steps/main/input?attempt=1", method, params={"Digits": "1"}
        )
    gather = root.find("Gather")
    assert (
        gather is not None
        and gather.get("action") == "http://fake.test/fake-company/willow-creek/steps/main/input?attempt=1"
    )
    assert only_redirect(menu) == "http://fake.test/fake-company/willow-creek/steps/reservations"


async def test_every_url_on_every_page_is_absolute_and_uses_public_base_url() -> None:
    async with texml_client("https://pub.example.net") as http:
        pages = [await fetch(http, f"/fake-company/{name}/texml") for name in shipped()]
        pages += [
            await fetch(http, f"/fake-company/{name}/steps/{step}") for name in shipped() for step in load(name).steps
        ]
    urls = [gather.get("action") or "" for page in pages for gather in page.iter("Gather")]
    urls += [redirect.text or "" for page in pages for redirect in page.iter("Redirect")]
    assert len(urls) > 30
    assert all(url.startswith("https://pub.example.net/fake-company/") for url in urls), urls


@pytest.mark.parametrize(("digits", "step"), [("1", "reservations"), ("2", "front_desk")])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_default_menu_routes_willow_creeks_keys(digits: str, step: str, method: str) -> None:
    async with texml_client() as http:
        if method == "POST":
            root = await fetch(http, "/fake-company/menu?attempt=1", "POST", data={"Digits": digits, "CallSid": "x"})
        else:
            root = await fetch(http, "/fake-company/menu", "GET", params={"Digits": digits})
    assert only_redirect(root) == f"{PUBLIC}/fake-company/willow-creek/steps/{step}"


@pytest.mark.parametrize("digits", ["9", "", "12", "<script>", "1 OR 1=1", "\u0661"])
async def test_default_menu_repeats_on_a_wrong_key_then_says_goodbye(digits: str) -> None:
    async with texml_client() as http:
        first = await fetch(http, "/fake-company/menu?attempt=1", data={"Digits": digits})
        last = await fetch(http, "/fake-company/menu?attempt=3", data={"Digits": digits})
    assert said(first) == ["Sorry, that is not a valid option."]
    redirect = first.find("Redirect")
    assert redirect is not None and redirect.text == f"{PUBLIC}/fake-company/willow-creek/steps/main?attempt=2"
    # After the last attempt: on_timeout, Willow Creek's "goodbye" step.
    assert said(last) == ["Sorry, that is not a valid option."]
    redirect = last.find("Redirect")
    assert redirect is not None and redirect.text == f"{PUBLIC}/fake-company/willow-creek/steps/goodbye"


# --- every shipped scenario, walked along its expected path -----------------------------------

# The steps each scenario's TeXML passes through when the caller follows `expect.path`
# (a conversational menu is answered with the call's objective), and how the walk ends.
WALKS: dict[str, tuple[list[str], str]] = {
    "willow-creek": (["main", "reservations", "sarah"], "person"),
    "acme-insurance": (["main", "claims", "claims_queue", "priya"], "person"),
    "first-federal-bank": (["assistant", "account_entry", "card_queue", "marcus"], "person"),
    "metro-utility": (["main", "billing_queue", "dana"], "person"),
    "bluewave-telecom": (["main", "retention_queue"], "hangup"),
    "corner-hardware": (["mike"], "person"),
    "riverside-clinic": (["after_hours"], "hangup"),
}


def test_the_walk_table_covers_every_shipped_scenario() -> None:
    assert sorted(WALKS) == shipped()


async def walk(http: httpx.AsyncClient, name: str, method: str) -> tuple[list[str], Element]:
    """Follow a scenario's TeXML from its first page, answering menus along `expect.path`."""
    scenario = load(name)
    keys = list(scenario.expect.path or [])
    steps = [scenario.start]
    root = await fetch(http, f"/fake-company/{name}/texml", method)
    for _ in range(20):
        gather = root.find("Gather")
        if gather is not None and "/input" in (gather.get("action") or ""):
            step = scenario.steps[step_of(gather.get("action") or "")]
            assert isinstance(step, MenuStep) and step_of(gather.get("action") or "") == steps[-1]
            if "dtmf" in (gather.get("input") or ""):
                digits = keys.pop(0)
                answer = {"Digits": digits}
                expected = step.options.get(digits) or step.then
            else:
                answer = {"SpeechResult": scenario.call.objective}
                expected = next(t for word, t in step.phrases.items() if word in scenario.call.objective)
            url = only_redirect(await fetch(http, gather.get("action") or "", data=answer))
            assert step_of(url) == expected
        elif root[-1].tag == "Redirect":
            url = root[-1].text or ""
        else:
            break
        steps.append(step_of(url))
        assert url == f"{PUBLIC}/fake-company/{name}/steps/{steps[-1]}"
        root = await fetch(http, url, method)
    assert keys == [], "every key of expect.path was pressed"
    return steps, root


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", sorted(WALKS))
async def test_each_shipped_scenario_can_be_walked_along_its_expected_path(name: str, method: str) -> None:
    async with texml_client() as http:
        steps, last = await walk(http, name, method)
    expected_steps, ending = WALKS[name]
    assert steps == expected_steps
    final = load(name).steps[steps[-1]]
    if ending == "person":
        assert isinstance(final, PersonStep)
        gather = last.find("Gather")
        assert gather is not None and gather.get("input") == "speech"
        assert gather.get("action") == f"{PUBLIC}/fake-company/{name}/steps/{steps[-1]}/answer?q=1"
        assert said(last)[: len(final.say)] == final.say
    else:
        assert is_goodbye(last)


@pytest.mark.parametrize("digits", ["40123377#", "40123377"])
async def test_collect_accepts_the_account_number_with_or_without_pound(digits: str) -> None:
    async with texml_client() as http:
        root = await fetch(http, "/fake-company/first-federal-bank/steps/account_entry")
        gather = root.find("Gather")
        assert gather is not None
        assert (gather.get("input"), gather.get("finishOnKey"), gather.get("numDigits")) == ("dtmf", "#", "20")
        moved = await fetch(http, gather.get("action") or "", data={"Digits": digits})
    assert only_redirect(moved) == f"{PUBLIC}/fake-company/first-federal-bank/steps/card_queue"


async def test_collect_refuses_a_wrong_account_number() -> None:
    async with texml_client() as http:
        root = await fetch(
            http, "/fake-company/first-federal-bank/steps/account_entry/input?attempt=1", data={"Digits": "4012337#"}
        )
    assert said(root) == ["Sorry, that account number doesn't match our records. Please try again."]
    redirect = root.find("Redirect")
    assert (
        redirect is not None
        and redirect.text == f"{PUBLIC}/fake-company/first-federal-bank/steps/account_entry?attempt=2"
    )


@pytest.mark.parametrize(
    ("speech", "step"),
    [("Dispute a CHARGE please", "account_entry"), ("what is my balance", "balance"), ("a loan", "loans")],
)
async def test_a_conversational_menu_routes_spoken_words(speech: str, step: str) -> None:
    async with texml_client() as http:
        root = await fetch(
            http, "/fake-company/first-federal-bank/steps/assistant/input?attempt=1", data={"SpeechResult": speech}
        )
    assert only_redirect(root) == f"{PUBLIC}/fake-company/first-federal-bank/steps/{step}"


async def test_wrong_digits_repeat_the_menu_then_end_with_on_timeout() -> None:
    name, menu = "acme-insurance", "claims"
    step = load(name).steps[menu]
    assert isinstance(step, MenuStep) and step.attempts == 3 and step.on_timeout == "goodbye"
    async with texml_client() as http:
        url = f"{PUBLIC}/fake-company/{name}/steps/{menu}"
        for attempt in range(1, step.attempts + 1):
            page = await fetch(http, url)
            gather = page.find("Gather")
            assert gather is not None
            assert gather.get("action") == f"{PUBLIC}/fake-company/{name}/steps/{menu}/input?attempt={attempt}"
            assert gather.get("validDigits") == "*12"
            reply = await fetch(http, gather.get("action") or "", data={"Digits": "7"})
            assert said(reply) == [step.invalid]
            redirect = reply.find("Redirect")
            assert redirect is not None
            url = redirect.text or ""
            if attempt < step.attempts:
                assert url == f"{PUBLIC}/fake-company/{name}/steps/{menu}?attempt={attempt + 1}"
        assert url == f"{PUBLIC}/fake-company/{name}/steps/goodbye"
        goodbye = await fetch(http, url)
    assert said(goodbye) == ["We did not receive a valid response. Goodbye."]
    assert is_goodbye(goodbye)


async def test_a_menu_nobody_answers_moves_to_on_timeout_after_its_last_attempt() -> None:
    async with texml_client() as http:
        first = await fetch(http, "/fake-company/bluewave-telecom/steps/main")
        last = await fetch(http, "/fake-company/bluewave-telecom/steps/main?attempt=3")
    assert [child.tag for child in first] == ["Gather", "Redirect"]
    assert first[1].text == f"{PUBLIC}/fake-company/bluewave-telecom/steps/main?attempt=2"
    assert [child.tag for child in last] == ["Gather", "Redirect"]
    assert last[1].text == f"{PUBLIC}/fake-company/bluewave-telecom/steps/gone"


def test_a_menu_that_times_out_to_hangup_hangs_up(tmp_path: Path) -> None:
    scenario = scenario_file(
        tmp_path,
        """
name = "t"
company = "T"
start = "main"
[call]
objective = "x"
[expect]
outcome = "ivr_timeout"
[steps.main]
kind = "menu"
say = "Press 1."
options = { "1" = "main" }
attempts = 2
""",
    )
    urls = Urls(PUBLIC, "t")
    assert render_step(scenario, "main", 2, urls).root[-1].tag == "Hangup"
    wrong = render_input(scenario, "main", {"Digits": "5", "attempt": "2"}, urls).root
    assert [child.tag for child in wrong] == ["Say", "Hangup"]


# --- holds ------------------------------------------------------------------------------------


async def test_willow_creeks_hold_is_pauses_with_announcements_at_their_times() -> None:
    async with texml_client() as http:
        root = await fetch(http, "/fake-company/willow-creek/steps/reservations")
    says, pauses = timeline(root)
    intro = "Connecting you to reservations. Please hold, your call is important to us."
    first, second = "Thank you for holding.", "All of our reservation agents are still assisting other guests."
    assert says == [(0, intro), (40, first), (40, second), (90, first), (90, second), (140, first), (140, second)]
    assert pauses == [40, 50, 50, 10]
    assert root[-1].tag == "Redirect" and root[-1].text == f"{PUBLIC}/fake-company/willow-creek/steps/sarah"


def hold_steps() -> list[tuple[str, str]]:
    return [
        (name, step) for name in shipped() for step, value in load(name).steps.items() if isinstance(value, HoldStep)
    ]


@pytest.mark.parametrize(("name", "step_name"), hold_steps())
async def test_every_shipped_hold_renders_its_announcements_for_its_duration(name: str, step_name: str) -> None:
    step = load(name).steps[step_name]
    assert isinstance(step, HoldStep)
    async with texml_client() as http:
        root = await fetch(http, f"/fake-company/{name}/steps/{step_name}")
    says, pauses = timeline(root)
    expected = [(0, line) for line in step.say]
    for announcement in step.announcements:
        at = announcement.first
        while at < step.duration:
            expected += [(round(at), line) for line in announcement.say]
            at += announcement.every
    assert sorted(says) == sorted(expected)
    assert says == sorted(says, key=lambda item: item[0])
    assert sum(pauses) == step.duration
    assert all(1 <= length <= 180 for length in pauses)
    assert root.find("Gather") is None  # on hold nobody is asked anything
    if step.then == "drop":
        assert root[-1].tag == "Hangup"
    else:
        assert root[-1].tag == "Redirect" and root[-1].text == f"{PUBLIC}/fake-company/{name}/steps/{step.then}"


HOLD_ONLY = """
name = "Long hold"
company = "T"
start = "queue"
[call]
objective = "x"
[expect]
outcome = "hold_timeout"
[steps.queue]
kind = "hold"
duration = {duration}
then = "drop"
{announcements}
"""


def test_a_long_silence_is_split_into_pauses_of_at_most_180_seconds(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, HOLD_ONLY.format(duration=400, announcements=""))
    says, pauses = timeline(render_step(scenario, "queue", 1, Urls(PUBLIC, "t")).root)
    assert pauses == [180, 180, 40] and says == []
    scenario = scenario_file(
        tmp_path,
        HOLD_ONLY.format(
            duration=700, announcements='[[steps.queue.announcements]]\nsay = "Still here."\nfirst = 300\nevery = 350\n'
        ),
    )
    says, pauses = timeline(render_step(scenario, "queue", 1, Urls(PUBLIC, "t")).root)
    assert says == [(300, "Still here."), (650, "Still here.")]
    assert all(length <= 180 for length in pauses) and sum(pauses) == 700


def test_fractional_announcement_times_do_not_drift(tmp_path: Path) -> None:
    scenario = scenario_file(
        tmp_path,
        HOLD_ONLY.format(
            duration=52, announcements='[[steps.queue.announcements]]\nsay = "Hang on."\nfirst = 10.4\nevery = 10.4\n'
        ),
    )
    says, pauses = timeline(render_step(scenario, "queue", 1, Urls(PUBLIC, "t")).root)
    wanted = [10.4, 20.8, 31.2, 41.6]
    assert len(says) == len(wanted)
    assert all(abs(at - want) <= 1 for (at, _), want in zip(says, wanted, strict=True)), says
    assert abs(sum(pauses) - 52) <= 1, pauses


# --- people -----------------------------------------------------------------------------------


def person_steps() -> list[tuple[str, str]]:
    return [
        (name, step) for name in shipped() for step, value in load(name).steps.items() if isinstance(value, PersonStep)
    ]


@pytest.mark.parametrize(("name", "step_name"), person_steps())
async def test_a_persons_questions_are_speech_gathers_chained_by_q(name: str, step_name: str) -> None:
    step = load(name).steps[step_name]
    assert isinstance(step, PersonStep)
    asked: list[str] = []
    async with texml_client() as http:
        root = await fetch(http, f"/fake-company/{name}/steps/{step_name}")
        assert said(root)[: len(step.say)] == step.say
        for number in range(1, len(step.questions) + 2):
            gather = root.find("Gather")
            assert gather is not None
            assert gather.get("input") == "speech" and gather.get("timeout") == str(int(step.patience))
            assert gather.get("action") == f"{PUBLIC}/fake-company/{name}/steps/{step_name}/answer?q={number}"
            asked.append(" ".join(said(gather)))
            # Silence falls through the gather to a goodbye.
            assert root[-1].tag == "Hangup"
            root = await fetch(http, gather.get("action") or "", data={"SpeechResult": "It's Alex Morgan."})
    assert asked == [question.ask for question in step.questions] + [step.done]


async def test_the_personal_hold_comes_after_the_configured_number_of_answers() -> None:
    dana = load("metro-utility").steps["dana"]
    assert isinstance(dana, PersonStep) and dana.hold is not None and dana.hold.after == 1
    async with texml_client() as http:
        pages = [await fetch(http, "/fake-company/metro-utility/steps/dana")]
        for q in (1, 2):
            pages.append(
                await fetch(http, f"/fake-company/metro-utility/steps/dana/answer?q={q}", data={"SpeechResult": "ok"})
            )
    with_hold = [index for index, page in enumerate(pages) if dana.hold.say in said(page)]
    assert with_hold == [1]
    says, pauses = timeline(pages[1])
    assert says[:2] == [(0, dana.hold.say), (120, dana.hold.back)]
    assert pauses[0] == 120
    assert [child.tag for child in pages[1]][:4] == ["Say", "Pause", "Say", "Gather"]
    gather = pages[1].find("Gather")
    assert gather is not None and said(gather) == [dana.questions[1].ask]


def test_a_personal_hold_after_more_answers_than_questions_comes_after_the_last(tmp_path: Path) -> None:
    scenario = scenario_file(
        tmp_path,
        """
name = "t"
company = "T"
start = "pat"
[call]
objective = "x"
context = { name = "Alex" }
[expect]
outcome = "completed"
[steps.pat]
kind = "person"
say = "Hi, Pat here."
questions = [{ ask = "Your name?", expect = "name" }]
hold = { after = 5, say = "Hold on a sec.", seconds = 30, back = "I'm back." }
done = "Done. Anything else?"
""",
    )
    urls = Urls(PUBLIC, "t")
    assert "Hold on a sec." not in said(render_step(scenario, "pat", 1, urls).root)
    after_last = render_person(scenario, "pat", 1, urls).root
    assert said(after_last)[:3] == ["Hold on a sec.", "I'm back.", "Done. Anything else?"]


async def test_answering_done_ends_the_call() -> None:
    async with texml_client() as http:
        root = await fetch(
            http, "/fake-company/willow-creek/steps/sarah/answer?q=3", data={"SpeechResult": "No, that's all."}
        )
    assert root.find("Gather") is None
    assert root[-1].tag == "Hangup"


# --- odd requests -----------------------------------------------------------------------------

NOT_IN_SERVICE = "This number is not in service. Goodbye."


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "name",
    ["nope", "%2e%2e", "willow-creek.toml", "WILLOW-CREEK", "willow-creek%00", "x" * 5000, "scenarios", "__init__"],
)
async def test_an_unknown_scenario_says_it_is_not_in_service(name: str, method: str) -> None:
    async with texml_client() as http:
        for path in ("texml", "steps/main", "steps/main/input", "steps/sarah/answer?q=1"):
            root = await fetch(http, f"/fake-company/{name}/{path}", method)
            assert said(root) == [NOT_IN_SERVICE] and is_goodbye(root)


@pytest.mark.parametrize(
    "path",
    [
        "/fake-company/..%2F..%2Fetc/texml",
        "/fake-company/..%2F..%2Fetc%2Fpasswd/texml",
        "/fake-company/willow-creek/steps/..%2F..%2Fscenario.py",
        "/fake-company/..%2Fscenarios%2Fwillow-creek/texml",
        "/fake-company/%2Fetc%2Fpasswd/texml",
    ],
)
async def test_encoded_slashes_never_reach_a_file(path: str) -> None:
    # The decoded path has extra segments, so no page matches: the router's 404, never a 500,
    # never a file's contents (or a scenario's pages).
    async with texml_client() as http:
        for method in ("GET", "POST"):
            response = await http.request(method, path)
            assert response.status_code in (200, 404), response.text
            assert "root:" not in response.text and "import" not in response.text
            if response.status_code == 200:
                assert said(ElementTree.fromstring(response.text)) == [NOT_IN_SERVICE]


@pytest.mark.parametrize("step", ["nope", "%2e%2e", "hangup", "drop", "x" * 3000, "main%00", "%3Cscript%3E"])
async def test_an_unknown_step_says_goodbye(step: str) -> None:
    async with texml_client() as http:
        for url in (f"/fake-company/willow-creek/steps/{step}", f"/fake-company/willow-creek/steps/{step}/answer?q=1"):
            root = await fetch(http, url)
            assert said(root) == ["Goodbye."] and is_goodbye(root)
        # Input for something that is not a menu starts the caller over at the first menu.
        root = await fetch(http, f"/fake-company/willow-creek/steps/{step}/input", data={"Digits": "1"})
    gather = root.find("Gather")
    assert (
        gather is not None and gather.get("action") == f"{PUBLIC}/fake-company/willow-creek/steps/main/input?attempt=1"
    )


async def test_input_for_a_step_that_is_not_a_menu_starts_over_at_the_first_menu() -> None:
    async with texml_client() as http:
        root = await fetch(http, "/fake-company/willow-creek/steps/reservations/input", data={"Digits": "1"})
    gather = root.find("Gather")
    assert (
        gather is not None and gather.get("action") == f"{PUBLIC}/fake-company/willow-creek/steps/main/input?attempt=1"
    )


@pytest.mark.parametrize("attempt", ["0", "-1", "abc", "99999999999", "", "1e3", "\u0663", "%00", "2.5", "+2", "9999"])
async def test_odd_attempt_numbers_stay_within_the_menus_attempts(attempt: str) -> None:
    async with texml_client() as http:
        for url in (
            f"/fake-company/willow-creek/steps/main?attempt={attempt}",
            f"/fake-company/texml?attempt={attempt}",
        ):
            root = await fetch(http, url)
            gather = root.find("Gather")
            assert gather is not None
            number = int((gather.get("action") or "").rsplit("=", 1)[1])
            assert 1 <= number <= 3
        wrong = await fetch(
            http, f"/fake-company/willow-creek/steps/main/input?attempt={attempt}", data={"Digits": "9"}
        )
    assert said(wrong) == ["Sorry, that is not a valid option."]
    redirect = wrong.find("Redirect")
    assert redirect is not None and step_of(redirect.text or "") in ("main", "goodbye")


@pytest.mark.parametrize("q", ["-1", "abc", "99999", "1000", "1e3", "", "\u0661", "0"])
async def test_odd_question_numbers_get_a_well_formed_page(q: str) -> None:
    async with texml_client() as http:
        root = await fetch(http, f"/fake-company/willow-creek/steps/sarah/answer?q={q}", data={"SpeechResult": "hi"})
    gather = root.find("Gather")
    if gather is None:
        # Past the last question (and "anything else?"): goodbye.
        assert any("goodbye" in line.lower() for line in said(root))
    else:
        assert gather.get("input") == "speech"
        number = int((gather.get("action") or "").rsplit("=", 1)[1])
        assert 1 <= number <= 3
    assert root[-1].tag == "Hangup"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"Digits=" + b"1" * 100_000, "application/x-www-form-urlencoded"),
        (b"&".join(b"f%d=1" % i for i in range(500)) + b"&Digits=1", "application/x-www-form-urlencoded"),
        (b"Digits=\xff\xfe&SpeechResult=\xc3\x28", "application/x-www-form-urlencoded"),
        (b'{"Digits": "1"}', "application/json"),
        (b"\x00" * 1000, "application/octet-stream"),
        (b"Digits=1&Digits=2", "application/x-www-form-urlencoded"),
    ],
)
async def test_odd_bodies_get_a_well_formed_page(content: bytes, content_type: str) -> None:
    async with texml_client() as http:
        root = await fetch(
            http,
            "/fake-company/willow-creek/steps/main/input?attempt=1",
            content=content,
            headers={"content-type": content_type},
        )
        menu = await fetch(http, "/fake-company/menu", content=content, headers={"content-type": content_type})
    for page in (root, menu):
        assert page.find("Redirect") is not None or page.find("Gather") is not None


async def test_text_with_markup_is_escaped_not_injected() -> None:
    async with texml_client("https://a.example/?x=1&y=<2>") as http:
        response = await http.get("/fake-company/texml")
    root = ElementTree.fromstring(response.text)
    gather = root.find("Gather")
    assert gather is not None and (gather.get("action") or "").startswith("https://a.example/?x=1&y=<2>/fake-company/")
    assert [child.tag for child in root] == ["Gather", "Redirect"]


async def test_a_file_in_the_working_directory_does_not_replace_a_shipped_scenario(tmp_path: Path) -> None:
    # conftest runs every test in tmp_path, so this file is in the working directory.
    (tmp_path / "willow-creek").write_text(
        'name = "Impostor"\ncompany = "Impostor"\nstart = "main"\n[call]\nobjective = "x"\n[expect]\noutcome = "x"\n'
        '[steps.main]\nkind = "hangup"\nsay = "Impostor line."\n',
        encoding="utf-8",
    )
    texml_routes._load.cache_clear()
    try:
        async with texml_client() as http:
            root = await fetch(http, "/fake-company/willow-creek/texml")
    finally:
        texml_routes._load.cache_clear()
    assert "Impostor line." not in said(root)
    assert root.find("Gather") is not None
