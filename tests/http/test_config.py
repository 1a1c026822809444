"""Settings from the environment and .env; real mode names what is missing."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from nacl.signing import SigningKey
from pydantic import ValidationError

from hold_agent.config import REQUIRED_FOR_REAL_CALLS, Settings
from tests.support.harness import make_settings

REAL = {
    "telnyx_dry_run": False,
    "telnyx_api_key": "KEY",
    "telnyx_connection_id": "conn",
    "telnyx_from_number": "+15550001111",
    "telnyx_ivr_assistant_id": "assistant-ivr",
    "telnyx_representative_assistant_id": "assistant-rep",
    "public_base_url": "https://agent.example.com/",
}


def test_defaults_are_a_dry_run_on_port_8000() -> None:
    settings = make_settings()
    assert settings.telnyx_dry_run is True
    assert settings.port == 8000
    assert settings.telnyx_api_base == "https://api.telnyx.com/v2"
    assert settings.transcription_engine == "Deepgram"
    assert settings.transcription_model == "nova-2"
    assert settings.transcription_language == "en"
    assert settings.start_transcription_during_ivr is True
    assert settings.missing_for_real_calls() == []


def test_real_mode_names_every_missing_variable() -> None:
    settings = make_settings(telnyx_dry_run=False)
    assert settings.missing_for_real_calls() == list(REQUIRED_FOR_REAL_CALLS)
    assert any("TELNYX_API_KEY" in warning for warning in settings.warnings())
    assert any("TELNYX_PUBLIC_KEY" in warning for warning in settings.warnings())


def test_complete_real_settings() -> None:
    settings = make_settings(**REAL)
    assert settings.missing_for_real_calls() == []
    assert settings.webhook_url == "https://agent.example.com/webhooks/telnyx"
    assert "KEY" not in repr(settings)  # secrets never print


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELNYX_DRY_RUN=false\nTELNYX_API_KEY=from-file\nPORT=9001\nTELNYX_CONNECTION_ID=\n")
    monkeypatch.setenv("PORT", "9002")
    settings = Settings()
    assert settings.telnyx_dry_run is False
    assert settings.telnyx_api_key is not None and settings.telnyx_api_key.get_secret_value() == "from-file"
    assert settings.port == 9002  # the environment wins over .env
    assert settings.telnyx_connection_id is None  # empty means unset


def test_public_key_must_be_an_ed25519_key() -> None:
    good = base64.b64encode(bytes(SigningKey.generate().verify_key)).decode()
    assert make_settings(telnyx_public_key=good).public_key_bytes is not None
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValidationError, match="telnyx_public_key"):
            make_settings(telnyx_public_key=bad)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("telnyx_from_number", "5551234"),
        ("public_base_url", "agent.example.com"),
        ("port", 0),
        ("transcription_language", "xx"),
    ],
)
def test_bad_values_are_refused_at_start_up(field: str, value: object) -> None:
    with pytest.raises((ValidationError, ValueError)):
        make_settings(**{field: value})


def test_every_setting_is_in_env_example() -> None:
    from tests.support.servers import REPO

    example = (REPO / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"\n{name.upper()}=" in example, name
    assert Settings(_env_file=REPO / ".env.example").telnyx_dry_run is True  # type: ignore[call-arg]


def test_start_up_names_what_is_missing(caplog: pytest.LogCaptureFixture) -> None:
    from hold_agent.http.app import announce

    with caplog.at_level("INFO", logger="hold_agent"):
        announce(make_settings(telnyx_dry_run=False, telnyx_api_key="k"))
    text = caplog.text
    assert "LIVE" in text
    assert "missing TELNYX_CONNECTION_ID, TELNYX_FROM_NUMBER" in text
    assert "TELNYX_PUBLIC_KEY is not set" in text


def test_dial_body_without_public_url_has_no_webhook_url() -> None:
    from hold_agent.telnyx.bodies import dial_body

    assert "webhook_url" not in dial_body(make_settings(), "s1", "+15551234567")
    assert dial_body(make_settings(public_base_url="https://a.example"), "s1", "+15551234567")["webhook_url"] == (
        "https://a.example/webhooks/telnyx"
    )
