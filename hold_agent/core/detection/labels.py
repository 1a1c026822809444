"""What the far end can be, and a probability for each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum


class Label(StrEnum):
    HOLD = "hold"  # a queue, on-hold messages, or being asked to hold / transferred
    HUMAN = "human"  # a live person speaking to us
    IVR = "ivr"  # a phone menu or a virtual agent asking for input
    VOICEMAIL = "voicemail"  # a mailbox: leave a message
    CLOSED = "closed"  # nobody will answer now: closed, after hours, a dead end
    OTHER = "other"  # music, noise, transcriber hallucinations, a fragment


LABELS: tuple[Label, ...] = tuple(Label)


@dataclass(frozen=True)
class Probabilities:
    """One probability per label, in `LABELS` order; they sum to 1."""

    values: tuple[float, ...]

    def __getitem__(self, label: Label) -> float:
        return self.values[LABELS.index(label)]

    def __iter__(self) -> Iterator[tuple[Label, float]]:
        return iter(zip(LABELS, self.values, strict=True))

    @property
    def top(self) -> Label:
        return LABELS[max(range(len(LABELS)), key=self.values.__getitem__)]

    def as_dict(self, digits: int = 3) -> dict[str, float]:
        return {label.value: round(value, digits) for label, value in self}
