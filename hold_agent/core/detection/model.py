"""The utterance model: a line's words in, a calibrated probability per label out.

A multinomial logistic regression over the features of `features.py`, trained by
`python -m hold_agent.learning.train` from the labelled corpus and shipped as `model.json.gz`
beside this file (gzip-compressed JSON: a fifth of the size). Inference is a sum of weights per label and a softmax: deterministic, no
network, no download, no numeric library. The file also holds the call-level weights that
`judge.py` uses (`call`), trained by the same command.
"""

from __future__ import annotations

import gzip
import json
import math
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import Any

from hold_agent.core.detection.features import features, scale
from hold_agent.core.detection.labels import LABELS, Probabilities

MODEL_PATH = Path(__file__).with_name("model.json.gz")


class UtteranceModel:
    def __init__(self, spec: dict[str, Any]) -> None:
        if tuple(spec["labels"]) != tuple(label.value for label in LABELS):
            raise ValueError(f"model labels {spec['labels']} are not {[label.value for label in LABELS]}")
        self.spec = spec
        self.temperature = float(spec["temperature"])
        self.bias = tuple(float(value) for value in spec["bias"])
        # One dict per label: summing with `map(dict.get, ...)` runs in C.
        self._weights: list[dict[str, float]] = [{} for _ in LABELS]
        for feature, row in spec["weights"].items():
            for index, weight in enumerate(row):
                if weight:
                    self._weights[index][feature] = float(weight)
        self.call_weights: dict[str, float] = {name: float(value) for name, value in spec["call"]["weights"].items()}
        self.call_bias = float(spec["call"]["bias"])
        self.probabilities = lru_cache(maxsize=4096)(self._probabilities)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> UtteranceModel:
        return cls(read_spec(path))

    def logits(self, text: str) -> tuple[float, ...]:
        present = features(text)
        value = scale(len(present))
        zeros = repeat(0.0)
        return tuple(
            (bias + value * sum(map(weights.get, present, zeros))) / self.temperature
            for bias, weights in zip(self.bias, self._weights, strict=True)
        )

    def _probabilities(self, text: str) -> Probabilities:
        return softmax(self.logits(text))


def read_spec(path: Path = MODEL_PATH) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return spec


def write_spec(path: Path, text: str) -> None:
    # mtime=0: the same model gives the same bytes
    path.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))


def softmax(logits: tuple[float, ...]) -> Probabilities:
    top = max(logits)
    exps = [math.exp(value - top) for value in logits]
    total = sum(exps)
    return Probabilities(tuple(value / total for value in exps))


@lru_cache(maxsize=1)
def shipped() -> UtteranceModel:
    """The model shipped with the package, loaded once per process."""
    return UtteranceModel.load()
