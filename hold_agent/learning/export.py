"""Export what real calls heard, for labelling, so the model learns the companies you call.

    .venv/bin/python -m hold_agent.learning.export --url http://127.0.0.1:8000 [--company "Acme"] [--out tests/corpus]

Reads the service's own sessions (`GET /sessions`, with `API_AUTH_TOKEN` from the environment
when the service has one) and writes, per company:
- `lines/calls-<company>.jsonl`: every final line the far end said, in the corpus format, with
  the detector's label as a first guess and `"review": true`. Lines already in the file are
  not written again, so exporting twice adds only what is new.
- `streams/calls-<company>.json`: each call as a stream, the speaker guessed from the labels.
Then correct the labels (and the speakers and `pickup_index` of the streams), set `review` to
false, and retrain: `.venv/bin/python -m hold_agent.learning.train`. tests/corpus/README.md
says more. Transcripts can hold personal details: read them before committing them anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from hold_agent.core.detection.text import is_formatted
from hold_agent.learning.corpus import DEFAULT_CORPUS


def slug(company: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") or "unknown"


def lines_of(session: dict[str, Any]) -> list[dict[str, Any]]:
    source = f"calls-{slug(session['target_company'])}"
    return [
        {
            "text": line["text"],
            "label": line.get("verdict") or "other",
            "source": source,
            "ref": f"session {session['session_id']}, heard in {line['heard_in']} at {line['at']}",
            "language": "en",
            "style": "formatted" if is_formatted(line["text"]) else "raw",
            "composed": False,
            "kind": f"exported from a call; the detector said {line.get('verdict')} ({line.get('reason', '')[:60]})",
            "review": True,
        }
        for line in session.get("transcript", [])
    ]


def stream_of(session: dict[str, Any]) -> dict[str, Any] | None:
    transcript = session.get("transcript", [])
    if not transcript:
        return None
    start = datetime.fromisoformat(transcript[0]["at"])
    events = [
        {
            "t": round((datetime.fromisoformat(line["at"]) - start).total_seconds(), 2),
            "text": line["text"],
            "final": True,
            "speaker": "person" if line.get("verdict") == "human" else "machine",
            "confidence": line.get("confidence"),
        }
        for line in transcript
    ]
    pickup = next((index for index, event in enumerate(events) if event["speaker"] == "person"), None)
    first = transcript[0]["heard_in"]
    outcome = session.get("outcome")
    expect = outcome if outcome in ("voicemail", "closed") else "representative" if pickup is not None else "hold"
    return {
        "name": f"session-{session['session_id']}",
        "source": f"calls-{slug(session['target_company'])}",
        "company": session["target_company"],
        "description": f"exported from a call ({session.get('state')}, outcome {outcome})",
        "language": "en",
        "start": first if first in ("ivr", "hold", "representative") else "ivr",
        "events": events,
        "pickup_index": pickup,
        "expect": expect,
        "review": True,
    }


def export(sessions: Sequence[dict[str, Any]], out: Path) -> dict[str, int]:
    """Write the sessions' lines and streams under `out`; returns new lines per file."""
    written: dict[str, int] = {}
    for session in sessions:
        name = f"calls-{slug(session['target_company'])}"
        lines_path = out / "lines" / f"{name}.jsonl"
        known = set()
        if lines_path.exists():
            known = {json.loads(raw)["text"] for raw in lines_path.read_text().splitlines() if raw.strip()}
        new = [line for line in lines_of(session) if line["text"] not in known]
        if new:
            lines_path.parent.mkdir(parents=True, exist_ok=True)
            with lines_path.open("a", encoding="utf-8") as file:
                for line in new:
                    file.write(json.dumps(line, ensure_ascii=False) + "\n")
                    known.add(line["text"])
        written[lines_path.name] = written.get(lines_path.name, 0) + len(new)
        stream = stream_of(session)
        if stream is not None:
            streams_path = out / "streams" / f"{name}.json"
            streams = json.loads(streams_path.read_text()) if streams_path.exists() else []
            if all(existing["name"] != stream["name"] for existing in streams):
                streams.append(stream)
                streams_path.parent.mkdir(parents=True, exist_ok=True)
                streams_path.write_text(json.dumps(streams, indent=1, ensure_ascii=False) + "\n")
    return written


def fetch_sessions(url: str, token: str | None, company: str | None) -> list[dict[str, Any]]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{url.rstrip('/')}/sessions", params={"limit": 500}, headers=headers, timeout=30)
    response.raise_for_status()
    sessions: list[dict[str, Any]] = response.json()["sessions"]
    if company:
        sessions = [session for session in sessions if slug(session["target_company"]) == slug(company)]
    return sessions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export real calls' transcripts for labelling.")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running service")
    parser.add_argument("--company", help="only this target company")
    parser.add_argument("--out", type=Path, default=DEFAULT_CORPUS, help="the corpus folder")
    args = parser.parse_args(argv)
    sessions = fetch_sessions(args.url, os.environ.get("API_AUTH_TOKEN"), args.company)
    for name, count in sorted(export(sessions, args.out).items()):
        print(f"{name}: {count} new line(s) to review")
    print(f"{len(sessions)} session(s) exported; label them, then run: python -m hold_agent.learning.train")
    return 0


if __name__ == "__main__":
    sys.exit(main())
