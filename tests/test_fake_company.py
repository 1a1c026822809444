"""Willow Creek Hotel's TeXML: well-formed, escaped, absolute URLs, bounded retries."""

from __future__ import annotations

from xml.etree import ElementTree

import httpx
import pytest
from fastapi import FastAPI

from fake_company.texml import TeXML
from fake_company.willow_creek import MAX_MENU_ATTEMPTS, build_router

pytestmark = pytest.mark.anyio


def client(public_base_url: str | None = None) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(build_router(public_base_url))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fake.test")


async def fetch(http: httpx.AsyncClient, method: str, path: str, **kwargs: object) -> ElementTree.Element:
    response = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ElementTree.fromstring(response.text)
    assert root.tag == "Response"
    return root


def said(root: ElementTree.Element) -> str:
    return " ".join(say.text or "" for say in root.iter("Say"))


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_menu(method: str) -> None:
    async with client("https://agent.example.com") as http:
        root = await fetch(http, method, "/fake-company/texml")
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("action") == "https://agent.example.com/fake-company/menu?attempt=1"
    assert gather.get("numDigits") == "1" and gather.get("input") == "dtmf"
    assert "Willow Creek Hotel" in said(root) and "press 1" in said(root)
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text == "https://agent.example.com/fake-company/texml?attempt=2"


async def test_urls_fall_back_to_the_request() -> None:
    async with client() as http:
        root = await fetch(http, "GET", "/fake-company/texml")
    gather = root.find("Gather")
    assert gather is not None and gather.get("action") == "http://fake.test/fake-company/menu?attempt=1"


async def test_reservations_hold_then_pickup() -> None:
    async with client("https://agent.example.com") as http:
        root = await fetch(http, "POST", "/fake-company/menu?attempt=1", content="Digits=1&CallSid=abc",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    text = said(root)
    assert "your call is important" in text
    assert text.index("Thank you for holding") < text.index("this is Sarah with reservations")
    assert root.find("Pause") is not None
    assert root[-1].tag == "Hangup"


async def test_front_desk_by_query_string() -> None:
    async with client() as http:
        root = await fetch(http, "GET", "/fake-company/menu", params={"Digits": "2"})
    assert "this is Jordan" in said(root)


@pytest.mark.parametrize("digits", ["9", "", "1234", "<script>"])
async def test_wrong_or_no_key_repeats_the_menu_then_says_goodbye(digits: str) -> None:
    async with client("https://agent.example.com") as http:
        first = await fetch(http, "POST", "/fake-company/menu?attempt=1", data={"Digits": digits})
        redirect = first.find("Redirect")
        assert redirect is not None and redirect.text and redirect.text.endswith("attempt=2")
        assert "not a valid option" in said(first)
        last = await fetch(http, "POST", f"/fake-company/menu?attempt={MAX_MENU_ATTEMPTS}", data={"Digits": digits})
    assert last.find("Redirect") is None
    assert last[-1].tag == "Hangup" and "Goodbye" in said(last)


@pytest.mark.parametrize("attempt", ["0", "-1", "abc", "99999999999", ""])
async def test_odd_attempt_numbers_stay_bounded(attempt: str) -> None:
    async with client() as http:
        root = await fetch(http, "GET", f"/fake-company/texml?attempt={attempt}")
    gather = root.find("Gather")
    assert gather is not None
    number = int((gather.get("action") or "").rsplit("=", 1)[1])
    assert 1 <= number <= MAX_MENU_ATTEMPTS


async def test_representative_replies_and_hangs_up() -> None:
    async with client() as http:
        root = await fetch(http, "POST", "/fake-company/reservations", data={"SpeechResult": "Book Friday please"})
    assert "booked it" in said(root) and root[-1].tag == "Hangup"


def test_text_is_escaped() -> None:
    xml = TeXML().say('Tom & Jerry <said> "hi"').gather("https://x/a?b=1&c=2", "Press 1 & 2").render()
    root = ElementTree.fromstring(xml)
    assert root[0].text == 'Tom & Jerry <said> "hi"'
    assert root[1].get("action") == "https://x/a?b=1&c=2"
    assert "&amp;" in xml and "&lt;said&gt;" in xml
