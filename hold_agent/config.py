"""Settings: one class, read from the environment and `.env`.

Every field has a line in `.env.example`. Secrets are `SecretStr` so they never print.
Dry-run is the default so that a fresh clone runs with no Telnyx account; real mode names
any missing variable at start-up, on `GET /health`, and in the 503 of `POST /calls/outbound`.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import cached_property

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hold_agent.errors import ConfigurationError
from hold_agent.telnyx.numbers import phone_number_problem
from hold_agent.telnyx.transcription import TranscriptionProfile, resolve_transcription

MIN_TOKEN_LENGTH = 16
_ALLOWLIST_ENTRY = re.compile(r"\+[0-9]{1,15}")


def _split(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",") if entry.strip()]


class InsecureSettings(ConfigurationError):
    """Real mode without the protections it needs. The message names each one."""


# Variables a real call cannot do without, in the order the README lists them.
REQUIRED_FOR_REAL_CALLS = (
    "TELNYX_API_KEY",
    "TELNYX_CONNECTION_ID",
    "TELNYX_FROM_NUMBER",
    "TELNYX_IVR_ASSISTANT_ID",
    "TELNYX_REPRESENTATIVE_ASSISTANT_ID",
    "PUBLIC_BASE_URL",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # `TELNYX_API_KEY=` in a copied .env.example means "not set", not "empty key".
        env_ignore_empty=True,
        # A rejected value may be a secret: never echo it in the start-up error.
        hide_input_in_errors=True,
    )

    telnyx_api_key: SecretStr | None = None
    telnyx_connection_id: str | None = None
    telnyx_from_number: str | None = None
    telnyx_ivr_assistant_id: str | None = None
    telnyx_representative_assistant_id: str | None = None
    public_base_url: str | None = None
    telnyx_public_key: SecretStr | None = None

    transcription_engine: str = "Deepgram"
    transcription_model: str = "nova-2"
    transcription_language: str = "en"
    start_transcription_during_ivr: bool = True

    telnyx_dry_run: bool = True
    telnyx_api_base: str = "https://api.telnyx.com/v2"
    # The fake companies' TeXML pages (/fake-company/...). None: served in dry-run only; a
    # real deployment serves them only when asked (to point a real Telnyx number at one).
    fake_company_pages: bool | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # Who may do what. Required in real mode unless ALLOW_INSECURE=true.
    api_auth_token: SecretStr | None = None
    tool_auth_token: SecretStr | None = None
    allow_insecure: bool = False
    # Comma-separated E.164 numbers or prefixes ("+1555,+442071838750"); empty allows any.
    destination_allowlist: str | None = None

    # Abuse and cost limits on POST /calls/outbound.
    max_concurrent_calls: int = Field(default=10, ge=1)
    max_calls_per_minute: int = Field(default=30, ge=1)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    # Slow clients: a request's headers must arrive within this, and its body within this
    # once the headers are in; and at most this many requests are served at once.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    max_connections: int = Field(default=500, ge=1)

    # Command delivery to Telnyx (see retry.py).
    command_attempt_timeout_seconds: float = Field(default=2.0, gt=0)
    command_deadline_seconds: float = Field(default=30.0, gt=0)

    # Watchdogs: a call stuck in a stage this long is hung up. 0 turns one off.
    max_ivr_seconds: float = Field(default=600, ge=0)
    max_hold_seconds: float = Field(default=3600, ge=0)
    max_call_seconds: float = Field(default=7200, ge=0)
    # Ended sessions are forgotten after this long (memory stays bounded).
    session_retention_seconds: float = Field(default=3600, ge=0)

    @field_validator("public_base_url", "telnyx_api_base")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("telnyx_from_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = phone_number_problem(value.strip())
        if problem:
            raise ValueError(problem)
        return value.strip()

    @field_validator("api_auth_token", "tool_auth_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"must be at least {MIN_TOKEN_LENGTH} characters; make one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @field_validator("destination_allowlist")
    @classmethod
    def _allowlist_entries(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for entry in _split(value):
            if not _ALLOWLIST_ENTRY.fullmatch(entry):
                raise ValueError(f"{entry!r} is not an E.164 number or prefix such as +1555 or +15551234567")
        return value

    @field_validator("telnyx_public_key")
    @classmethod
    def _ed25519_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            raw = base64.b64decode(value.get_secret_value().strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("must be the base64 Ed25519 public key from the Telnyx portal") from None
        if len(raw) != 32:
            raise ValueError("must decode to 32 bytes (an Ed25519 public key)")
        return value

    def model_post_init(self, __context: object) -> None:
        # Fail at start-up, not mid-call, when the transcription settings are unusable.
        _ = self.transcription

    @cached_property
    def transcription(self) -> TranscriptionProfile:
        return resolve_transcription(self.transcription_engine, self.transcription_model, self.transcription_language)

    @property
    def serves_fake_company(self) -> bool:
        return self.telnyx_dry_run if self.fake_company_pages is None else self.fake_company_pages

    @property
    def public_key_bytes(self) -> bytes | None:
        if self.telnyx_public_key is None:
            return None
        return base64.b64decode(self.telnyx_public_key.get_secret_value().strip())

    @property
    def webhook_url(self) -> str | None:
        return f"{self.public_base_url}/webhooks/telnyx" if self.public_base_url else None

    @property
    def allowed_destinations(self) -> tuple[str, ...]:
        """Allowed numbers and prefixes; empty means every destination is allowed."""
        return tuple(_split(self.destination_allowlist)) if self.destination_allowlist else ()

    def insecure_reasons(self) -> list[str]:
        """What real mode lacks to be safe to expose. Empty in dry-run."""
        if self.telnyx_dry_run:
            return []
        reasons = []
        if self.api_auth_token is None:
            reasons.append("API_AUTH_TOKEN is not set: anyone could place calls and read sessions")
        if self.telnyx_public_key is None:
            reasons.append("TELNYX_PUBLIC_KEY is not set: anyone could post fake Telnyx webhooks")
        if self.tool_auth_token is None:
            reasons.append("TOOL_AUTH_TOKEN is not set: anyone could press keys or hang up calls")
        return reasons

    def missing_for_real_calls(self) -> list[str]:
        """Names of the variables a real call needs but which are unset. Empty in dry-run."""
        if self.telnyx_dry_run:
            return []
        return [name for name in REQUIRED_FOR_REAL_CALLS if getattr(self, name.lower()) is None]

    def warnings(self) -> list[str]:
        """Things an operator must hear about at start-up and on /health."""
        notes: list[str] = []
        if self.telnyx_dry_run:
            notes.append("TELNYX_DRY_RUN=true: no real calls are placed; commands are recorded locally.")
        missing = self.missing_for_real_calls()
        if missing:
            notes.append("Real calls are disabled until these are set: " + ", ".join(missing) + ".")
        if not self.telnyx_dry_run and self.telnyx_public_key is None:
            notes.append(
                "TELNYX_PUBLIC_KEY is not set: webhook signatures are NOT verified, so anyone who "
                "can reach /webhooks/telnyx can drive your calls."
            )
        if self.allow_insecure:
            notes.extend(f"ALLOW_INSECURE=true: {reason}." for reason in self.insecure_reasons())
        if self.telnyx_dry_run and (self.api_auth_token is None or self.tool_auth_token is None):
            notes.append("Dry-run: endpoints without a token configured are open, for local curl demos.")
        return notes
