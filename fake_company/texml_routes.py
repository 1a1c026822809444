"""Every scenario as TeXML, so the same fake company can be dialled through a real Telnyx number.

    /fake-company/{scenario}/texml                  the scenario's first step
    /fake-company/{scenario}/steps/{step}           one step (`?attempt=N` for menus)
    /fake-company/{scenario}/steps/{step}/input     a menu's answer (form or query: Digits, SpeechResult)
    /fake-company/{scenario}/steps/{step}/answer    a person's question answered (`?q=N`)
    /fake-company/texml, /fake-company/menu         Willow Creek Hotel, the spec's company

All action URLs are absolute: PUBLIC_BASE_URL when set, else the request's own base URL.
Every route answers GET and POST (TeXML callers use either), and any input, however odd,
gets a well-formed document (the menu repeats, or the call says goodbye).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response

from . import scenario as scenarios
from .scenario import (
    DROP,
    HANGUP,
    ClosedStep,
    HangupStep,
    HoldStep,
    MenuStep,
    PersonStep,
    Scenario,
    ScenarioError,
    VoicemailStep,
)
from .texml import TeXML

DEFAULT_SCENARIO = "willow-creek"
XML = "application/xml"
MAX_PAUSE = 180  # TeXML's limit for one <Pause>


@lru_cache(maxsize=64)
def _load(name: str) -> Scenario | None:
    if name not in scenarios.shipped():
        return None  # only shipped scenarios are served: no paths from the network
    try:
        return scenarios.load(name)
    except ScenarioError:
        return None


def build_router(public_base_url: str | None = None) -> APIRouter:
    router = APIRouter(prefix="/fake-company", tags=["fake company"])

    def base(request: Request) -> str:
        return public_base_url or str(request.base_url).rstrip("/")

    def page(name: str, request: Request, render: Callable[[Scenario, Urls], TeXML]) -> Response:
        found = _load(name)
        if found is None:
            doc = TeXML().say("This number is not in service. Goodbye.").hangup()
        else:
            doc = render(found, Urls(base(request), name))
        return Response(doc.render(), media_type=XML)

    def both(path: str, extra: dict[str, object]) -> Callable[[Callable[..., object]], Callable[..., object]]:
        def register(handler: Callable[..., object]) -> Callable[..., object]:
            router.add_api_route(
                path,
                handler,
                methods=["GET"],
                response_class=Response,
                openapi_extra=_declared("GET", extra),
                name=f"{handler.__name__}_get",
            )
            router.add_api_route(
                path,
                handler,
                methods=["POST"],
                response_class=Response,
                openapi_extra=_declared("POST", extra),
                name=f"{handler.__name__}_post",
            )
            return handler

        return register

    @both("/texml", {"CallSid": "form"})
    async def default_start(request: Request) -> Response:
        return page(DEFAULT_SCENARIO, request, lambda s, urls: render_step(s, s.start, 1, urls))

    @both("/menu", {"Digits": "form", "SpeechResult": "form"})
    async def default_menu_input(request: Request) -> Response:
        fields = await _fields(request)
        scenario_ = _load(DEFAULT_SCENARIO)
        first = scenario_.start if scenario_ else ""
        return page(DEFAULT_SCENARIO, request, lambda s, urls: render_input(s, first, fields, urls))

    @both("/{scenario}/texml", {"CallSid": "form"})
    async def start(scenario: str, request: Request) -> Response:
        return page(scenario, request, lambda s, urls: render_step(s, s.start, 1, urls))

    @both("/{scenario}/steps/{step}", {"CallSid": "form"})
    async def step(scenario: str, step: str, request: Request) -> Response:
        attempt = _number(request.query_params.get("attempt"), 1)
        return page(scenario, request, lambda s, urls: render_step(s, step, attempt, urls))

    @both("/{scenario}/steps/{step}/input", {"Digits": "form", "SpeechResult": "form"})
    async def menu_input(scenario: str, step: str, request: Request) -> Response:
        fields = await _fields(request)
        return page(scenario, request, lambda s, urls: render_input(s, step, fields, urls))

    @both("/{scenario}/steps/{step}/answer", {"SpeechResult": "form"})
    async def answer(scenario: str, step: str, request: Request) -> Response:
        question = _number(request.query_params.get("q"), 0, upper=1000)
        return page(scenario, request, lambda s, urls: render_person(s, step, question, urls))

    return router


class Urls:
    def __init__(self, base: str, scenario: str) -> None:
        self.root = f"{base}/fake-company/{scenario}"

    def step(self, step: str, attempt: int | None = None) -> str:
        return f"{self.root}/steps/{step}" + (f"?attempt={attempt}" if attempt else "")

    def input(self, step: str, attempt: int) -> str:
        return f"{self.root}/steps/{step}/input?attempt={attempt}"

    def answer(self, step: str, question: int) -> str:
        return f"{self.root}/steps/{step}/answer?q={question}"


# --- rendering -----------------------------------------------------------------------------


def render_step(s: Scenario, name: str, attempt: int, urls: Urls) -> TeXML:
    step = s.steps.get(name)
    doc = TeXML()
    if isinstance(step, MenuStep):
        attempt = min(max(attempt, 1), step.attempts)
        _gather_menu(doc, name, step, attempt, urls)
        if attempt < step.attempts:
            doc.redirect(urls.step(name, attempt + 1))
        else:
            _go(doc, step.on_timeout, urls)
    elif isinstance(step, HoldStep):
        for line in step.say:
            doc.say(line)
        _hold_timeline(doc, step)
        _go(doc, step.then, urls, drop=True)
    elif isinstance(step, PersonStep):
        for line in step.say:
            doc.say(line)
        return render_person(s, name, 0, urls, doc)
    elif isinstance(step, VoicemailStep):
        for line in step.say:
            doc.say(line)
        _pause(doc, step.record)
        doc.hangup()
    elif isinstance(step, (ClosedStep, HangupStep)):
        for line in step.say:
            doc.say(line)
        if isinstance(step, ClosedStep):
            _pause(doc, step.linger)
        doc.hangup()
    else:
        doc.say("Goodbye.").hangup()
    return doc


def render_input(s: Scenario, name: str, fields: dict[str, str], urls: Urls) -> TeXML:
    step = s.steps.get(name)
    if not isinstance(step, MenuStep):
        return render_step(s, s.start, 1, urls)
    target = step.route(fields.get("Digits", ""), fields.get("SpeechResult", ""), s.call.context)
    doc = TeXML()
    if target is not None:
        return doc.redirect(urls.step(target))
    attempt = _number(fields.get("attempt"), 1)
    doc.say(step.invalid)
    if attempt < step.attempts:
        doc.redirect(urls.step(name, attempt + 1))
    else:
        _go(doc, step.on_timeout, urls)
    return doc


def render_person(s: Scenario, name: str, question: int, urls: Urls, doc: TeXML | None = None) -> TeXML:
    doc = doc or TeXML()
    step = s.steps.get(name)
    if not isinstance(step, PersonStep):
        return doc.say("Goodbye.").hangup()
    # The person's own hold comes after `hold.after` answers (at the latest, after all), as in company.py.
    if step.hold is not None and question == step.hold_at:
        doc.say(step.hold.say)
        _pause(doc, step.hold.seconds)
        doc.say(step.hold.back)
    if question < len(step.questions):
        doc.gather(
            urls.answer(name, question + 1), step.questions[question].ask, input="speech", timeout=int(step.patience)
        )
        doc.say("Hello? Are you still there?").pause(3).say("I'll let you go. Goodbye.").hangup()
        return doc
    if question > len(step.questions):
        return doc.say("Alright then, goodbye.").hangup()  # the answer to "anything else?"
    doc.gather(urls.answer(name, len(step.questions) + 1), step.done, input="speech", timeout=int(step.patience))
    return doc.say("Thanks for calling. Goodbye.").hangup()


def _gather_menu(doc: TeXML, name: str, step: MenuStep, attempt: int, urls: Urls) -> None:
    kinds = ["dtmf"] if (step.options or step.collect) else []
    if step.phrases:
        kinds.append("speech")
    prompt = " ".join(step.say)
    if step.collect:
        doc.gather(
            urls.input(name, attempt),
            prompt,
            input=" ".join(kinds),
            num_digits=20,
            timeout=int(step.wait),
            finish_on_key="#",
        )
    else:
        longest = max((len(key) for key in step.options), default=1)
        doc.gather(
            urls.input(name, attempt),
            prompt,
            input=" ".join(kinds),
            num_digits=longest,
            timeout=int(step.wait),
            valid_digits="".join(sorted({ch for key in step.options for ch in key})) or None,
        )


def _hold_timeline(doc: TeXML, step: HoldStep) -> None:
    """Announcements at their times, silence (the music, on a real line) in between."""
    # Pauses are whole seconds: round each moment's time, not each gap, so errors do not add up.
    now = 0
    for at, lines in step.announcement_times():
        _pause(doc, round(at) - now)
        for line in lines:
            doc.say(line)
        now = max(now, round(at))
    _pause(doc, round(step.duration) - now)


def _pause(doc: TeXML, seconds: float) -> None:
    remaining = round(seconds)
    while remaining > 0:
        doc.pause(min(MAX_PAUSE, remaining))
        remaining -= MAX_PAUSE


def _go(doc: TeXML, target: str, urls: Urls, drop: bool = False) -> None:
    if target == HANGUP or (drop and target == DROP):
        doc.hangup()
    else:
        doc.redirect(urls.step(target))


async def _fields(request: Request) -> dict[str, str]:
    """Query parameters, overlaid with a form-encoded body for POST."""
    fields = {key: value[:200] for key, value in request.query_params.items()}
    if request.method == "POST":
        body = await request.body()
        try:
            form = parse_qs(body[:20_000].decode("utf-8", errors="replace"), max_num_fields=50)
        except ValueError:  # too many fields: not a TeXML callback
            form = {}
        fields.update({key: values[0][:200] for key, values in form.items() if values})
    return fields


def _number(raw: str | None, default: int, upper: int = 99) -> int:
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 4:
        return max(1 if default else 0, min(upper, int(raw)))
    return default


def _declared(method: str, fields: dict[str, object]) -> dict[str, object]:
    """Declare the query and form fields these pages read (for the docs and fuzzing)."""

    def query(name: str) -> dict[str, object]:
        return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}

    parameters = [query("attempt"), query("q")]
    if method == "GET":
        return {"parameters": parameters + [query(name) for name in fields]}
    form = {"type": "object", "properties": {name: {"type": "string"} for name in fields}}
    return {
        "parameters": parameters,
        "requestBody": {"required": False, "content": {"application/x-www-form-urlencoded": {"schema": form}}},
    }
