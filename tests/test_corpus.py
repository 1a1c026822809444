"""Detection measured on the labelled corpus (tests/corpus/), against the issue's targets.

Every split was written independently of the detector. dev2..dev9 were each a held-out set
once: evaluated a single time before anyone tuned on them (those first-run figures, the
honest ones, are in tests/corpus/HISTORY.md), then used for tuning. A new held-out round
goes in `holdout_*` files; `python -m tests.corpus.evaluate --split holdout` scores it.

Targets: false pickups on at most 2% of streams; the representative assistant started on
the person's first final utterance in at least 95% of streams where a person answers; IVR
prompts taken for hold at most 3%; voicemail and closed recognised at least 90%.
The first-final target is not met on every split, and the floors below are what is measured
(rounded down), so a regression still fails. Where and why it falls short:
- dev, dev2 carry no transcriber confidence, so a lone "Hello?" right after music is held
  back a few words (the cautious rule).
- dev5, dev8, dev9: a representative back from their own hold who says only "Thank you for
  holding." is taken on their next line, because companies play that very line from the
  queue system inside a personal hold too (a false pickup costs more than one line's delay);
  and a person answering the IVR with just "Acme, this is Rob." is taken at their next line,
  because that is also how a voicemail greeting begins.
"""

from __future__ import annotations

import pytest

from tests.corpus.evaluate import (
    EXPECTS,
    LABELS,
    STARTS,
    classify,
    line_metrics,
    load,
    replay,
    replay_through_service,
    stream_metrics,
)

FIRST_FINAL_FLOOR = {
    "dev": 0.85,
    "dev2": 0.80,
    "dev3": 0.95,
    "dev4": 0.95,
    "dev5": 0.85,
    "dev6": 0.95,
    "dev7": 0.95,
    "dev8": 0.90,
    "dev9": 0.90,
}
SPLITS = tuple(FIRST_FINAL_FLOOR)


@pytest.mark.parametrize("split", SPLITS)
def test_the_corpus_is_well_formed(split: str) -> None:
    lines, streams = load(split)
    assert lines and streams
    assert {line.label for line in lines} <= set(LABELS)
    for stream in streams:
        assert stream.start in STARTS and stream.expect in EXPECTS, stream.name
        times = [event["t"] for event in stream.events]
        assert times == sorted(times), stream.name
        if stream.pickup_index is not None:
            assert stream.events[stream.pickup_index]["speaker"] == "person", stream.name
            assert stream.first_person_final is not None, stream.name


def test_the_corpus_is_large_enough() -> None:
    lines, streams = load("all")
    assert len(lines) >= 300
    assert len(streams) >= 40


@pytest.mark.parametrize("split", SPLITS)
def test_targets(split: str) -> None:
    lines, streams = load(split)
    table = line_metrics(classify(lines)[0])
    assert table["ivr_taken_for_hold"]["rate"] <= 0.03
    assert table["voicemail_or_closed_recognised"]["rate"] >= 0.90
    results = [replay(stream) for stream in streams]
    metrics = stream_metrics(results)
    assert metrics["false_pickup_rate"] <= 0.02, [r.stream.name for r in results if r.false_pickup]
    assert metrics["on_first_final_rate"] >= FIRST_FINAL_FLOOR[split], [
        r.stream.name for r in results if r.stream.expect == "representative" and not r.on_first_final
    ]
    ended = [r for r in results if r.stream.expect in ("voicemail", "closed")]
    assert sum(r.ended_as_expected for r in ended) >= 0.9 * len(ended)


def test_the_running_service_decides_as_the_machine_does() -> None:
    """The newest split's streams as Telnyx webhooks to `python app.py` (dry-run): same decisions."""
    _, streams = load(SPLITS[-1])
    through_service = replay_through_service(streams)
    for result in through_service:
        alone = replay(result.stream)
        assert (result.pickup_at, result.final_state, result.outcome) == (
            alone.pickup_at,
            alone.final_state,
            alone.outcome,
        ), result.stream.name
