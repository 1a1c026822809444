"""Willow Creek Hotel, the spec's fake company, served as TeXML.

Call flow (what a real Telnyx number pointed at `/fake-company/texml` plays):
  menu: "For reservations, press 1. For the front desk, press 2."
    1 -> reservations: hold language, periodic hold announcements, then Sarah picks up,
         answers one request and says goodbye.
    2 -> front desk: Jordan answers at once.
    anything else, or silence -> "not a valid option" and the menu again, at most
         MAX_MENU_ATTEMPTS times, then goodbye.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .texml import TeXML

NAME = "Willow Creek Hotel"
MAX_MENU_ATTEMPTS = 3
MENU_PROMPT = "For reservations, press 1. For the front desk, press 2."
HOLD_ANNOUNCEMENTS = (
    "All of our reservation agents are currently assisting other guests. "
    "Please hold, your call is important to us.",
    "Thank you for holding. Your call will be answered in the order it was received. "
    "Please stay on the line.",
)
PICKUP_LINE = "Hi, thanks for holding, this is Sarah with reservations. How can I help you today?"
FRONT_DESK_LINE = "Front desk, this is Jordan speaking. How can I help you?"
HOLD_GAP_SECONDS = 8

XML = "application/xml"


def build_router(public_base_url: str | None = None) -> APIRouter:
    """Routes under /fake-company. Action URLs are absolute: PUBLIC_BASE_URL, else the request's."""
    router = APIRouter(prefix="/fake-company", tags=["fake company"])

    # These pages read their own query and form fields (TeXML callers are lenient); declare
    # them so the API docs and schema-driven fuzzing know them.
    def texml_fields(method: str, *names: str) -> dict[str, object]:
        def query(name: str) -> dict[str, object]:
            return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}

        if method == "GET":
            return {"parameters": [query("attempt"), *map(query, names)]}
        form = {"type": "object", "properties": {name: {"type": "string"} for name in names}}
        return {
            "parameters": [query("attempt")],
            "requestBody": {"required": False, "content": {"application/x-www-form-urlencoded": {"schema": form}}},
        }

    def url(request: Request, path: str) -> str:
        base = public_base_url or str(request.base_url).rstrip("/")
        return f"{base}/fake-company/{path}"

    @router.get("/texml", response_class=Response, openapi_extra=texml_fields("GET", "CallSid"))
    @router.post("/texml", response_class=Response, openapi_extra=texml_fields("POST", "CallSid"))
    async def menu(request: Request) -> Response:
        attempt = _attempt(request)
        doc = TeXML()
        if attempt == 1:
            doc.say(f"Thank you for calling {NAME}.")
        doc.gather(url(request, f"menu?attempt={attempt}"), MENU_PROMPT, valid_digits="12")
        # Gather falls through here when no key was pressed.
        _retry_or_goodbye(doc, attempt, url(request, f"texml?attempt={attempt + 1}"), "We did not receive a selection.")
        return Response(doc.render(), media_type=XML)

    @router.get("/menu", response_class=Response, openapi_extra=texml_fields("GET", "Digits"))
    @router.post("/menu", response_class=Response, openapi_extra=texml_fields("POST", "Digits"))
    async def choice(request: Request) -> Response:
        attempt = _attempt(request)
        digits = await _form_value(request, "Digits")
        doc = TeXML()
        if digits == "1":
            doc.say("Connecting you to reservations.")
            for announcement in HOLD_ANNOUNCEMENTS:
                doc.say(announcement).pause(HOLD_GAP_SECONDS)
            doc.gather(url(request, "reservations"), PICKUP_LINE, input="speech", timeout=10)
            doc.say("Thanks for calling Willow Creek. Goodbye.").hangup()
        elif digits == "2":
            doc.gather(url(request, "reservations"), FRONT_DESK_LINE, input="speech", timeout=10)
            doc.say("Goodbye.").hangup()
        else:
            _retry_or_goodbye(doc, attempt, url(request, f"texml?attempt={attempt + 1}"), "Sorry, that is not a valid option.")
        return Response(doc.render(), media_type=XML)

    @router.get("/reservations", response_class=Response, openapi_extra=texml_fields("GET", "SpeechResult"))
    @router.post("/reservations", response_class=Response, openapi_extra=texml_fields("POST", "SpeechResult"))
    async def representative(request: Request) -> Response:
        said = await _form_value(request, "SpeechResult")
        doc = TeXML()
        if said:
            doc.say("Sure, I've made a note of that and booked it for you. Is there anything else?")
        doc.pause(3).say("Thanks for calling Willow Creek. Goodbye.").hangup()
        return Response(doc.render(), media_type=XML)

    return router


def _retry_or_goodbye(doc: TeXML, attempt: int, next_url: str, apology: str) -> None:
    if attempt < MAX_MENU_ATTEMPTS:
        doc.say(apology).redirect(next_url)
    else:
        doc.say(f"{apology} Please call again later. Goodbye.").hangup()


def _attempt(request: Request) -> int:
    raw = request.query_params.get("attempt", "1")
    return max(1, min(MAX_MENU_ATTEMPTS, int(raw))) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 1


async def _form_value(request: Request, name: str) -> str | None:
    """A field of a TeXML callback: form-encoded POST body, or the query string for GET."""
    value = request.query_params.get(name)
    if request.method == "POST":
        body = await request.body()
        try:
            form = parse_qs(body[:20_000].decode("utf-8", errors="replace"), max_num_fields=50)
        except ValueError:  # too many fields: not a TeXML callback
            form = {}
        value = form.get(name, [value])[0]
    return value.strip()[:200] if isinstance(value, str) else None
