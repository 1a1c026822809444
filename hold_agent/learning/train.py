"""Rebuild the shipped model (model.json.gz) from the corpus, reproducibly.

    .venv/bin/python -m hold_agent.learning.train [--corpus DIR] [--out PATH] [--check]

1. The utterance model: every labelled line (holdout/ excluded), each formatted line also in
   its unformatted form (transcripts come both ways), deduplicated, is turned into the binary
   features of features.py. A multinomial logistic regression (scikit-learn, L2 with C=16,
   classes balanced; chosen by tests/corpus/compare.py) is fitted. Features seen fewer than MIN_COUNT times are dropped first, and
   weights too small to matter after: the file stays small.
   The finals of the timed streams and whole calls join them: who spoke is known (a person's
   line is `human`, a machine's takes the first model's most likely machine label).
2. Calibration: the corpus is split into folds by source (a whole source is in one fold), a
   model is fitted without each fold and scores it; one temperature is fitted to those
   out-of-fold scores, so the probabilities mean what they say on sources never trained on.
3. The call layer: the streams and whole calls are replayed, each event scored by the fold
   model that never saw its source and judged with the call's memory as it would be, and a
   logistic layer learns how each piece of evidence shifts the odds that a person is speaking.

The same corpus gives the same file on the same machine: no randomness, sorted inputs, rounded
weights. `--check` retrains and fails if the result differs from the shipped file by more than
floating-point noise (another BLAS build may move a last digit).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hold_agent.core.detection.features import features, scale
from hold_agent.core.detection.judge import LOW_CONFIDENCE, call_inputs, gather, remember_line
from hold_agent.core.detection.labels import LABELS, Label
from hold_agent.core.detection.memory import DetectorMemory
from hold_agent.core.detection.model import MODEL_PATH, UtteranceModel, read_spec, softmax, write_spec
from hold_agent.core.detection.text import as_raw
from hold_agent.learning.corpus import DEFAULT_CORPUS, Line, Stream, load_lines, load_streams

MIN_COUNT = 3
LINE_C = 16.0
CALL_C = 1.0
FOLDS = 5
DIGITS = 3
PRUNE_BELOW = 0.02  # weights this small change no probability by more than a rounding error
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def training_examples(lines: Sequence[Line]) -> list[tuple[str, Label, str]]:
    """(text, label, source), each formatted line also unformatted. A line found in several
    sources is kept once, in the first source in sorted order, so grouped folds do not see
    the same words on both sides."""
    seen: set[str] = set()
    examples = []
    for line in sorted(lines, key=lambda item: (item.source, item.text, item.label.value)):
        key = as_raw(line.text)
        if not key or key in seen:
            continue
        seen.add(key)
        for text in dict.fromkeys((line.text, key)):
            examples.append((text, line.label, line.source))
    return examples


def fit_lines(
    examples: Sequence[tuple[str, Label, str]],
    c: float = LINE_C,
    featurize: Callable[[str], list[str]] = features,
) -> dict[str, Any]:
    """Weights and biases of the utterance model (temperature 1, no call layer yet).
    `featurize` is for comparisons (tests/corpus/compare.py); the shipped model uses features()."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    extracted = [featurize(text) for text, _, _ in examples]
    counts: dict[str, int] = {}
    for present in extracted:
        for feature in present:
            counts[feature] = counts.get(feature, 0) + 1
    vocabulary = sorted(feature for feature, count in counts.items() if count >= MIN_COUNT)
    index = {feature: number for number, feature in enumerate(vocabulary)}
    rows, cols, values = [], [], []
    for row, present in enumerate(extracted):
        value = scale(len(present))
        for feature in present:
            if feature in index:
                rows.append(row)
                cols.append(index[feature])
                values.append(value)
    matrix = csr_matrix((values, (rows, cols)), shape=(len(examples), len(vocabulary)))
    target = np.array([LABELS.index(label) for _, label, _ in examples])
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, tol=1e-6)
    model.fit(matrix, target)
    if list(model.classes_) != list(range(len(LABELS))):
        raise SystemExit("every label needs examples in the corpus")
    weights: dict[str, list[float]] = {}
    for number, feature in enumerate(vocabulary):
        column = [round(float(value), DIGITS) for value in model.coef_[:, number]]
        if max(abs(value) for value in column) >= PRUNE_BELOW:
            weights[feature] = column
    return {
        "labels": [label.value for label in LABELS],
        "temperature": 1.0,
        "bias": [round(float(value), DIGITS) for value in model.intercept_],
        "weights": weights,
        "call": {"bias": 0.0, "weights": {}},
    }


def fold_of(sources: set[str]) -> dict[str, int]:
    """Whole sources to folds, the same way everywhere (sorted, dealt round)."""
    return {source: number % FOLDS for number, source in enumerate(sorted(sources))}


def fold_models(examples: Sequence[tuple[str, Label, str]]) -> tuple[dict[str, int], list[UtteranceModel]]:
    """One model per fold, each trained without that fold's sources."""
    folds = fold_of({source for _, _, source in examples})
    models = [
        UtteranceModel(fit_lines([example for example in examples if folds[example[2]] != fold]))
        for fold in range(FOLDS)
    ]
    return folds, models


def out_of_fold_logits(
    examples: Sequence[tuple[str, Label, str]], folds: dict[str, int], models: Sequence[UtteranceModel]
) -> list[tuple[tuple[float, ...], Label]]:
    """Each example scored by the model that never saw its source."""
    return [(models[folds[source]].logits(text), label) for text, label, source in examples]


def stream_lines(model: UtteranceModel, streams: Sequence[Stream]) -> list[Line]:
    """The finals of the timed streams as labelled lines. Who spoke is known: a person's line
    is `human` (or `hold` when the model hears them ask us to hold); a machine's takes the
    model's most likely machine label. They teach the model what is said on hold lines, in the
    words of the calls, on top of the mined lines."""
    found = []
    for stream in streams:
        for event in stream.events:
            if not event.final or not event.text.strip():
                continue
            probabilities = model.probabilities(event.text)
            if event.speaker == "person":
                label = Label.HOLD if probabilities.top is Label.HOLD else Label.HUMAN
            else:
                label = max(
                    (label for label in LABELS if label is not Label.HUMAN), key=lambda item: probabilities[item]
                )
            found.append(
                Line(event.text, label, stream.source, ref=stream.name, composed=True, kind="a stream's final")
            )
    return found


def fit_temperature(scored: Sequence[tuple[tuple[float, ...], Label]]) -> float:
    """The temperature that makes out-of-fold probabilities honest (least log loss)."""

    def loss(temperature: float) -> float:
        total = 0.0
        for logits, label in scored:
            scaled = [value / temperature for value in logits]
            top = max(scaled)
            log_sum = top + math.log(sum(math.exp(value - top) for value in scaled))
            total += log_sum - scaled[LABELS.index(label)]
        return total / max(1, len(scored))

    grid = [round(0.5 + 0.05 * step, 2) for step in range(71)]  # 0.5 .. 4.0
    return min(grid, key=loss)


def call_examples(
    streams: Sequence[Stream], folds: dict[str, int], models: Sequence[UtteranceModel], temperature: float
) -> tuple[list[dict[str, float]], list[int]]:
    """Every event of every stream, with the call's evidence as a perfect listener would have
    it (memory holds what the machine said), and whether a person said it. Each stream's lines
    are scored by the fold model that never saw its source, so the call layer learns how the
    evidence shifts the odds on calls the line model does not know."""
    inputs, targets = [], []
    for stream in streams:
        model = models[folds.get(stream.source, 0)]
        memory = DetectorMemory()
        for event in stream.events:
            at = T0 + timedelta(seconds=event.t)
            line = softmax(tuple(value / temperature for value in model.logits(event.text)))
            evidence = gather(event.text, event.confidence, at, memory)
            inputs.append(call_inputs(line, evidence, is_final=event.final))
            person = event.speaker == "person"
            targets.append(int(person))
            if event.final:
                noisy = not person and (evidence.noise or (event.confidence or 1.0) < LOW_CONFIDENCE)
                memory = remember_line(memory, event.text, person=person, noisy=noisy, at=at)
    return inputs, targets


def fit_call_layer(inputs: list[dict[str, float]], targets: list[int]) -> dict[str, Any]:
    """Shifts of the line's log-odds of a person, one per piece of call evidence.

    The line's own log-odds enter as a fixed offset (weight 1, no intercept): the call layer
    may only say how much a repeat, an unsure transcript or music nearby changes the odds.
    Streams are easy for the line model in other ways (their announcements are plain), and a
    free weight on the line's odds learns that instead of anything about calls."""
    import numpy as np
    from scipy.optimize import minimize

    names = sorted(name for name in inputs[0] if name != "line_human_logit")
    matrix = np.array([[row[name] for name in names] for row in inputs])
    offset = np.array([row["line_human_logit"] for row in inputs])
    y = np.array(targets, dtype=float)
    # Persons and machines weigh the same in all, as the line model's classes do.
    weight = np.where(y == 1, 0.5 / max(1.0, y.sum()), 0.5 / max(1.0, (1 - y).sum()))
    penalty = 1.0 / (2 * CALL_C * len(y))

    def loss(w: Any) -> tuple[float, Any]:
        z = offset + matrix @ w
        p = 1 / (1 + np.exp(-z))
        value = float(np.sum(weight * (np.logaddexp(0, z) - y * z)) + penalty * w @ w)
        gradient = matrix.T @ (weight * (p - y)) + 2 * penalty * w
        return value, gradient

    fitted = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-10})
    return {
        "bias": 0.0,
        "weights": {"line_human_logit": 1.0}
        | {name: round(float(value), DIGITS) for name, value in zip(names, fitted.x, strict=True)},
    }


def build(corpus: Path = DEFAULT_CORPUS) -> dict[str, Any]:
    lines = load_lines(corpus)
    streams = load_streams(corpus)
    first = UtteranceModel(fit_lines(training_examples(lines)))
    examples = training_examples([*lines, *stream_lines(first, streams)])
    spec = fit_lines(examples)
    folds, models = fold_models(examples)
    spec["temperature"] = fit_temperature(out_of_fold_logits(examples, folds, models))
    spec["call"] = fit_call_layer(*call_examples(streams, folds, models, spec["temperature"]))
    spec["trained_on"] = {
        "lines": len(lines),
        "examples": len(examples),
        "sources": len({line.source for line in lines}),
        "streams": len(streams),
        "corpus_sha256": corpus_digest(corpus),
    }
    return spec


def corpus_digest(corpus: Path) -> str:
    """A fingerprint of every training file (holdout excluded), to tell which corpus made a model."""
    digest = hashlib.sha256()
    for kind, suffix in (("lines", ".jsonl"), ("streams", ".json"), ("calls", ".json")):
        for path in sorted((corpus / kind).glob(f"*{suffix}")):
            digest.update(path.relative_to(corpus).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def differences(shipped: dict[str, Any], rebuilt: dict[str, Any], tolerance: float = 0.005) -> list[str]:
    """How two models differ beyond floating-point noise (another BLAS build can move the last
    rounded digit, or push a weight across the pruning line): empty when they are the same."""
    found = []
    if shipped["labels"] != rebuilt["labels"]:
        found.append(f"labels {shipped['labels']} != {rebuilt['labels']}")
    if abs(shipped["temperature"] - rebuilt["temperature"]) > 0.05 + 1e-9:
        found.append(f"temperature {shipped['temperature']} != {rebuilt['temperature']}")
    if shipped.get("trained_on", {}).get("corpus_sha256") != rebuilt.get("trained_on", {}).get("corpus_sha256"):
        found.append("trained on another corpus")
    if any(abs(a - b) > tolerance for a, b in zip(shipped["bias"], rebuilt["bias"], strict=True)):
        found.append("bias differs")
    one, other = shipped["weights"], rebuilt["weights"]
    unshared = set(one) ^ set(other)
    if len(unshared) > 0.005 * max(len(one), 1):
        found.append(f"{len(unshared)} features in one model only")
    moved = sorted(
        feature
        for feature in set(one) & set(other)
        if any(abs(a - b) > tolerance for a, b in zip(one[feature], other[feature], strict=True))
    )
    if moved:
        found.append(f"{len(moved)} feature weights moved, e.g. {moved[:3]}")
    calls = shipped["call"]["weights"], rebuilt["call"]["weights"]
    if set(calls[0]) != set(calls[1]) or any(abs(calls[0][n] - calls[1][n]) > 2 * tolerance for n in calls[0]):
        found.append("call layer differs")
    return found


def dump(spec: dict[str, Any]) -> str:
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the detection model from the corpus.")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the shipped model is not what the corpus trains")
    args = parser.parse_args(argv)
    spec = build(args.corpus)
    text = dump(spec)
    if args.check:
        found = differences(read_spec(args.out), spec) if args.out.exists() else [f"no {args.out}"]
        print("the shipped model is what the corpus trains" if not found else f"{args.out} differs: {'; '.join(found)}")
        return 0 if not found else 1
    write_spec(args.out, text)
    trained = spec["trained_on"]
    print(
        f"wrote {args.out}: {len(spec['weights'])} features, temperature {spec['temperature']}, "
        f"{trained['lines']} lines from {trained['sources']} sources, {trained['streams']} streams "
        f"({args.out.stat().st_size / 1024:.0f} KiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
