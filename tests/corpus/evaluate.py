"""Score detection on the labelled corpus: lines, lines in a call's context, timed streams and
whole calls, with one command.

    .venv/bin/python -m tests.corpus.evaluate            # the development corpus
    .venv/bin/python -m tests.corpus.evaluate --holdout  # the held-out part: score it, never tune on it
    options: --part X (one held-out writer's part), --out-of-fold (development figures with each
    source judged by a model that never saw it), --no-service (state machine only), --no-cv
    (skip the grouped cross-validation of lines), --verbose (every miss)

What is printed
- Lines, grouped cross-validation (development corpus only): every line scored by a model
  trained without its whole source (folds by source, as in training), so the figures are for
  sources the model never saw. Confusion matrix, precision and recall per label, per source.
- Lines in context, through the state machine: each line alone, heard in a fresh call on hold
  and in a fresh call in the menu, as the issue measures them (a person on hold ->
  representative, a person answering in the menu -> representative, hold language in the menu
  -> hold, menu prompts taken for hold, voicemail/closed -> ended with that outcome, non-person
  lines on hold taken for a person).
- Streams, through the state machine and (unless --no-service) through `python app.py` in
  dry-run fed with webhooks carrying `occurred_at`: false pickups, the representative started
  on the person's first final utterance, persons never noticed, where each stream ended.
- Whole calls: right at every step (after each final, the call is in the state the writer
  expected).
"""

from __future__ import annotations

import argparse
import importlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hold_agent.core import machine
from hold_agent.core.detection.labels import LABELS, Label
from hold_agent.core.detection.model import UtteranceModel
from hold_agent.core.detection.text import normalise, words
from hold_agent.core.events import TranscriptHeard
from hold_agent.core.session import CallSession, CallState
from hold_agent.learning.corpus import Line, Stream, load_lines, load_streams

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
Out = Callable[[str], None]
# The module, not the function the package exports under the same name.
judge_module = importlib.import_module("hold_agent.core.detection.judge")
# Which model judges an item of a source (None: the shipped model). Out-of-fold figures and
# tuning use the fold model that never saw the source, so they are not flattered by training.
ModelFor = Callable[[str], UtteranceModel] | None


@contextmanager
def judged_by(model_for: ModelFor, source: str) -> Iterator[None]:
    """Within the block, the state machine's detection uses `model_for(source)`."""
    if model_for is None:
        yield
        return
    original = judge_module.shipped
    model = model_for(source)
    judge_module.shipped = lambda: model  # type: ignore[assignment]
    try:
        yield
    finally:
        judge_module.shipped = original


def out_of_fold_models() -> Callable[[str], UtteranceModel]:
    """A model per fold, as training makes them, with the shipped temperature and call layer."""
    from hold_agent.core.detection.model import read_spec
    from hold_agent.learning.train import fit_lines, fold_models, stream_lines, training_examples

    lines, streams = load_lines(), load_streams()
    first = UtteranceModel(fit_lines(training_examples(lines)))
    folds, models = fold_models(training_examples([*lines, *stream_lines(first, streams)]))
    shipped_spec = read_spec()
    calibrated = [
        UtteranceModel({**model.spec, "temperature": shipped_spec["temperature"], "call": shipped_spec["call"]})
        for model in models
    ]
    return lambda source: calibrated[folds.get(source, 0)]


# --- lines ---------------------------------------------------------------------------------


def cross_validated(lines: Sequence[Line]) -> list[tuple[Line, Label]]:
    """Every line with the label given by a model that never saw its source."""
    from hold_agent.learning.train import FOLDS, fit_lines, fold_of, training_examples

    folds = fold_of({line.source for line in lines})
    results: list[tuple[Line, Label]] = []
    for fold in range(FOLDS):
        model = UtteranceModel(fit_lines(training_examples([line for line in lines if folds[line.source] != fold])))
        results.extend((line, model.probabilities(line.text).top) for line in lines if folds[line.source] == fold)
    return results


def truly_unseen(lines: Sequence[Line], development: Sequence[Line]) -> list[Line]:
    """Mined lines from a source the development corpus lacks, in words it does not hold."""
    sources = {line.source for line in development}

    def said(text: str) -> str:
        return " ".join(words(normalise(text)))

    texts = {said(line.text) for line in development}
    return [line for line in lines if not line.composed and line.source not in sources and said(line.text) not in texts]


def shipped_labels(lines: Sequence[Line]) -> list[tuple[Line, Label]]:
    from hold_agent.core.detection.model import shipped

    model = shipped()
    return [(line, model.probabilities(line.text).top) for line in lines]


def print_confusion(results: Sequence[tuple[Line, Label]], out: Out, verbose: bool) -> None:
    counts = Counter((line.label, guess) for line, guess in results)
    out("truth \\ said " + "".join(f"{label.value:>10}" for label in LABELS))
    for truth in LABELS:
        out(f"{truth.value:<13}" + "".join(f"{counts[(truth, guess)]:>10}" for guess in LABELS))
    out(f"{'label':<10} {'n':>5} {'precision':>10} {'recall':>8}")
    for label in LABELS:
        tp = counts[(label, label)]
        said = sum(counts[(truth, label)] for truth in LABELS)
        n = sum(counts[(label, guess)] for guess in LABELS)
        out(f"{label.value:<10} {n:>5} {tp / said if said else 1:>10.1%} {tp / n if n else 1:>8.1%}")
    right = sum(counts[(label, label)] for label in LABELS)
    out(f"accuracy {right / max(1, len(results)):.1%} of {len(results)}")
    by_source: dict[str, list[bool]] = defaultdict(list)
    for line, guess in results:
        by_source[line.source].append(line.label is guess)
    out("per source (accuracy, n):")
    for source, hits in sorted(by_source.items(), key=lambda item: sum(item[1]) / len(item[1])):
        out(f"  {source:<40} {sum(hits) / len(hits):>6.1%} {len(hits):>5}")
    if verbose:
        for line, guess in results:
            if line.label is not guess:
                out(f"    [{line.label.value}->{guess.value}] ({line.source}) {line.text}")


def fresh_session(start: str) -> CallSession:
    base: dict[str, Any] = {
        "session_id": "eval",
        "call_control_id": "v3:eval",
        "to": "+15551234567",
        "target_company": "Corpus Co",
        "objective": "evaluate detection",
        "created_at": T0 - timedelta(minutes=1),
        "updated_at": T0,
        "answered_at": T0 - timedelta(seconds=30),
        "transcribing": True,
        "state": CallState(start),
    }
    if start == "hold":
        base.update(hold_started_at=T0, hold_count=1)
    elif start == "ivr":
        base.update(assistant="ivr")
    else:
        base.update(assistant="representative", representative_at=T0 - timedelta(seconds=20))
    return CallSession(**base)


def in_context(line: Line, start: str) -> tuple[str, str | None]:
    """(state, outcome) after this line alone, in a fresh call in `start`."""
    at = T0 + timedelta(seconds=5)
    session = machine.step(
        fresh_session(start), TranscriptHeard(text=line.text, is_final=True, confidence=0.9, at=at), at
    ).session
    return session.state.value, session.outcome


@dataclass
class Rate:
    hits: int = 0
    n: int = 0

    def add(self, hit: bool) -> None:
        self.hits += hit
        self.n += 1

    def __str__(self) -> str:
        return f"{self.hits / self.n if self.n else 0:.1%} ({self.hits} of {self.n})"


def context_figures(lines: Sequence[Line], model_for: ModelFor = None) -> dict[str, Rate]:
    figures = {name: Rate() for name in CONTEXT_TARGETS}
    for line in lines:
        with judged_by(model_for, line.source):
            on_hold = in_context(line, "hold")
            in_menu = in_context(line, "ivr")
        if line.label is Label.HUMAN:
            figures["person on hold -> representative"].add(on_hold[0] == "representative")
            figures["person answering in the menu -> representative"].add(in_menu[0] == "representative")
        else:
            figures["non-person line on hold taken for a person"].add(on_hold[0] == "representative")
            figures["non-person line in the menu taken for a person"].add(in_menu[0] == "representative")
        if line.label is Label.HOLD:
            figures["hold language in the menu -> hold"].add(in_menu[0] == "hold")
        if line.label is Label.IVR:
            figures["menu prompt taken for hold"].add(in_menu[0] == "hold")
        if line.label in (Label.VOICEMAIL, Label.CLOSED):
            for state, outcome in (on_hold, in_menu):
                figures["voicemail/closed -> ended with that outcome"].add(
                    state == "ended" and outcome == line.label.value
                )
        else:
            for state, _ in (on_hold, in_menu):
                figures["any other line -> hung up as voicemail/closed"].add(state == "ended")
    return figures


# (figure, target, higher is better)
CONTEXT_TARGETS: dict[str, tuple[float, bool]] = {
    "person on hold -> representative": (0.95, True),
    "person answering in the menu -> representative": (0.90, True),
    "hold language in the menu -> hold": (0.90, True),
    "menu prompt taken for hold": (0.03, False),
    "voicemail/closed -> ended with that outcome": (0.90, True),
    "non-person line on hold taken for a person": (0.02, False),
    "non-person line in the menu taken for a person": (0.02, False),
    "any other line -> hung up as voicemail/closed": (0.01, False),
}


# --- streams and whole calls -----------------------------------------------------------------


@dataclass(frozen=True)
class StreamResult:
    stream: Stream
    states: tuple[str, ...]  # the state after each event
    outcome: str | None

    @property
    def pickup_at(self) -> int | None:
        """The event at which the call entered the representative stage from hold or the menu."""
        previous = self.stream.start
        for index, state in enumerate(self.states):
            if state == "representative" and previous != "representative":
                return index
            previous = state
        return None

    @property
    def false_pickup(self) -> bool:
        pickup, person = self.pickup_at, self.stream.pickup_index
        return pickup is not None and (person is None or pickup < person)

    @property
    def left_representative_at(self) -> int | None:
        """Streams that start with a person: the event at which the call first left the
        representative stage (they put us on hold, transferred us), or None if it never did."""
        for index, state in enumerate(self.states):
            if state != "representative":
                return index
        return None

    def _person_final_after(self, index: int) -> int | None:
        for later in range(index + 1, len(self.stream.events)):
            event = self.stream.events[later]
            if event.final and event.speaker == "person":
                return later
        return None

    @property
    def on_first_final(self) -> bool:
        """The call was with the person by the end of their first final line: on hold or in
        the menu, a pickup no later than that line and no false one before it. A stream that
        starts with a person asks the same of the person's return after the call left them
        (their own hold, a transfer); if it never left them, nothing had to restart."""
        if self.stream.start == "representative":
            left = self.left_representative_at
            if left is None:
                return True
            back = self._person_final_after(left)
            if back is None:
                return self.final_state == "representative"
            between = self.states[left:back]
            return self.states[back] == "representative" and "representative" not in between
        first = self.stream.first_person_final
        pickup = self.pickup_at
        return pickup is not None and first is not None and not self.false_pickup and pickup <= first

    @property
    def missed(self) -> bool:
        """A person spoke (or came back) and the call never reached them."""
        if self.stream.start == "representative":
            left = self.left_representative_at
            return left is not None and "representative" not in self.states[left:]
        return self.stream.pickup_index is not None and self.pickup_at is None

    @property
    def final_state(self) -> str:
        return self.states[-1] if self.states else self.stream.start

    @property
    def ended_as_expected(self) -> bool:
        expect = self.stream.expect
        if expect in ("voicemail", "closed"):
            return self.final_state == "ended" and self.outcome == expect
        return self.final_state == expect

    @property
    def every_step_right(self) -> bool:
        """Whole calls: after every final the call is where the writer expected; an interim
        may be where the previous final left it or where its own final will."""
        previous = "ivr"
        for event, state in zip(self.stream.events, self.states, strict=True):
            expected = _as_state(event.expect) if event.expect else None
            if event.final and expected is not None:
                if state != expected:
                    return False
                previous = expected
            elif not event.final and state not in (previous, _next_expect(self.stream, event)):
                return False
        return self.ended_as_expected or self.stream.expect in ("representative", "hold", "ivr")


def _as_state(expect: str) -> str:
    return "ended" if expect in ("voicemail", "closed", "ended") else expect


def _next_expect(stream: Stream, event: Any) -> str | None:
    index = stream.events.index(event)
    for later in stream.events[index:]:
        if later.final and later.expect:
            return _as_state(later.expect)
    return None


def replay(stream: Stream, model_for: ModelFor = None) -> StreamResult:
    """The stream through the state machine alone."""
    session = fresh_session(stream.start)
    states = []
    with judged_by(model_for, stream.source):
        for event in stream.events:
            at = T0 + timedelta(seconds=event.t)
            heard = TranscriptHeard(text=event.text, is_final=event.final, confidence=event.confidence, at=at)
            session = machine.step(session, heard, at).session
            states.append(session.state.value)
    return StreamResult(stream, tuple(states), session.outcome)


def replay_through_service(streams: Sequence[Stream]) -> list[StreamResult]:
    """The same streams, as webhooks to `python app.py` in dry-run."""
    import httpx

    from tests.support.servers import AppProcess

    env = {
        "MAX_CONCURRENT_CALLS": "100000",
        "MAX_CALLS_PER_MINUTE": "100000",
        "MAX_IVR_SECONDS": "0",
        "MAX_HOLD_SECONDS": "0",
        "MAX_CALL_SECONDS": "0",
    }
    with AppProcess(env) as agent, httpx.Client(base_url=agent.url, timeout=30) as client:
        return [_replay_one(client, stream, datetime.now(UTC) + timedelta(hours=n)) for n, stream in enumerate(streams)]


def _replay_one(client: Any, stream: Stream, base: datetime) -> StreamResult:
    created = client.post(
        "/calls/outbound", json={"to": "+15551234567", "objective": "evaluate detection", "target_company": "Corpus Co"}
    ).json()
    call = created["call_control_id"]

    def webhook(event_type: str, at: datetime, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        data = {
            "event_type": event_type,
            "id": f"{call}-{at.isoformat()}-{event_type}",
            "occurred_at": at.isoformat().replace("+00:00", "Z"),
            "payload": {"call_control_id": call, **(payload or {})},
        }
        response = client.post("/webhooks/telnyx", json={"data": data})
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    webhook("call.answered", base - timedelta(seconds=30))
    if stream.start == "hold":
        webhook("call.hold", base)
    if stream.start == "representative":
        webhook("call.hold", base - timedelta(seconds=20))
        webhook("call.unhold", base - timedelta(seconds=10))
    states = []
    for index, event in enumerate(stream.events):
        at = base + timedelta(seconds=event.t, microseconds=index)
        data: dict[str, Any] = {"transcript": event.text, "is_final": event.final, "transcription_track": "inbound"}
        if event.confidence is not None:
            data["confidence"] = event.confidence
        answer = webhook("call.transcription", at, {"transcription_data": data})
        states.append(str(answer.get("state", "ended")))
    session = client.get(created["session_url"]).json()
    if session["state"] != "ended":
        client.post("/tools/end-call", json={"call_control_id": call, "reason": "evaluation done"})
    return StreamResult(stream, tuple(states), session["outcome"])


def stream_figures(results: Sequence[StreamResult]) -> dict[str, Rate]:
    figures = {name: Rate() for name in STREAM_TARGETS}
    for result in results:
        stream = result.stream
        if stream.whole_call:
            figures["whole calls right at every step"].add(result.every_step_right)
            continue
        if stream.start == "hold":
            figures["hold streams with a false pickup"].add(result.false_pickup)
        if stream.start == "ivr":
            figures["menu streams with a false pickup"].add(result.false_pickup)
        if stream.pickup_index is not None and stream.expect == "representative":
            figures["person's first final utterance"].add(result.on_first_final)
            figures["a person spoke and was never noticed"].add(result.missed)
        figures["ended where expected"].add(result.ended_as_expected)
        if stream.expect not in ("voicemail", "closed"):
            figures["hung up on a call that was not a dead end"].add(result.final_state == "ended")
    return figures


STREAM_TARGETS: dict[str, tuple[float, bool]] = {
    "hold streams with a false pickup": (0.02, False),
    "menu streams with a false pickup": (0.02, False),
    "person's first final utterance": (0.95, True),
    "a person spoke and was never noticed": (0.0, False),
    "ended where expected": (0.90, True),
    "hung up on a call that was not a dead end": (0.01, False),
    "whole calls right at every step": (0.90, True),
}


def print_figures(figures: dict[str, Rate], targets: dict[str, tuple[float, bool]], out: Out) -> None:
    for name, rate in figures.items():
        target, higher = targets[name]
        value = rate.hits / rate.n if rate.n else 0.0
        met = value >= target if higher else value <= target
        out(
            f"  {name:<50} {rate!s:<22} target {'>=' if higher else '<='} {target:.0%} {'' if met or not rate.n else 'MISSED'}"
        )


def print_stream_misses(results: Sequence[StreamResult], out: Out) -> None:
    for result in results:
        stream = result.stream
        late = stream.expect == "representative" and stream.pickup_index is not None and not result.on_first_final
        wrong = not (result.every_step_right if stream.whole_call else result.ended_as_expected)
        if result.false_pickup or late or wrong:
            flag = "FALSE" if result.false_pickup else "late" if late else "wrong"
            out(
                f"    {flag:<5} {stream.name}: pickup_at={result.pickup_at} person={stream.pickup_index} "
                f"first_final={stream.first_person_final} end={result.final_state}/{result.outcome} expect={stream.expect}"
            )


# --- report --------------------------------------------------------------------------------


def report(
    *,
    holdout: bool,
    service: bool,
    cv: bool,
    verbose: bool,
    out_of_fold: bool = False,
    part: str = "*",
    out: Out = print,
) -> dict[str, Any]:
    lines = load_lines(holdout=holdout, part=part)
    streams = load_streams(holdout=holdout, part=part)
    name = ("held-out" if part == "*" else f"held-out part {part}") if holdout else "development"
    out(
        f"== {name} corpus: {len(lines)} lines from {len({line.source for line in lines})} sources, "
        f"{sum(not s.whole_call for s in streams)} streams, {sum(s.whole_call for s in streams)} whole calls"
    )
    if holdout:
        out("-- lines, the shipped model (it never saw this part)")
        print_confusion(shipped_labels(lines), out, verbose)
        unseen = truly_unseen(lines, load_lines())
        out(
            f"-- of them, the {len(unseen)} mined lines whose source and words the development corpus does not"
            " hold (writers mine the same public pages: the honest measure of generalisation)"
        )
        if unseen:
            print_confusion(shipped_labels(unseen), out, verbose)
    elif cv:
        out("-- lines, grouped cross-validation (each source scored by a model trained without it)")
        print_confusion(cross_validated(lines), out, verbose)
    model_for = out_of_fold_models() if out_of_fold and not holdout else None
    how = ", each source judged by the fold model that never saw it" if model_for else ""
    context = context_figures(lines, model_for)
    out(f"-- lines in context, through the state machine{how}")
    print_figures(context, CONTEXT_TARGETS, out)
    figures: dict[str, Any] = {"context": context}
    runs: list[tuple[str, list[StreamResult]]] = [
        (f"state machine{how}", [replay(stream, model_for) for stream in streams])
    ]
    if service:
        runs.append(("running service", replay_through_service(streams)))
    for name, results in runs:
        out(f"-- streams and whole calls through the {name}")
        stream_figs = stream_figures(results)
        print_figures(stream_figs, STREAM_TARGETS, out)
        figures[name] = stream_figs
        if verbose:
            print_stream_misses(results, out)
    return figures


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--holdout", action="store_true", help="score the held-out part (never tune on it)")
    parser.add_argument("--part", default="*", help="with --holdout: one writer's part (a, b, ...)")
    parser.add_argument("--no-service", action="store_true", help="replay streams through the state machine only")
    parser.add_argument("--no-cv", action="store_true", help="skip the grouped cross-validation of lines")
    parser.add_argument(
        "--out-of-fold",
        action="store_true",
        help="development figures with each source judged by a model that never saw it",
    )
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(list(argv) if argv is not None else None)
    report(
        holdout=args.holdout,
        service=not args.no_service,
        cv=not args.no_cv,
        verbose=args.verbose,
        out_of_fold=args.out_of_fold,
        part=args.part,
    )


if __name__ == "__main__":
    main()
