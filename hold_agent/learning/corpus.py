"""The labelled corpus on disk: lines, timed streams and whole calls (format: tests/corpus/README.md).

Organised by what the material is, not by when it was written: `lines/<source>.jsonl`,
`streams/<source>.json`, `calls/<source>.json`. `holdout/` holds material nobody tunes on:
training never reads it, and the evaluator scores it only when asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hold_agent.core.detection.labels import Label
from hold_agent.errors import DataError

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "corpus"
STARTS = ("hold", "ivr", "representative")
EXPECTS = ("representative", "hold", "ivr", "voicemail", "closed")
CALL_STATES = ("ivr", "hold", "representative", "ended")


class CorpusError(DataError):
    """A corpus file that does not follow the format; the message names the file and item."""


@dataclass(frozen=True)
class Line:
    text: str
    label: Label
    source: str
    ref: str = ""
    language: str = "en"
    style: str = "formatted"
    composed: bool = False
    kind: str = ""


@dataclass(frozen=True)
class Event:
    t: float
    text: str
    final: bool
    speaker: str  # "machine" or "person"
    confidence: float | None = None
    expect: str | None = None  # whole calls: the state right after this event


@dataclass(frozen=True)
class Stream:
    """A stretch of a call from a known stage (`start`), or a whole call (`start` = "ivr",
    `expect` on its events, `outcome` at the end)."""

    name: str
    source: str
    start: str
    events: tuple[Event, ...]
    pickup_index: int | None
    expect: str
    company: str = ""
    language: str = "en"
    whole_call: bool = False

    @property
    def first_person_final(self) -> int | None:
        start = self.pickup_index if self.pickup_index is not None else 0
        for index in range(start, len(self.events)):
            event = self.events[index]
            if event.final and event.speaker == "person":
                return index
        return None


def load_lines(root: Path = DEFAULT_CORPUS, *, holdout: bool = False, part: str = "*") -> list[Line]:
    """The development lines, or with `holdout` the held-out ones (`part`: one writer's)."""
    return [line for path in _files(root, holdout, part, "lines", ".jsonl") for line in read_lines(path)]


def load_streams(root: Path = DEFAULT_CORPUS, *, holdout: bool = False, part: str = "*") -> list[Stream]:
    streams = [s for path in _files(root, holdout, part, "streams", ".json") for s in _read_streams(path, False)]
    calls = [s for path in _files(root, holdout, part, "calls", ".json") for s in _read_streams(path, True)]
    return streams + calls


def _files(root: Path, holdout: bool, part: str, kind: str, suffix: str) -> list[Path]:
    if holdout:
        # holdout/<writer>/lines.jsonl, streams.json, calls.json
        return sorted((root / "holdout").glob(f"{part}/{kind}{suffix}"))
    return sorted((root / kind).glob(f"*{suffix}"))


def read_lines(path: Path) -> list[Line]:
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            lines.append(
                Line(
                    text=str(item["text"]),
                    label=Label(item["label"]),
                    source=str(item.get("source") or path.stem),
                    ref=str(item.get("ref", "")),
                    language=str(item.get("language", "en")),
                    style=str(item.get("style", "formatted")),
                    composed=bool(item.get("composed", False)),
                    kind=str(item.get("kind", "")),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise CorpusError(f"{path}:{number}: {error}") from error
    return lines


def _read_streams(path: Path, whole_call: bool) -> list[Stream]:
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CorpusError(f"{path}: {error}") from error
    streams = []
    for number, item in enumerate(items):
        try:
            events = tuple(
                Event(
                    t=float(event["t"]),
                    text=str(event["text"]),
                    final=bool(event["final"]),
                    speaker=str(event.get("speaker", "machine")),
                    confidence=None if event.get("confidence") is None else float(event["confidence"]),
                    expect=event.get("expect"),
                )
                for event in item["events"]
            )
            if whole_call:
                pickup = next((i for i, event in enumerate(events) if event.speaker == "person"), None)
                expect = str(item.get("outcome") or (events[-1].expect if events else "ivr"))
                start = "ivr"
            else:
                pickup, expect, start = item["pickup_index"], str(item["expect"]), str(item["start"])
            streams.append(
                Stream(
                    name=f"{path.parent.name}/{path.stem}/{item['name']}",
                    source=str(item.get("source") or path.stem),
                    start=start,
                    events=events,
                    pickup_index=pickup,
                    expect=expect,
                    company=str(item.get("company", "")),
                    language=str(item.get("language", "en")),
                    whole_call=whole_call,
                )
            )
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise CorpusError(f"{path}: item {number}: {error!r}") from error
    return streams
