"""A web process's mirror names the same agent for a call as the bridge does, through a
consultation (cancelled or completed) and a blind transfer: fed the very events the model
published at each step."""

from __future__ import annotations

from cti.mirror import BridgeMirror
from tests.cti.test_calls import (
    AGENT_2_CH,
    AGENT_CH,
    CALLER_2,
    DIALING_1,
    LINKED,
    World,
    _answered_by_2001,
    _cancelled_at_18,
    _consulting_2002,
)


def agree(w: World) -> tuple[str, bool]:
    """The mirror's (agent, on hold) of the call, checked against the model's."""
    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    for event in w.events:
        mirror.apply(event)
    (call,) = [c for c in mirror.calls() if c["call_id"] == LINKED]
    model = w.model.calls[LINKED]
    assert (call["agent_id"], call["on_hold"]) == (model.agent_id, bool(model.hold_started))
    return call["agent_id"], call["on_hold"]


def test_while_consulting_and_after_a_cancel_the_call_stays_with_the_agent_who_consulted():
    w = World()
    _consulting_2002(w)
    assert agree(w) == ("2001", True)
    _cancelled_at_18(w)
    assert agree(w) == ("2001", False)


def test_a_completed_consultation_hands_the_call_to_the_agent_consulted():
    w = World()
    _consulting_2002(w)
    w.hangup(AGENT_CH, "1700000000.3", 20.0)
    w.feed("BridgeEnter", 20.0, Channel=DIALING_1, BridgeUniqueid="b1")
    assert agree(w) == ("2002", False)


def test_after_a_blind_transfer_the_target_has_the_call_once_it_answers():
    w = World()
    _answered_by_2001(w)
    w.feed("BridgeLeave", 15.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.hangup(AGENT_CH, "1700000000.3", 15.5)
    assert agree(w) == ("2001", False)  # the caller waits for the target
    w.feed("Newchannel", 15.6, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("BridgeEnter", 17.0, Channel=AGENT_2_CH, BridgeUniqueid="b2")
    w.feed("BridgeEnter", 17.0, Channel=CALLER_2, BridgeUniqueid="b2")
    assert agree(w) == ("2002", False)
