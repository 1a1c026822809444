"""The utterance model's features: what a line's words look like.

The same function feeds training and inference, so the shipped weights always mean what the
running service computes. Features are strings; a line's feature vector is binary and scaled
to unit length (1/sqrt(n)), so long lines do not get more confident just by being long.

- `w:` words and `b:` word pairs, with `^` and `$` marking the line's ends ("^ hello",
  "help $"): who speaks to whom lives in the words ("how can I help", "your call is").
- `s:` the line's shape: its length, a question mark, smart formatting, digits.

Letter groups (3 to 5 letters inside words) were compared and left out: on sources the model
never saw they lost 1-3 points of accuracy and cost twice the time (tests/corpus/compare.py).
"""

from __future__ import annotations

import math
from itertools import pairwise

from hold_agent.core.detection.text import is_formatted, normalise, words

_LENGTH_BUCKETS = ((1, "1"), (2, "2"), (3, "3"), (6, "4-6"), (12, "7-12"))


def features(text: str) -> list[str]:
    """Every feature of one line, without repeats, in a stable order."""
    tokens = words(normalise(text))
    found: dict[str, None] = dict.fromkeys("w:" + token for token in tokens)
    for first, second in pairwise(["^", *tokens, "$"]):
        found[f"b:{first} {second}"] = None
    found["s:len=" + _length_bucket(len(tokens))] = None
    if "?" in text or "\u00bf" in text:
        found["s:question"] = None
    if is_formatted(text):
        found["s:formatted"] = None
    if any(token.isdigit() for token in tokens):
        found["s:digits"] = None
    return list(found)


def scale(feature_count: int) -> float:
    """The value of each present feature, so the vector has unit length."""
    return 1.0 / math.sqrt(feature_count) if feature_count else 0.0


def _length_bucket(count: int) -> str:
    for limit, name in _LENGTH_BUCKETS:
        if count <= limit:
            return name
    return "13+"
