"""DTMF as Telnyx's send_dtmf takes it: what keys an assistant may press, normalised, or a
refusal the assistant can speak back."""

from __future__ import annotations

import re

from hold_agent.errors import Unprocessable

# What Telnyx send_dtmf accepts: 0-9, A-D, * and #, plus w (0.5 s) and W (1 s) pauses.
_DTMF = re.compile(r"[0-9A-D*#wW]+")
MAX_DTMF_LENGTH = 32

# Separators a language model may put between keys ("1 2 3", "1-2-3"); they carry no tone.
_DTMF_SEPARATORS = str.maketrans("", "", " -,.")


class DtmfRefused(Unprocessable):
    """Digits we will not send. The message is spoken back to the assistant."""


def normalize_dtmf(digits: str, allowed: str | None = None) -> str:
    """Return the digits as Telnyx wants them, or raise DtmfRefused with a speakable reason.

    `allowed` is an optional per-call policy: the only keys this call may press (pauses are
    always allowed).
    """
    cleaned = digits.translate(_DTMF_SEPARATORS)
    # a-d are A-D to a keypad; w/W must keep their case because they mean different pauses.
    cleaned = "".join(ch.upper() if ch in "abcd" else ch for ch in cleaned)
    if not cleaned:
        raise DtmfRefused("I need at least one key to press, such as 1, star or pound.")
    if len(cleaned) > MAX_DTMF_LENGTH:
        raise DtmfRefused(f"That is too many keys at once; send at most {MAX_DTMF_LENGTH}.")
    if _DTMF.fullmatch(cleaned) is None:
        raise DtmfRefused("I can only press the keys 0 to 9, star, pound, and A to D, with w or W for a pause.")
    if allowed is not None:
        blocked = sorted({ch for ch in cleaned if ch not in "wW" and ch not in allowed})
        if blocked:
            raise DtmfRefused("This call is not allowed to press " + ", ".join(_spoken_key(ch) for ch in blocked) + ".")
    return cleaned


def _spoken_key(key: str) -> str:
    return {"*": "star", "#": "pound"}.get(key, key)
