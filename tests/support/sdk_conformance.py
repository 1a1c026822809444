"""Check a request body against the official Telnyx SDK's typed parameters.

The SDK's `*Params` TypedDicts list every field a command accepts, which are required, and
their types. `check(body, Params)` walks a body against them and returns every mismatch:
unknown keys, missing required keys, and values of the wrong type or outside a Literal.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin, get_type_hints

from telnyx.types import CallDialParams
from telnyx.types.calls import (
    ActionHangupParams,
    ActionSendDtmfParams,
    ActionStartAIAssistantParams,
    ActionStartTranscriptionParams,
    ActionStopAIAssistantParams,
    ActionStopTranscriptionParams,
)
from typing_extensions import is_typeddict

PARAMS_BY_ACTION: dict[str, Any] = {
    "dial": CallDialParams,
    "ai_assistant_start": ActionStartAIAssistantParams,
    "ai_assistant_stop": ActionStopAIAssistantParams,
    "send_dtmf": ActionSendDtmfParams,
    "transcription_start": ActionStartTranscriptionParams,
    "transcription_stop": ActionStopTranscriptionParams,
    "hangup": ActionHangupParams,
}


def check(value: Any, annotation: Any, path: str = "body") -> list[str]:
    return _check(value, annotation, path)


def _strip(annotation: Any) -> tuple[Any, str | None]:
    """Drop Required/NotRequired/Annotated; return the bare type and any wire alias."""
    alias = None
    while True:
        origin = get_origin(annotation)
        if origin in (Required, NotRequired):
            annotation = get_args(annotation)[0]
        elif origin is typing.Annotated:
            args = get_args(annotation)
            for meta in args[1:]:
                alias = getattr(meta, "alias", None) or alias
            annotation = args[0]
        else:
            return annotation, alias


def _fields(typed_dict: Any) -> tuple[dict[str, Any], set[str]]:
    hints = get_type_hints(typed_dict, include_extras=True)
    fields: dict[str, Any] = {}
    for name, annotation in hints.items():
        bare, alias = _strip(annotation)
        fields[alias or name] = bare
    required = {(_strip(hints[name])[1] or name) for name in typed_dict.__required_keys__}
    return fields, required


def _check(value: Any, annotation: Any, path: str) -> list[str]:
    annotation, _ = _strip(annotation)
    if annotation is Any or annotation is object:
        return []
    if is_typeddict(annotation):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        fields, required = _fields(annotation)
        problems = [f"{path}.{key}: not a field of {annotation.__name__}" for key in value if key not in fields]
        problems += [f"{path}.{key}: required by {annotation.__name__}" for key in required if key not in value]
        for key, item in value.items():
            if key in fields:
                problems += _check(item, fields[key], f"{path}.{key}")
        return problems
    origin = get_origin(annotation)
    if origin is Literal:
        return [] if value in get_args(annotation) else [f"{path}: {value!r} not in {get_args(annotation)}"]
    if origin in (Union, types.UnionType):
        options = get_args(annotation)
        attempts = [_check(value, option, path) for option in options]
        if any(not attempt for attempt in attempts):
            return []
        closest = min(attempts, key=len)
        return [f"{path}: matches none of {len(options)} accepted shapes; closest: {closest}"]
    if origin in (dict, collections.abc.Mapping) or annotation is dict:
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        args = get_args(annotation)
        if not args:
            return []
        return [p for key, item in value.items() for p in _check(item, args[1], f"{path}.{key}")]
    if origin in (list, collections.abc.Iterable, collections.abc.Sequence) or _is_sequence_not_str(annotation):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        (item_type,) = get_args(annotation) or (Any,)
        return [p for index, item in enumerate(value) for p in _check(item, item_type, f"{path}[{index}]")]
    if annotation is bool:
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean"]
    if annotation is int:
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: expected an integer"]
    if annotation is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a number"]
    if annotation is str:
        return [] if isinstance(value, str) else [f"{path}: expected a string"]
    raise TypeError(f"{path}: the checker does not know {annotation!r}")


def _is_sequence_not_str(annotation: Any) -> bool:
    return getattr(get_origin(annotation), "__name__", "") == "SequenceNotStr"
