"""Scripted stand-ins for the two Telnyx AI Assistants, for the simulator.

They behave the way the README's suggested prompts ask a real assistant to, using only what
a real one would have: what it hears on the line, and (for the representative assistant)
the dynamic variables and message history hold-agent sent when it started it. They never
look at the scenario's answers. Pure functions: heard text in, an action out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PressKeys:
    digits: str
    reason: str


@dataclass(frozen=True)
class Speak:
    text: str


@dataclass(frozen=True)
class ReportHold:
    reason: str


@dataclass(frozen=True)
class EndCall:
    reason: str


Action = PressKeys | Speak | ReportHold | EndCall

_WORD = re.compile(r"[a-z0-9]+")
_OPTION = re.compile(
    r"(?:(?:for|to)\s+(?P<label>[^,.;]{2,60}?),?\s+(?:press|dial)\s+(?P<key>\d|star|pound))"
    r"|(?:(?:press|dial)\s+(?P<key2>\d|star|pound)\s+(?:for|to)\s+(?P<label2>[^,.;]{2,60}))",
    re.IGNORECASE,
)
_HOLD = re.compile(
    r"please hold|hold while|your call is important|next available|assisting other|stay on the line"
    r"|will be with you|connecting you|transfer(?:ring)? you",
    re.IGNORECASE,
)
_ENTER = re.compile(
    r"(?:enter|key in|say or enter)\s+(?:your|the)\s+(?P<field>[a-z ]{2,40}?)(?:\s+followed by|[,.]|$)", re.I
)
_TELL = re.compile(r"in a few words|tell me (?:why|how|what)|what can i help you with|how can i help you today\?", re.I)
_PERSON_ASKS_TO_HOLD = re.compile(r"put you on hold|can you hold|hold on|one moment|bear with me|hang on", re.I)
_WRAP_UP = re.compile(r"\b(?:anything else|you're all set|have a good day|take care|goodbye)\b", re.I)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "for",
        "of",
        "and",
        "or",
        "your",
        "you",
        "is",
        "are",
        "be",
        "with",
        "on",
        "in",
        "at",
        "my",
        "i",
        "me",
        "please",
    ]
)
_AGENT_WORDS = frozenset({"representative", "agent", "operator", "person", "associate", "someone"})
_SYNONYMS = {
    "size": {"many", "guests", "people"},
    "count": {"many"},
    "name": {"name", "who"},
    "day": {"when", "day", "date"},
    "date": {"when", "date", "day"},
    "amount": {"amount", "much"},
    "address": {"address", "where"},
    "number": {"number"},
    "birth": {"birth", "born"},
    "holder": {"name"},
}
# Variables hold-agent sends that are not the caller's approved details.
_NOT_DETAILS = frozenset(
    {"objective", "target_company", "approved_context", "hold_seconds", "hold_minutes", "recent_transcript"}
)


def words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


# --- the IVR assistant ---------------------------------------------------------------------


def ivr_reaction(heard: str, objective: str, details: dict[str, Any], done: set[str]) -> Action | None:
    """What a menu-navigating assistant does on hearing `heard`. `done` remembers what it
    already did on this call (it reports hold once, answers a conversational prompt once).
    A prompt that asks for something is answered first: "Before I transfer you, please enter
    your account number" is a menu, not a hold."""
    entry = _ENTER.search(heard)
    if entry:
        field = _best_field(entry.group("field"), details)
        if field is not None:
            keys = "".join(ch for ch in str(details[field]) if ch.isdigit())
            if keys:
                pound = "#" if re.search(r"pound|hash", heard, re.I) else ""
                return PressKeys(keys + pound, f"{field.replace('_', ' ')} asked for")
    options = [
        (m.group("label") or m.group("label2"), _key(m.group("key") or m.group("key2")))
        for m in _OPTION.finditer(heard)
    ]
    if options:
        choice = _choose_option(options, objective)
        if choice is not None:
            label, key = choice
            return PressKeys(key, f"menu option: {label.strip()}")
    if _TELL.search(heard) and "told" not in done:
        done.add("told")
        return Speak(objective)
    if re.search(r"is that right|is that correct|say yes or no", heard, re.I):
        return Speak("Yes.")
    if _HOLD.search(heard) and "hold" not in done:
        done.add("hold")
        return ReportHold(f"heard: {heard[:80]}")
    return None


def _key(spoken: str) -> str:
    return {"star": "*", "pound": "#"}.get(spoken.lower(), spoken)


def _choose_option(options: list[tuple[str, str]], objective: str) -> tuple[str, str] | None:
    goal = _stems(objective)
    scored = sorted(((len(goal & _stems(label)), label, key) for label, key in options), key=lambda item: -item[0])
    best_score, label, key = scored[0]
    if best_score > 0:
        return label, key
    for label, key in options:
        if _AGENT_WORDS & words(label):
            return label, key
    return None


_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "es", "ed", "s")


def _stems(text: str) -> set[str]:
    """Crude stems so "reservation" meets "reservations", "billing" meets "bill" and "cards"
    meets "card": a common ending cut off (keeping three letters), then the first five."""
    return {_stem(w) for w in words(text) if len(w) > 2}


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)][:5]
    return word[:5]


# --- the representative assistant ----------------------------------------------------------


def representative_reaction(heard: str, start_body: dict[str, Any]) -> Action | None:
    """What the representative-facing assistant says or does on hearing the person. It
    answers questions and requests; statements (or hold music) it lets pass."""
    details = approved_details(start_body)
    if _PERSON_ASKS_TO_HOLD.search(heard):
        return Speak("Sure, I'll hold.")
    if _WRAP_UP.search(heard):
        return EndCall("the representative confirmed it is done")
    if "?" not in heard:
        return None
    field = _best_field(heard, details)
    if field is not None:
        return Speak(f"It's {details[field]}.")
    return Speak("I'm sorry, I don't have that information.")


def approved_details(start_body: dict[str, Any]) -> dict[str, Any]:
    variables = start_body.get("assistant", {}).get("dynamic_variables", {})
    return {key: value for key, value in variables.items() if key not in _NOT_DETAILS}


def _best_field(text: str, details: dict[str, Any]) -> str | None:
    asked = words(text)
    best, best_score = None, 0
    for key in details:
        parts = set(key.split("_"))
        hints = parts | set().union(*(_SYNONYMS.get(part, set()) for part in parts))
        score = len(asked & hints) + (2 if asked >= parts else 0)
        if score > best_score:
            best, best_score = key, score
    return best
