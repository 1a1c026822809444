"""What detection remembers of one call between transcripts. Kept on the session (pure data),
read and renewed by judge.py."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class HeardLine(BaseModel):
    """A line a machine said on this call (its words, normalised), and when it was last heard."""

    text: str
    at: datetime | None = None


class DetectorMemory(BaseModel):
    """What detection remembers of this call between transcripts (see detection/judge.py)."""

    # Lines a machine said (menus, announcements): a repeat is a recording, and the time
    # since it was last heard is the queue's loop period.
    heard: list[HeardLine] = Field(default_factory=list)
    # Telnyx-clock time of the last speech heard.
    last_speech_at: datetime | None = None
    # When the last line that sounded like music or noise was heard.
    last_noise_at: datetime | None = None
