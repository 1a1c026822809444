"""How long does detection take? Targets: per line, p99 well under a millisecond; per call,
a few tenths of a millisecond.

Three figures, each the mean and 99th percentile over every corpus line or stream event:
- a line never seen before (the utterance model's cache cleared first): features, weights, softmax;
- the same line again (a queue's loop: the model's answer comes from its cache);
- every event of every stream with the call's memory growing as in a real call (repeats are
  compared against up to 40 remembered lines), and the total per stream (one call's worth).

    .venv/bin/python -m tests.benchmarks.detection_speed
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from hold_agent.core.detection import judge, remember
from hold_agent.core.detection.memory import DetectorMemory
from hold_agent.core.detection.model import shipped
from hold_agent.learning.corpus import load_lines, load_streams

ROUNDS = 3


def summary(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return (
        f"{label:<34} n={len(ordered):<7} mean={statistics.mean(ordered) * 1e6:7.1f} µs  "
        f"p99={p99 * 1e6:7.1f} µs  max={ordered[-1] * 1e6:8.1f} µs"
    )


def main() -> None:
    model = shipped()
    lines = [line.text for line in load_lines()]
    unseen: list[float] = []
    cached: list[float] = []
    for _ in range(ROUNDS):
        model.probabilities.cache_clear()
        for text in lines:
            started = time.perf_counter()
            judge(text, confidence=0.9)
            unseen.append(time.perf_counter() - started)
        for text in lines:
            started = time.perf_counter()
            judge(text, confidence=0.9)
            cached.append(time.perf_counter() - started)
    events: list[float] = []
    per_call: list[float] = []
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    streams = load_streams()
    for _ in range(ROUNDS):
        model.probabilities.cache_clear()
        for stream in streams:
            memory = DetectorMemory()
            call_started = time.perf_counter()
            for event in stream.events:
                at = t0 + timedelta(seconds=event.t)
                started = time.perf_counter()
                judgement = judge(event.text, is_final=event.final, confidence=event.confidence, at=at, memory=memory)
                if event.final:
                    memory = remember(memory, event.text, judgement, at)
                events.append(time.perf_counter() - started)
            per_call.append(time.perf_counter() - call_started)
    print(summary("a line never seen before", unseen))
    print(summary("the same line again (cached)", cached))
    print(summary("stream events with memory", events))
    print(summary("a whole stream (one call's worth)", per_call))
    print(f"mean events per stream: {len(events) / len(per_call):.1f}")


if __name__ == "__main__":
    main()
