"""E.164 and DTMF checks."""

from __future__ import annotations

import pytest

from hold_agent.core.dtmf import MAX_DTMF_LENGTH, DtmfRefused, normalize_dtmf
from hold_agent.telnyx.numbers import is_e164


@pytest.mark.parametrize("number", ["+15551234567", "+442071838750", "+12"])
def test_e164_accepts(number: str) -> None:
    assert is_e164(number)


@pytest.mark.parametrize(
    "number", ["15551234567", "+05551234567", "+1 555 123 4567", "+1-555-123-4567", "+1234567890123456", "", "+"]
)
def test_e164_refuses(number: str) -> None:
    assert not is_e164(number)


@pytest.mark.parametrize(
    ("digits", "sent"),
    [("1", "1"), ("123#", "123#"), ("*9", "*9"), ("1w2W3", "1w2W3"), ("abcd", "ABCD"), ("1 2 3", "123"), ("1-2", "12")],
)
def test_dtmf_normalized(digits: str, sent: str) -> None:
    assert normalize_dtmf(digits) == sent


@pytest.mark.parametrize("digits", ["", "   ", "one", "1x", "e", "12!", "1" * (MAX_DTMF_LENGTH + 1), "\u0661"])
def test_dtmf_refused_with_speakable_reason(digits: str) -> None:
    with pytest.raises(DtmfRefused) as refusal:
        normalize_dtmf(digits)
    message = str(refusal.value)
    assert message.endswith(".") and len(message) < 120


def test_dtmf_policy() -> None:
    assert normalize_dtmf("1w2", allowed="123") == "1w2"
    with pytest.raises(DtmfRefused, match="star"):
        normalize_dtmf("1*", allowed="123")
