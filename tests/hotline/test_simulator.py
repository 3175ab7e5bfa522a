"""The demo's simulated callers: what each one presses (the calls themselves: tests/integration/test_demo_callers.py)."""

from __future__ import annotations

import random

import pytest

from hotline.simulator import CallerSimulator


def test_most_simulated_callers_ask_for_an_agent_and_every_call_says_what_it_presses():
    sim = CallerSimulator(None, ["13800000001"], rng=random.Random(3))  # type: ignore[arg-type]
    calls = [sim.next_call() for _ in range(1000)]
    assert {c["Context"] for c in calls} == {"hotline-sim-dtmf-caller"}
    pressed = [dict(v.split("=", 1) for v in c["Variable"].split(","))["SIM_DTMF"] for c in calls]
    queued = sum(keys in ("0", "6ww1", "5") for keys in pressed)
    assert 700 <= queued <= 900  # eight in ten press their way to a queue
    assert 50 <= pressed.count("") <= 150  # and about one in ten only listen


def test_intents_must_weigh_something():
    with pytest.raises(ValueError, match="positive weight"):
        CallerSimulator(None, [], intents=[("0", 0)])  # type: ignore[arg-type]
