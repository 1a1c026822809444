"""Phone numbers we can ask Telnyx to dial: strict E.164, checked against libphonenumber's
metadata. Checked at the edge (the API and the settings), never in the core."""

from __future__ import annotations

import re

import phonenumbers

# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def is_e164(number: str) -> bool:
    return _E164.fullmatch(number) is not None


def phone_number_problem(number: str) -> str | None:
    """Why `number` cannot be dialled, or None. Strict E.164, then a per-country length
    check from libphonenumber's metadata (a regex cannot know that +44 numbers have 10
    digits after the country code, or that +999 is no country)."""
    if not is_e164(number):
        return "must be an E.164 phone number: a plus sign, country code and number, e.g. +15551234567"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "is not a phone number: the country code is unknown"
    if not phonenumbers.is_possible_number(parsed):
        return f"is not a possible phone number for country code +{parsed.country_code} (wrong length)"
    return None


# Calls to these cost the caller by the minute, far above a normal call: premium-rate,
# shared-cost and personal numbers (libphonenumber's types), and the international networks billed as
# satellite or premium (+870 Inmarsat, +881 global mobile satellite, +882/+883 international
# networks, +979 international premium rate).
_COSTLY_TYPES = {
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    # Personal numbers (UK 070) forward anywhere, at a rate set by whoever owns them.
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
}
_COSTLY_PREFIXES = ("+870", "+881", "+882", "+883", "+979")


def special_rate_problem(number: str) -> str | None:
    """Why dialling `number` would cost special rates, or None for an ordinary number."""
    if number.startswith(_COSTLY_PREFIXES):
        return "is a satellite or international premium-rate number"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.number_type(parsed) in _COSTLY_TYPES:
        return "is a premium-rate or shared-cost number"
    return None
