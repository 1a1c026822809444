"""Turn the spec's transcription settings into the body the current Telnyx API accepts.

The product spec speaks of `Deepgram` / `nova-2` / `en`. The current `transcription_start`
schema wants the engine named twice: `transcription_engine: "Deepgram"` at the top and a
`transcription_engine_config` whose `transcription_engine` and `transcription_model` are both
`deepgram/nova-2`, with a regional language tag (`en-US`; plain `en` is not a nova-2 language).
This module does that mapping once, at start-up, so a bad setting is a clear start-up error
instead of a 422 from Telnyx in the middle of a call.

The language lists below are facts copied from the Telnyx API schema (SDK 4.189.0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hold_agent.errors import ConfigurationError

# Languages each Deepgram model accepts (Telnyx schema).
DEEPGRAM_LANGUAGES: dict[str, frozenset[str]] = {
    "deepgram/nova-2": frozenset(
        [
            "bg",
            "ca",
            "zh-CN",
            "zh-Hans",
            "zh-TW",
            "zh-Hant",
            "zh-HK",
            "cs",
            "da-DK",
            "nl-BE",
            "en-US",
            "en-AU",
            "en-GB",
            "en-NZ",
            "en-IN",
            "et",
            "fi",
            "fr",
            "fr-CA",
            "de-CH",
            "el",
            "hi",
            "hu",
            "id",
            "it",
            "ja",
            "ko-KR",
            "lv",
            "lt",
            "ms",
            "no",
            "pl",
            "pt-BR",
            "pt-PT",
            "ro",
            "ru",
            "sk",
            "es-419",
            "sv-SE",
            "th-TH",
            "tr",
            "uk",
            "vi",
            "auto_detect",
        ]
    ),
    "deepgram/nova-3": frozenset(
        [
            "en-US",
            "en-AU",
            "en-GB",
            "en-IN",
            "en-NZ",
            "de",
            "nl",
            "sv-SE",
            "da-DK",
            "es",
            "es-419",
            "fr",
            "fr-CA",
            "pt-BR",
            "pt-PT",
            "auto_detect",
        ]
    ),
}

# A bare language code, as the spec's `en`, widened to the region Telnyx lists for it.
# Used only when the bare code itself is not accepted by the chosen model.
BARE_LANGUAGE_DEFAULTS: dict[str, str] = {
    "en": "en-US",
    "es": "es-419",
    "pt": "pt-BR",
    "sv": "sv-SE",
    "da": "da-DK",
    "ko": "ko-KR",
    "th": "th-TH",
    "zh": "zh-CN",
    "de": "de-CH",
    "nl": "nl-BE",
}

# Google and Telnyx engines take bare language codes (Telnyx schema).
GOOGLE_LANGUAGES = frozenset(
    [
        "af",
        "sq",
        "am",
        "ar",
        "hy",
        "az",
        "eu",
        "bn",
        "bs",
        "bg",
        "my",
        "ca",
        "yue",
        "zh",
        "hr",
        "cs",
        "da",
        "nl",
        "en",
        "et",
        "fil",
        "fi",
        "fr",
        "gl",
        "ka",
        "de",
        "el",
        "gu",
        "iw",
        "hi",
        "hu",
        "is",
        "id",
        "it",
        "ja",
        "jv",
        "kn",
        "kk",
        "km",
        "ko",
        "lo",
        "lv",
        "lt",
        "mk",
        "ms",
        "ml",
        "mr",
        "mn",
        "ne",
        "no",
        "fa",
        "pl",
        "pt",
        "pa",
        "ro",
        "ru",
        "rw",
        "sr",
        "si",
        "sk",
        "sl",
        "ss",
        "st",
        "es",
        "su",
        "sw",
        "sv",
        "ta",
        "te",
        "th",
        "tn",
        "tr",
        "ts",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "xh",
        "zu",
    ]
)
TELNYX_LANGUAGES = frozenset(
    [
        "en",
        "zh",
        "de",
        "es",
        "ru",
        "ko",
        "fr",
        "ja",
        "pt",
        "tr",
        "pl",
        "ca",
        "nl",
        "ar",
        "sv",
        "it",
        "id",
        "hi",
        "fi",
        "vi",
        "he",
        "uk",
        "el",
        "ms",
        "cs",
        "ro",
        "da",
        "hu",
        "ta",
        "no",
        "th",
        "ur",
        "hr",
        "bg",
        "lt",
        "la",
        "mi",
        "ml",
        "cy",
        "sk",
        "te",
        "fa",
        "lv",
        "bn",
        "sr",
        "az",
        "sl",
        "kn",
        "et",
        "mk",
        "br",
        "eu",
        "is",
        "hy",
        "ne",
        "mn",
        "bs",
        "kk",
        "sq",
        "sw",
        "gl",
        "mr",
        "pa",
        "si",
        "km",
        "sn",
        "yo",
        "so",
        "af",
        "oc",
        "ka",
        "be",
        "tg",
        "sd",
        "gu",
        "am",
        "yi",
        "lo",
        "uz",
        "fo",
        "ht",
        "ps",
        "tk",
        "nn",
        "mt",
        "sa",
        "lb",
        "my",
        "bo",
        "tl",
        "mg",
        "as",
        "tt",
        "haw",
        "ln",
        "ha",
        "ba",
        "jw",
        "su",
        "auto_detect",
    ]
)

TELNYX_MODELS = frozenset({"openai/whisper-tiny", "openai/whisper-large-v3-turbo"})
GOOGLE_MODELS = frozenset(
    {
        "latest_long",
        "latest_short",
        "command_and_search",
        "phone_call",
        "video",
        "default",
        "medical_conversation",
        "medical_dictation",
    }
)


class TranscriptionSettingsError(ConfigurationError, ValueError):
    """The TRANSCRIPTION_* settings do not describe something Telnyx accepts. Also a ValueError,
    so that pydantic reports it as a settings error at start-up."""


@dataclass(frozen=True)
class TranscriptionProfile:
    """What goes into every `transcription_start` body."""

    engine: str
    config: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "transcription_engine": self.engine,
            "transcription_engine_config": dict(self.config),
            # `inbound` is the far end of our outbound call: the company, not our assistant.
            "transcription_tracks": "inbound",
        }


def resolve_transcription(engine: str, model: str, language: str) -> TranscriptionProfile:
    """Map the three settings onto the current schema, or raise a readable error."""
    name = engine.strip().lower()
    if name == "deepgram":
        return _deepgram(model.strip(), language.strip())
    if name == "google":
        return _google(model.strip(), language.strip())
    if name == "telnyx":
        return _telnyx(model.strip(), language.strip())
    raise TranscriptionSettingsError(
        f"TRANSCRIPTION_ENGINE={engine!r} is not supported; use Deepgram, Google or Telnyx."
    )


def _deepgram(model: str, language: str) -> TranscriptionProfile:
    full_model = model.lower() if model.lower().startswith("deepgram/") else f"deepgram/{model.lower()}"
    languages = DEEPGRAM_LANGUAGES.get(full_model)
    if languages is None:
        raise TranscriptionSettingsError(
            f"TRANSCRIPTION_MODEL={model!r} is not a Deepgram model Telnyx accepts; "
            f"use one of {sorted(DEEPGRAM_LANGUAGES)} (the `deepgram/` prefix is optional)."
        )
    tag = language if language in languages else BARE_LANGUAGE_DEFAULTS.get(language.lower(), language)
    if tag not in languages:
        raise TranscriptionSettingsError(
            f"TRANSCRIPTION_LANGUAGE={language!r} is not a language {full_model} accepts; "
            f"use one of {sorted(languages)}."
        )
    return TranscriptionProfile(
        engine="Deepgram",
        config={
            "transcription_engine": full_model,
            "transcription_model": full_model,
            "language": tag,
            # Interim results let detection see a greeting forming; finals decide.
            "interim_results": True,
        },
    )


def _google(model: str, language: str) -> TranscriptionProfile:
    config: dict[str, Any] = {"transcription_engine": "Google", "interim_results": True}
    if model and model.lower() not in {"nova-2", "default"}:
        if model not in GOOGLE_MODELS:
            raise TranscriptionSettingsError(
                f"TRANSCRIPTION_MODEL={model!r} is not a Google model; use one of {sorted(GOOGLE_MODELS)}."
            )
        config["model"] = model
    if language:
        config["language"] = _bare_language(language, GOOGLE_LANGUAGES, "Google")
    return TranscriptionProfile(engine="Google", config=config)


def _telnyx(model: str, language: str) -> TranscriptionProfile:
    config: dict[str, Any] = {"transcription_engine": "Telnyx"}
    if model and model.lower() != "nova-2":
        if model not in TELNYX_MODELS:
            raise TranscriptionSettingsError(
                f"TRANSCRIPTION_MODEL={model!r} is not a Telnyx model; use one of {sorted(TELNYX_MODELS)}."
            )
        config["transcription_model"] = model
    if language:
        config["language"] = _bare_language(language, TELNYX_LANGUAGES, "the Telnyx engine")
    return TranscriptionProfile(engine="Telnyx", config=config)


def _bare_language(language: str, accepted: frozenset[str], engine: str) -> str:
    """These engines want "en", not "en-US": drop a region, then check the list."""
    bare = language if language in accepted else language.split("-")[0].lower()
    if bare not in accepted:
        raise TranscriptionSettingsError(
            f"TRANSCRIPTION_LANGUAGE={language!r} is not a language {engine} accepts; use one of {sorted(accepted)}."
        )
    return bare
