"""Compare utterance models on the development corpus, by grouped cross-validation.

    .venv/bin/python -m tests.corpus.compare

Each candidate is trained without one fold of sources and scored on it (folds as in training),
so the figures are for sources it never saw. Printed per candidate: accuracy, macro F1, the
person's precision and recall, and the mean time per line. The shipped choice is the one the
note and README argue for; rerun this when the corpus grows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from hold_agent.core.detection.features import features
from hold_agent.core.detection.labels import LABELS, Label
from hold_agent.core.detection.model import UtteranceModel
from hold_agent.core.detection.text import normalise, words
from hold_agent.learning.corpus import Line, load_lines
from hold_agent.learning.train import FOLDS, LINE_C, fit_lines, training_examples

Featurize = Callable[[str], list[str]]


def with_letters(sizes: tuple[int, ...]) -> Featurize:
    """The shipped features plus letter groups of these sizes inside each (padded) word."""

    def featurize(text: str) -> list[str]:
        found = dict.fromkeys(features(text))
        for token in words(normalise(text)):
            spaced = f" {token} "
            for size in sizes:
                for start in range(len(spaced) - size + 1):
                    found["c:" + spaced[start : start + size]] = None
        return list(found)

    return featurize


def with_triples(text: str) -> list[str]:
    tokens = ["^", *words(normalise(text)), "$"]
    return features(text) + [f"t:{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)]


def naive_bayes(train: Sequence[tuple[str, Label, str]]) -> Callable[[str], Label]:
    """Multinomial naive Bayes over the same features, for contrast."""
    import numpy as np
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
    from sklearn.naive_bayes import MultinomialNB  # type: ignore[import-untyped]

    vocabulary: dict[str, int] = {}
    for text, _, _ in train:
        for feature in features(text):
            vocabulary.setdefault(feature, len(vocabulary))

    def matrix(texts: Sequence[str]) -> csr_matrix:
        rows, cols = [], []
        for row, text in enumerate(texts):
            for feature in features(text):
                if feature in vocabulary:
                    rows.append(row)
                    cols.append(vocabulary[feature])
        return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocabulary)))

    model = MultinomialNB(alpha=0.1)
    model.fit(matrix([text for text, _, _ in train]), [LABELS.index(label) for _, label, _ in train])
    return lambda text: LABELS[int(model.predict(matrix([text]))[0])]


def linear(featurize: Featurize, c: float) -> Callable[[Sequence[tuple[str, Label, str]]], Callable[[str], Label]]:
    def fit(train: Sequence[tuple[str, Label, str]]) -> Callable[[str], Label]:
        spec = fit_lines(train, c=c, featurize=featurize)
        model = UtteranceModel(spec)
        if featurize is features:
            return lambda text: model.probabilities(text).top
        weights = spec["weights"]
        return lambda text: _top(spec["bias"], weights, featurize(text))

    return fit


def _top(bias: list[float], weights: dict[str, list[float]], present: list[str]) -> Label:
    scale = 1 / len(present) ** 0.5 if present else 0.0
    scores = list(bias)
    for feature in present:
        for index, weight in enumerate(weights.get(feature, ())):
            scores[index] += scale * weight
    return LABELS[max(range(len(LABELS)), key=scores.__getitem__)]


CANDIDATES: dict[str, Callable[[Sequence[tuple[str, Label, str]]], Callable[[str], Label]]] = {
    f"logistic, words and pairs, C={LINE_C:g} (shipped)": linear(features, LINE_C),
    "logistic, words and pairs, C=4": linear(features, 4.0),
    "logistic, words and pairs, C=1": linear(features, 1.0),
    "logistic, + word triples": linear(with_triples, LINE_C),
    "logistic, + letter groups 3-5": linear(with_letters((3, 4, 5)), LINE_C),
    "logistic, + letter groups 3": linear(with_letters((3,)), LINE_C),
    "naive Bayes, words and pairs": naive_bayes,
}


def score(fit: Callable[[Sequence[tuple[str, Label, str]]], Callable[[str], Label]], lines: Sequence[Line]) -> str:
    sources = sorted({line.source for line in lines})
    fold_of = {source: number % FOLDS for number, source in enumerate(sources)}
    pairs: list[tuple[Label, Label]] = []
    spent = 0.0
    for fold in range(FOLDS):
        predict = fit(training_examples([line for line in lines if fold_of[line.source] != fold]))
        test = [line for line in lines if fold_of[line.source] == fold]
        started = time.perf_counter()
        pairs.extend((line.label, predict(line.text)) for line in test)
        spent += time.perf_counter() - started
    f1s = []
    for label in LABELS:
        tp = sum(truth is label and guess is label for truth, guess in pairs)
        said = sum(guess is label for _, guess in pairs)
        real = sum(truth is label for truth, _ in pairs)
        precision, recall = tp / said if said else 0.0, tp / real if real else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        if label is Label.HUMAN:
            human = f"person precision {precision:.1%} recall {recall:.1%}"
    accuracy = sum(truth is guess for truth, guess in pairs) / len(pairs)
    return (
        f"accuracy {accuracy:.1%}  macro F1 {sum(f1s) / len(f1s):.3f}  {human}  {spent / len(pairs) * 1e6:.0f} µs/line"
    )


def main() -> None:
    lines = load_lines()
    print(f"{len(lines)} lines from {len({line.source for line in lines})} sources, {FOLDS} folds by source")
    for name, fit in CANDIDATES.items():
        print(f"{name:<40} {score(fit, lines)}", flush=True)


if __name__ == "__main__":
    main()
