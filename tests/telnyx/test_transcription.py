"""The spec's Deepgram / nova-2 / en becomes a body the current API accepts."""

from __future__ import annotations

import pytest

from hold_agent.telnyx.transcription import TranscriptionSettingsError, resolve_transcription


def test_spec_defaults_become_the_current_schema() -> None:
    body = resolve_transcription("Deepgram", "nova-2", "en").body()
    assert body == {
        "transcription_engine": "Deepgram",
        "transcription_engine_config": {
            "transcription_engine": "deepgram/nova-2",
            "transcription_model": "deepgram/nova-2",
            "language": "en-US",
            "interim_results": True,
        },
        "transcription_tracks": "inbound",
    }
    assert "language" not in body  # the old top-level key is not in the schema


@pytest.mark.parametrize(
    ("model", "language", "expected"),
    [
        ("nova-3", "en-GB", "en-GB"),
        ("deepgram/nova-3", "es", "es"),
        ("nova-2", "es", "es-419"),
        ("nova-2", "en-AU", "en-AU"),
    ],
)
def test_deepgram_models_and_languages(model: str, language: str, expected: str) -> None:
    config = resolve_transcription("deepgram", model, language).config
    assert config["language"] == expected
    assert config["transcription_engine"] == config["transcription_model"]


@pytest.mark.parametrize(
    ("engine", "model", "language", "named"),
    [
        ("Whisperer", "nova-2", "en", "TRANSCRIPTION_ENGINE"),
        ("Deepgram", "nova-9", "en", "TRANSCRIPTION_MODEL"),
        ("Deepgram", "nova-3", "bg", "TRANSCRIPTION_LANGUAGE"),
        ("Telnyx", "whisper-huge", "en", "TRANSCRIPTION_MODEL"),
        ("Google", "banana", "en", "TRANSCRIPTION_MODEL"),
        ("Google", "latest_long", "klingon", "TRANSCRIPTION_LANGUAGE"),
        ("Telnyx", "openai/whisper-tiny", "xx-YY", "TRANSCRIPTION_LANGUAGE"),
    ],
)
def test_unusable_settings_name_the_setting(engine: str, model: str, language: str, named: str) -> None:
    with pytest.raises(TranscriptionSettingsError, match=named):
        resolve_transcription(engine, model, language)


def test_other_engines() -> None:
    assert resolve_transcription("Google", "nova-2", "en-US").config == {
        "transcription_engine": "Google",
        "interim_results": True,
        "language": "en",
    }
    assert resolve_transcription("Telnyx", "openai/whisper-tiny", "en-US").config == {
        "transcription_engine": "Telnyx",
        "transcription_model": "openai/whisper-tiny",
        "language": "en",
    }


@pytest.mark.parametrize(
    ("engine", "model", "language"),
    [
        ("Deepgram", "nova-2", "en"),
        ("Deepgram", "nova-3", "en-GB"),
        ("Google", "nova-2", "en-US"),
        ("Google", "phone_call", "de"),
        ("Telnyx", "openai/whisper-large-v3-turbo", "fr-FR"),
    ],
)
def test_every_supported_profile_conforms_to_the_sdk(engine: str, model: str, language: str) -> None:
    from tests.support.sdk_conformance import PARAMS_BY_ACTION, check

    body = {**resolve_transcription(engine, model, language).body(), "command_id": "x", "client_state": "e30="}
    assert check(body, PARAMS_BY_ACTION["transcription_start"]) == []
