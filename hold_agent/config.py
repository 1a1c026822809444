"""Settings: one class, read from the environment and `.env`.

Every field has a line in `.env.example`. Secrets are `SecretStr` so they never print.
Dry-run is the default so that a fresh clone runs with no Telnyx account; real mode names
any missing variable at start-up, on `GET /health`, and in the 503 of `POST /calls/outbound`.
"""

from __future__ import annotations

import base64
import binascii
from functools import cached_property

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .transcription import TranscriptionProfile, resolve_transcription
from .validation import is_e164

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
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

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
        if value is not None and not is_e164(value.strip()):
            raise ValueError("must be an E.164 number such as +15551234567")
        return value.strip() if value else value

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
        return resolve_transcription(
            self.transcription_engine, self.transcription_model, self.transcription_language
        )

    @property
    def public_key_bytes(self) -> bytes | None:
        if self.telnyx_public_key is None:
            return None
        return base64.b64decode(self.telnyx_public_key.get_secret_value().strip())

    @property
    def webhook_url(self) -> str | None:
        return f"{self.public_base_url}/webhooks/telnyx" if self.public_base_url else None

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
        return notes
