"""Ed25519 webhook signatures, with a key pair made in the test."""

from __future__ import annotations

import time

import pytest
from nacl.signing import SigningKey

from hold_agent.telnyx.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, sign, verify

BODY = b'{"data":{"event_type":"call.answered","payload":{"call_control_id":"v3:x"}}}'


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


def test_valid_signature(key: SigningKey) -> None:
    verify(BODY, sign(BODY, key), bytes(key.verify_key))


def test_tampered_body(key: SigningKey) -> None:
    headers = sign(BODY, key)
    with pytest.raises(SignatureError, match="does not match"):
        verify(BODY.replace(b"answered", b"hangup"), headers, bytes(key.verify_key))


def test_other_key(key: SigningKey) -> None:
    with pytest.raises(SignatureError):
        verify(BODY, sign(BODY, SigningKey.generate()), bytes(key.verify_key))


@pytest.mark.parametrize("offset", [-301, 301, -10_000])
def test_stale_or_future_timestamp(key: SigningKey, offset: int) -> None:
    headers = sign(BODY, key, timestamp=int(time.time()) + offset)
    with pytest.raises(SignatureError, match="300 s"):
        verify(BODY, headers, bytes(key.verify_key))


def test_timestamp_within_tolerance(key: SigningKey) -> None:
    verify(BODY, sign(BODY, key, timestamp=int(time.time()) - 299), bytes(key.verify_key))


def test_timestamp_is_part_of_what_is_signed(key: SigningKey) -> None:
    headers = sign(BODY, key)
    headers[TIMESTAMP_HEADER] = str(int(headers[TIMESTAMP_HEADER]) - 1)
    with pytest.raises(SignatureError, match="does not match"):
        verify(BODY, headers, bytes(key.verify_key))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SIGNATURE_HEADER: "abc"},
        {TIMESTAMP_HEADER: "123"},
        {SIGNATURE_HEADER: "!!!", TIMESTAMP_HEADER: str(int(time.time()))},
        {SIGNATURE_HEADER: "AAAA", TIMESTAMP_HEADER: str(int(time.time()))},
        {SIGNATURE_HEADER: "A" * 88, TIMESTAMP_HEADER: "yesterday"},
    ],
)
def test_missing_or_malformed_headers(key: SigningKey, headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError):
        verify(BODY, headers, bytes(key.verify_key))
