"""A call that came over the trunk from another Asterisk server (``CallModel.relayed``), on
synthetic AMI frames: the seat it rings pops the call's own id and customer, its answer and leg
are that call's, and its end adds legs to the other server's record instead of a record of its own."""

from __future__ import annotations

import pytest

from cti.agents import AgentBook
from cti.ami.protocol import Frame
from cti.call_events import CallAnswered, CallEnded, CallOffered, CallStarted
from cti.calls import CallModel
from cti.queues import QueueBoard

TRUNK_ID = "hotline2-1700000000.1"  # this server's own linkedid of the trunk's call
TRUNK = "PJSIP/trunk-main-00000001"
SEAT = "Local/8001@hotline-sim-phone/n"
SEAT_CH = "Local/8001@hotline-sim-phone-00000002;1"
CALL_ID = "1700000000.77"  # the call's id on the server it came from
CALLER = "13987650002"


@pytest.fixture(params=[False, True], ids=["python", "speedups"])
def world(request):
    events: list = []
    missed: list = []
    agents = AgentBook(events.append)
    queues = QueueBoard(events.append, agents)
    model = CallModel(
        events.append,
        agents,
        queues,
        on_missed=lambda a, c: missed.append((a.agent_id, c)),
        speedups=request.param,
    )
    agent = agents.ensure("8001", SEAT)
    agents.apply(agent, "login", 1.0)
    agents.apply(agent, "ready", 2.0)

    def feed(name: str, at: float, **fields: str) -> None:
        model.handle(Frame.build(Event=name, Timestamp=f"{at:.6f}", Linkedid=TRUNK_ID, **fields))

    return model, events, missed, feed


def _relayed(feed, kind: str = "blind", by: str = "") -> None:
    feed(
        "Newchannel",
        10.0,
        Channel=TRUNK,
        Uniqueid=TRUNK_ID,
        Context="hotline-trunk-in",
        Exten="8001",
        CallerIDNum=CALLER,
    )
    feed("UserEvent", 10.01, UserEvent="HotlineRelayed", Relay=f"{kind}|{CALL_ID}|{CALLER}|cti-a|95598|{by}")
    feed("Newchannel", 10.02, Channel=SEAT_CH, Uniqueid="hotline2-1700000000.2", Context="hotline-sim-phone")


def test_the_seat_a_relayed_call_rings_pops_that_call_and_answers_it(world):
    model, events, _missed, feed = world
    _relayed(feed)
    (offer,) = [e for e in events if isinstance(e, CallOffered)]
    assert (offer.call_id, offer.agent_id, offer.caller, offer.queue, offer.dnis) == (
        CALL_ID,
        "8001",
        CALLER,
        "cti-a",
        "95598",
    )
    feed("BridgeEnter", 12.0, Channel=TRUNK, BridgeUniqueid="b1")
    feed("BridgeEnter", 12.0, Channel=SEAT_CH, BridgeUniqueid="b1")
    (answer,) = [e for e in events if isinstance(e, CallAnswered)]
    assert (answer.call_id, answer.agent_id, answer.caller) == (CALL_ID, "8001", CALLER)
    assert model.agents.get("8001").state == "talking"
    feed("Hangup", 40.0, Channel=TRUNK, Uniqueid=TRUNK_ID, Cause="16")
    feed("Hangup", 40.0, Channel=SEAT_CH, Uniqueid="hotline2-1700000000.2", Cause="16")
    (ended,) = [e for e in events if isinstance(e, CallEnded)]
    assert ended.call_id == CALL_ID and ended.relayed
    assert [leg[0] for leg in ended.legs] == ["8001"]
    assert ended.hangup_side == "caller"  # the trunk is the caller's side of a blind transfer
    # the other server published the call's start; this one's queue board never had it
    assert not [e for e in events if isinstance(e, CallStarted)]
    assert "cti-a" not in model.queues.queues


def test_the_seat_a_colleague_over_there_hands_the_caller_to_is_told_by_whom(world):
    # 7001 on the other server transferred their caller here (转接): the pop and the answer say
    # 转接自 7001, as a transfer on one server does
    model, events, _missed, feed = world
    _relayed(feed, by="7001")
    (offer,) = [e for e in events if isinstance(e, CallOffered)]
    assert (offer.transferred_from, offer.transferred_at) == ("7001", 10.01)
    feed("BridgeEnter", 12.0, Channel=TRUNK, BridgeUniqueid="b1")
    feed("BridgeEnter", 12.0, Channel=SEAT_CH, BridgeUniqueid="b1")
    (answer,) = [e for e in events if isinstance(e, CallAnswered)]
    assert (answer.transferred_from, answer.transferred_at) == ("7001", 10.01)


def test_a_relay_that_names_nobody_pops_without_a_transferring_agent(world):
    # the dialplan's relay of a transfer made with the phone's own keys has no agent field
    model, events, _missed, feed = world
    _relayed(feed)
    (offer,) = [e for e in events if isinstance(e, CallOffered)]
    assert offer.transferred_from == ""


def test_a_blind_transfer_the_seat_lets_ring_out_misses_it(world):
    model, _events, missed, feed = world
    _relayed(feed)
    feed("DialEnd", 40.0, Channel=TRUNK, DestUniqueid="hotline2-1700000000.2", DialStatus="NOANSWER")
    assert missed == [("8001", CALL_ID)]


def test_a_call_not_relayed_keeps_its_own_id(world):
    model, events, _missed, feed = world
    feed("Newchannel", 10.0, Channel=TRUNK, Uniqueid=TRUNK_ID, Context="hotline-trunk-in", Exten="8001")
    feed("UserEvent", 10.01, UserEvent="HotlineRelayed", Relay="")  # no header: not one of ours
    feed("Newchannel", 10.02, Channel=SEAT_CH, Uniqueid="hotline2-1700000000.2", Context="hotline-sim-phone")
    assert TRUNK_ID in model.calls and CALL_ID not in model.calls
    assert not [e for e in events if isinstance(e, CallOffered)]
