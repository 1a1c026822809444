"""How long does detection take per transcript? The target is "well under a millisecond".

Judges every line of the corpus, and every event of every stream with the call's memory
growing as it would in a real call (up to the 40 remembered lines that repetition checks
compare against), and prints the mean and the 99th percentile.

    .venv/bin/python -m tests.benchmarks.detection_speed
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from hold_agent import detection
from hold_agent.session import CallState, DetectorMemory
from tests.corpus.evaluate import load

ROUNDS = 5


def main() -> None:
    lines, streams = load("all")
    line_times: list[float] = []
    for _ in range(ROUNDS):
        for line in lines:
            started = time.perf_counter()
            detection.judge(line.text, CallState.HOLD)
            line_times.append(time.perf_counter() - started)
    event_times: list[float] = []
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(ROUNDS):
        for stream in streams:
            memory = DetectorMemory()
            for event in stream.events:
                at = t0 + timedelta(seconds=float(event["t"]))
                started = time.perf_counter()
                judgement = detection.judge(
                    event["text"], CallState.HOLD, is_final=event["final"], at=at, memory=memory,
                    confidence=event.get("confidence"),
                )
                if event["final"]:
                    memory = detection.remember(memory, event["text"], judgement, at)
                event_times.append(time.perf_counter() - started)
    for label, times in (("single lines", line_times), ("stream events with memory", event_times)):
        ordered = sorted(times)
        p99 = ordered[int(0.99 * (len(ordered) - 1))]
        print(
            f"{label:<28} n={len(ordered):<6} mean={statistics.mean(ordered) * 1e6:7.1f} µs  "
            f"p99={p99 * 1e6:7.1f} µs  max={ordered[-1] * 1e6:7.1f} µs"
        )


if __name__ == "__main__":
    main()
