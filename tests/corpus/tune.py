"""Choose the machine's thresholds by the cost of each mistake, on the development corpus.

    .venv/bin/python -m tests.corpus.tune

Every line and stream is judged by the fold model that never saw its source (a model is surer
on its own training data than it will be on a new company's). Each threshold is moved in turn
over a grid, the others held, and the cheapest kept. The costs are in COSTS, with why. Never run
this on the held-out parts: their figures would stop being honest.
"""

from __future__ import annotations

import itertools
import multiprocessing

from hold_agent.core import machine
from hold_agent.learning.corpus import load_lines, load_streams
from tests.corpus.evaluate import ModelFor, context_figures, out_of_fold_models, replay, stream_figures

# What each mistake costs, per share of its kind. A person who is missed, or a call hung up that
# was not a dead end, cannot be recovered: the person hangs up, the task is lost. A false pickup
# can: the assistant greets a recording, and the call goes back to hold when the queue speaks
# again. A person noticed a line late is the unit.
COSTS = {
    "hold streams with a false pickup": 2.0,
    "menu streams with a false pickup": 2.0,
    "person's first final utterance": -1.0,  # a reward: the on-time share
    "a person spoke and was never noticed": 5.0,
    "ended where expected": -1.0,
    "whole calls right at every step": -1.0,
    "person on hold -> representative": -2.0,
    "person answering in the menu -> representative": -2.0,
    "hold language in the menu -> hold": -1.0,
    "menu prompt taken for hold": 2.0,
    "voicemail/closed -> ended with that outcome": -1.0,
    "non-person line on hold taken for a person": 2.0,
    "non-person line in the menu taken for a person": 2.0,
    "any other line -> hung up as voicemail/closed": 5.0,
    "hung up on a call that was not a dead end": 5.0,
}
PASSES = 1
GRID = {
    "PERSON_ON_HOLD": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
    "PERSON_BACK": (0.2, 0.3, 0.4, 0.5, 0.6),
    "PERSON_IN_MENU": (0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    "NOBODY_IN_MENU": (0.5, 0.6, 0.7, 0.8, 0.9),
    "NOBODY_ON_HOLD": (0.7, 0.8, 0.9, 0.95),
    "HOLD_IN_MENU": (0.4, 0.5, 0.6, 0.7),
    "MENU_AFTER_HOLD": (0.4, 0.5, 0.6, 0.7, 0.8),
    "FALSE_ALARM_HOLD": (0.2, 0.3, 0.4, 0.6),
    "HOLD_WITH_PERSON": (0.3, 0.4, 0.5, 0.6),
    "PERSON_SPOKE": (0.2, 0.3, 0.5),
}


MODEL_FOR: ModelFor = None  # set in main(): the fold models, shared with the worker processes


def cost(settings: dict[str, float] | None = None) -> float:
    for name, value in (settings or {}).items():
        setattr(machine, name, value)
    lines, streams = load_lines(), load_streams()
    figures = {
        **context_figures(lines, MODEL_FOR),
        **stream_figures([replay(stream, MODEL_FOR) for stream in streams]),
    }
    return sum(COSTS[name] * (rate.hits / rate.n if rate.n else 0.0) for name, rate in figures.items())


def main() -> None:
    global MODEL_FOR
    # Thresholds are chosen on probabilities the model gives sources it never saw: on its own
    # training data it is surer than it will be on a new company's lines.
    MODEL_FOR = out_of_fold_models()
    chosen = {name: getattr(machine, name) for name in GRID}
    best = cost(chosen)
    print(f"start: cost {best:.4f} with {chosen}", flush=True)
    # Each candidate value in its own process (the machine has two cores).
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for _, name in itertools.product(range(PASSES), GRID):
            trials = [chosen | {name: value} for value in GRID[name] if value != chosen[name]]
            for trial, trial_cost in zip(trials, pool.map(cost, trials), strict=True):
                if trial_cost < best - 1e-9:
                    best, chosen = trial_cost, trial
            print(f"{name} = {chosen[name]}: cost {best:.4f}", flush=True)
    print("chosen:", chosen)


if __name__ == "__main__":
    main()
