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


def test_now_and_then_a_caller_leaves_a_fault_message_and_hangs_up_after_speaking():
    """4 at the main menu is 故障报修留言: the IVR records until the caller hangs up, so a message
    leaver stays MESSAGE_SECONDS, not a queued caller's patience (up to 90 s of message)."""
    from hotline.simulator import LEAVES_A_MESSAGE, MESSAGE_SECONDS

    sim = CallerSimulator(None, ["13800000001"], rng=random.Random(5))  # type: ignore[arg-type]
    calls = [sim.next_call() for _ in range(1000)]
    pressed = [dict(v.split("=", 1) for v in c["Variable"].split(","))["SIM_DTMF"] for c in calls]
    messages = [c for c, keys in zip(calls, pressed, strict=True) if keys == LEAVES_A_MESSAGE]
    assert 20 <= len(messages) <= 90  # about one in twenty
    assert all(MESSAGE_SECONDS[0] <= int(c["Exten"]) <= MESSAGE_SECONDS[1] for c in messages)


def test_a_simulated_fax_calls_the_fax_line_with_a_page_asterisk_can_read(tmp_path):
    from recordings import RecordingStore

    store = RecordingStore(tmp_path)
    sim = CallerSimulator(
        None,  # type: ignore[arg-type]
        ["13800000001"],
        unknown_share=0.0,
        faxes_per_hour=4,
        recordings=store,
        variables={"HOTLINE_AGI": "agi://127.0.0.1:4573"},
        rng=random.Random(1),
    )
    page = sim.fax_page()
    assert store.host_path(page).is_file() and store.host_path(page).read_bytes()[:2] in (b"II", b"MM")
    fax = sim.next_fax(page)
    variables = dict(v.split("=", 1) for v in fax["Variable"].split(","))
    assert (fax["Channel"], fax["Context"], fax["Exten"]) == (
        "Local/95598009@hotline-inbound/n",
        "hotline-fax-send",
        "s",
    )
    assert variables["FAXFILE"] == page and variables["FAXID"].startswith("sim-")
    assert variables["HOTLINE_AGI"] == "agi://127.0.0.1:4573"
    assert fax["CallerID"] == '"" <13800000001>'
    assert sim.fax_interval == 900.0
    with pytest.raises(ValueError, match="recordings"):
        CallerSimulator(None, [], faxes_per_hour=1)  # type: ignore[arg-type]
