"""Transcript text as the detector sees it: normalised, split into words, its style told.

Pure functions, shared by the utterance model's features, the call memory and training, so a
line is read the same way everywhere.
"""

from __future__ import annotations

import re

# Letters of the languages the corpus holds (English and Spanish), digits and apostrophes.
_WORD = re.compile(r"[a-z0-9\u00e0-\u00ff']+")
_PUNCTUATION = re.compile(r"[.,?!\u00bf\u00a1;:]")
# A capital that is not the pronoun "I" (alone or in "I'm", "I'll"): lyrics come out with those.
_CAPITAL = re.compile(r"[A-Z\u00c0-\u00de](?=[A-Za-z\u00e0-\u00ff])|[A-HJ-Z\u00c0-\u00de]")


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").lower().split())


def words(normalised: str) -> list[str]:
    return _WORD.findall(normalised)


def is_formatted(text: str) -> bool:
    """Smart-formatted by the transcriber: punctuation, or a capital other than "I".
    Real speech comes out formatted; music and noise often come out as bare lower case."""
    return _PUNCTUATION.search(text) is not None or _CAPITAL.search(text) is not None


def as_raw(text: str) -> str:
    """The same line as a transcriber without smart formatting would give it."""
    return " ".join(words(normalise(_PUNCTUATION.sub(" ", text))))
