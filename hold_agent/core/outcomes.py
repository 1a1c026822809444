"""The kinds the core names: how a call ended, and why a request was refused.

They are StrEnums so that they serialise as the plain strings the API documents (API.md),
while the code compares members, never spellings. What the detector says a line is, is
`detection.Label`.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """Why a call ended (`session.outcome`)."""

    COMPLETED = "completed"  # the representative assistant finished, or the caller hung up on a person
    ENDED_BY_AGENT = "ended_by_agent"  # an assistant ended the call before a person was reached
    VOICEMAIL = "voicemail"
    CLOSED = "closed"
    DIAL_FAILED = "dial_failed"
    DISCONNECTED = "disconnected"  # Telnyx said the call is gone (404/422 to a command)
    ASSISTANT_FAILED = "assistant_failed"
    IVR_TIMEOUT = "ivr_timeout"
    HOLD_TIMEOUT = "hold_timeout"
    CALL_TIMEOUT = "call_timeout"
    # From Telnyx's hangup cause and source.
    BUSY = "busy"
    REJECTED = "rejected"
    NO_ANSWER = "no_answer"
    INVALID_NUMBER = "invalid_number"
    TIME_LIMIT = "time_limit"
    CANCELLED = "cancelled"
    HUNG_UP_BY_COMPANY = "hung_up_by_company"
    HUNG_UP_BY_AGENT = "hung_up_by_agent"
    HUNG_UP = "hung_up"
    FAILED = "failed"


class Refusal(StrEnum):
    """Why the machine did not do what an event asked (`StepResult.refusal`)."""

    CALL_ENDED = "call_ended"
    NOT_APPLICABLE = "not_applicable"  # the event does not apply in the call's state
    INVALID_DIGITS = "invalid_digits"
    LOW_CONFIDENCE = "low_confidence"  # a hold report too unsure to act on
    LATE = "late"  # it happened before what moved the call last (Telnyx's clock)
    STALE = "stale"  # about an earlier stage's assistant
    UNKNOWN_COMMAND = "unknown_command"  # a settlement for a command this call never issued
