"""How fast are webhooks answered when the Telnyx API is slow?

Runs `python app.py` in live mode twice against the local Telnyx stand-in: once with a fast
API, once with every API request taking `--api-latency` seconds. Each run places calls and
drives them with signed webhooks (answer, hold, a stream of transcripts, unhold), timing
every webhook answer from the client's side. A webhook must never wait on a Telnyx round
trip, so the two runs should look alike; the ratio between them is the figure to watch.

    .venv/bin/python -m tests.benchmarks.webhook_latency [--calls 5] [--transcripts 40] [--api-latency 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

from fake_company.telnyx_api import Faults
from tests.support.live import LiveAgent

HOLD_LINES = [
    "Thank you for holding. All of our agents are still assisting other callers.",
    "Your call is important to us. Please stay on the line.",
]


def drive(live: LiveAgent, calls: int, transcripts: int) -> list[float]:
    timings: list[float] = []

    def timed(send: object) -> None:
        started = time.perf_counter()
        response = send()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text

    placed = [live.place_call()["call_control_id"] for _ in range(calls)]
    for call in placed:
        timed(lambda call=call: live.webhook("call.answered", call))
        timed(lambda call=call: live.webhook("call.hold", call))
        for index in range(transcripts):
            text = HOLD_LINES[index % len(HOLD_LINES)]
            timed(lambda call=call, text=text, index=index: live.transcript(call, text, is_final=index % 3 == 2))
        timed(lambda call=call: live.webhook("call.unhold", call))
    return timings


def summary(label: str, timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    figures = {
        "n": len(ordered),
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "max_ms": ordered[-1] * 1000,
    }
    print(
        f"{label:<28} n={figures['n']:<5} p50={figures['p50_ms']:7.2f} ms  "
        f"p95={figures['p95_ms']:7.2f} ms  max={figures['max_ms']:7.2f} ms"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--transcripts", type=int, default=40, help="transcription webhooks per call")
    parser.add_argument("--api-latency", type=float, default=2.0, help="seconds every slow API request takes")
    args = parser.parse_args()

    env = {"COMMAND_ATTEMPT_TIMEOUT_SECONDS": str(args.api_latency + 1), "MAX_CALLS_PER_MINUTE": "1000"}
    results = {}
    for label, faults in (
        ("fast API", Faults()),
        (f"API answering in {args.api_latency:g} s", Faults(latency_seconds=args.api_latency)),
    ):
        with LiveAgent(faults, env) as live:
            results[label] = summary(label, drive(live, args.calls, args.transcripts))
    fast, slow = results.values()
    print(f"slow/fast ratio: p50 x{slow['p50_ms'] / fast['p50_ms']:.2f}, p95 x{slow['p95_ms'] / fast['p95_ms']:.2f}")
    print(f"(each slow API request took {args.api_latency * 1000:.0f} ms; a webhook that waited for one would show it)")


if __name__ == "__main__":
    main()
