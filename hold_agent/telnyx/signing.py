"""Telnyx webhook signatures: Ed25519 over `f"{timestamp}|{raw body}"`.

Verify the raw bytes and the timestamp before anything parses the body. `sign()` makes the
headers Telnyx would send, for tests and the local simulator.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Mapping

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from hold_agent.errors import NotAuthenticated

SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
# The official SDK refuses a timestamp further than this from now, either way.
TOLERANCE_SECONDS = 300
_UNIX_TIME = re.compile(r"[0-9]{1,12}")


class SignatureError(NotAuthenticated):
    """The request is not provably from Telnyx. The message says why, for the 401 body."""

    code = "invalid_signature"


def verify(
    raw_body: bytes,
    headers: Mapping[str, str],
    public_key: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    signature_b64 = headers.get(SIGNATURE_HEADER)
    timestamp = headers.get(TIMESTAMP_HEADER)
    if not signature_b64 or not timestamp:
        raise SignatureError(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    if not _UNIX_TIME.fullmatch(timestamp.strip()):
        raise SignatureError(f"{TIMESTAMP_HEADER} is not a Unix time")
    sent_at = int(timestamp.strip())
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        raise SignatureError(f"{TIMESTAMP_HEADER} is more than {tolerance} s from now")
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{SIGNATURE_HEADER} is not base64") from None
    if len(signature) != 64:
        raise SignatureError(f"{SIGNATURE_HEADER} is not an Ed25519 signature")
    try:
        VerifyKey(public_key).verify(timestamp.strip().encode() + b"|" + raw_body, signature)
    except BadSignatureError:
        raise SignatureError("signature does not match the body") from None


def sign(raw_body: bytes, signing_key: SigningKey, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Telnyx would attach to `raw_body`."""
    sent_at = str(int(time.time()) if timestamp is None else timestamp)
    signed = signing_key.sign(sent_at.encode() + b"|" + raw_body)
    return {
        SIGNATURE_HEADER: base64.b64encode(signed.signature).decode(),
        TIMESTAMP_HEADER: sent_at,
    }


def public_key_b64(signing_key: SigningKey) -> str:
    """The value to put in TELNYX_PUBLIC_KEY for a key made with `SigningKey.generate()`."""
    return base64.b64encode(bytes(signing_key.verify_key)).decode()
