"""A web process's mirror names the same agent for a call as the bridge does, through a
consultation (cancelled or completed) and a blind transfer: fed the very events the model
published at each step."""

from __future__ import annotations

from cti.mirror import BridgeMirror
from tests.cti.test_calls import AGENT_2_CH, AGENT_CH, CALLER_2, LINKED, World, _answered_by_2001

DIALING_1 = "Local/2002@hotline-transfer-00000009;1"
DIALING_2 = "Local/2002@hotline-transfer-00000009;2"


def agree(w: World) -> tuple[str, bool]:
    """The mirror's (agent, on hold) of the call, checked against the model's."""
    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    for event in w.events:
        mirror.apply(event)
    (call,) = [c for c in mirror.calls() if c["call_id"] == LINKED]
    model = w.model.calls[LINKED]
    assert (call["agent_id"], call["on_hold"]) == (model.agent_id, bool(model.hold_started))
    return call["agent_id"], call["on_hold"]


def _consult(w: World) -> None:
    _answered_by_2001(w)
    w.feed("Hold", 15.0, Channel=AGENT_CH)
    w.feed("BridgeLeave", 15.0, Channel=AGENT_CH, BridgeUniqueid="b1")
    w.feed("Newchannel", 15.0, Channel=DIALING_1, Uniqueid="1700000000.5", Context="hotline-transfer")
    w.feed("Newchannel", 15.0, Channel=DIALING_2, Uniqueid="1700000000.6", Context="hotline-transfer")
    w.feed("BridgeEnter", 15.1, Channel=AGENT_CH, BridgeUniqueid="c1")
    w.feed("BridgeEnter", 15.1, Channel=DIALING_1, BridgeUniqueid="c1")
    w.feed("Newchannel", 15.2, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("BridgeEnter", 16.0, Channel=AGENT_2_CH, BridgeUniqueid="c2")
    w.feed("BridgeEnter", 16.0, Channel=DIALING_2, BridgeUniqueid="c2")


def test_while_consulting_and_after_a_cancel_the_call_stays_with_the_agent_who_consulted():
    w = World()
    _consult(w)
    assert agree(w) == ("2001", True)
    for channel, uid in (
        (AGENT_2_CH, "1700000000.4"),
        (DIALING_2, "1700000000.6"),
        (DIALING_1, "1700000000.5"),
    ):
        w.hangup(channel, uid, 18.0)
    w.feed("Unhold", 18.1, Channel=AGENT_CH)
    w.feed("BridgeEnter", 18.1, Channel=AGENT_CH, BridgeUniqueid="b1")
    assert agree(w) == ("2001", False)


def test_a_completed_consultation_hands_the_call_to_the_agent_consulted():
    w = World()
    _consult(w)
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
