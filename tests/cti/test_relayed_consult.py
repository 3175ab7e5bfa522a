"""A consultation relayed from another Asterisk server (咨询转接 across servers) is a question to the
seat it rings, as on one server: the relay names the consulting agent (``relay_of``), the seat's
ring and answer carry ``consult_from``, a consultation not completed leaves the seat no 话后处理,
and completed (``relayed_consult_completed``, told by the routing) the caller is the seat's: the
same leg announced again without ``consult_from``, its hang-up into 话后处理. Synthetic AMI frames,
the Python model and the C accelerator alike."""

from __future__ import annotations

import pytest

from cti import agents as A
from cti.agents import AgentBook
from cti.ami.protocol import Frame
from cti.call_events import CallAnswered, CallOffered
from cti.calls import Call, CallModel
from cti.commands.service import relay_of
from cti.queues import QueueBoard
from tests.cti.test_relayed_call import CALL_ID, CALLER, SEAT, SEAT_CH, TRUNK, TRUNK_ID

SEAT_UID = "hotline2-1700000000.2"


@pytest.fixture(params=[False, True], ids=["python", "speedups"])
def world(request):
    events: list = []
    agents = AgentBook(events.append, acw_seconds=30)
    model = CallModel(events.append, agents, QueueBoard(events.append, agents), speedups=request.param)
    agent = agents.ensure("8001", SEAT)
    agents.apply(agent, "login", 1.0)
    agents.apply(agent, "ready", 2.0)

    def feed(name: str, at: float, linkedid: str = TRUNK_ID, **fields: str) -> None:
        model.handle(Frame.build(Event=name, Timestamp=f"{at:.6f}", Linkedid=linkedid, **fields))

    return model, events, feed


def _consulted_by_7001(feed, relay: str | None = None) -> None:
    """Agent 7001 on the other server consults 8001 here about their caller: the trunk's call,
    its relay, 8001's seat ringing, and answered at 12.0."""
    call = Call(CALL_ID, caller=CALLER, queue="cti-a", dnis="95598")
    feed("Newchannel", 10.0, Channel=TRUNK, Uniqueid=TRUNK_ID, Context="hotline-trunk-in", Exten="8001")
    feed("UserEvent", 10.01, UserEvent="HotlineRelayed", Relay=relay or relay_of("consult", call, "7001"))
    feed("Newchannel", 10.02, Channel=SEAT_CH, Uniqueid=SEAT_UID, Context="hotline-sim-phone")
    feed("BridgeEnter", 12.0, Channel=TRUNK, BridgeUniqueid="b1")
    feed("BridgeEnter", 12.0, Channel=SEAT_CH, BridgeUniqueid="b1")


def _hung_up(feed, at: float) -> None:
    feed("Hangup", at, Channel=TRUNK, Uniqueid=TRUNK_ID, Cause="16")
    feed("Hangup", at, Channel=SEAT_CH, Uniqueid=SEAT_UID, Cause="16")


def test_the_relay_names_the_agent_it_comes_from():
    call = Call(CALL_ID, caller=CALLER, queue="cti-a", dnis="95598")
    assert relay_of("consult", call, "7001") == f"consult|{CALL_ID}|{CALLER}|cti-a|95598|7001"
    assert relay_of("blind", call, "7001") == f"blind|{CALL_ID}|{CALLER}|cti-a|95598|7001"
    assert relay_of("spy", call) == f"spy|{CALL_ID}|{CALLER}|cti-a|95598|"


def test_the_seat_a_relayed_consultation_rings_is_asked_not_given_the_caller(world):
    model, events, feed = world
    _consulted_by_7001(feed)
    (offer,) = [e for e in events if isinstance(e, CallOffered)]
    (answer,) = [e for e in events if isinstance(e, CallAnswered)]
    assert (offer.call_id, offer.agent_id, offer.consult_from) == (CALL_ID, "8001", "7001")
    assert (answer.call_id, answer.agent_id, answer.consult_from) == (CALL_ID, "8001", "7001")
    assert model.calls[CALL_ID].snapshot()["consulted"] == {"8001": "7001"}
    # cancelled over there: the trunk goes, and 8001 is back 就绪, nothing of theirs to write up
    _hung_up(feed, 20.0)
    assert model.agents.get("8001").state == A.READY


def test_asked_again_after_a_cancel_the_seat_is_consulted_again(world):
    model, events, feed = world
    _consulted_by_7001(feed)
    _hung_up(feed, 20.0)  # cancelled: this server's part of the call ended (its legs' record)
    # 7001 consults 8001 once more about the same caller: a new trunk call, the same relay
    again, seat_leg = "hotline2-1700000000.5", "Local/8001@hotline-sim-phone-00000004;1"
    relay = relay_of("consult", Call(CALL_ID, caller=CALLER, queue="cti-a", dnis="95598"), "7001")
    feed(
        "Newchannel",
        30.0,
        again,
        Channel="PJSIP/trunk-main-00000003",
        Uniqueid=again,
        Context="hotline-trunk-in",
    )
    feed("UserEvent", 30.01, again, UserEvent="HotlineRelayed", Relay=relay)
    feed(
        "Newchannel",
        30.02,
        again,
        Channel=seat_leg,
        Uniqueid="hotline2-1700000000.6",
        Context="hotline-sim-phone",
    )
    offers = [(e.call_id, e.consult_from, e.offered_at) for e in events if isinstance(e, CallOffered)]
    assert offers == [(CALL_ID, "7001", 10.02), (CALL_ID, "7001", 30.02)]
    assert model.agents.get("8001").state == A.RINGING


def test_completed_the_caller_is_the_seats_with_its_after_call_work(world):
    model, events, feed = world
    _consulted_by_7001(feed)
    assert not model.relayed_consult_completed(CALL_ID, "8001", "7002")  # not who consults
    assert model.relayed_consult_completed(CALL_ID, "8001", "7001")
    answers = [
        (e.agent_id, e.answered_at, e.consult_from, e.transferred_from)
        for e in events
        if isinstance(e, CallAnswered)
    ]
    # the same leg, theirs now, handed on by 7001 (转接自), as a completed consultation on one server
    assert answers == [("8001", 12.0, "7001", ""), ("8001", 12.0, "", "7001")]
    assert model.calls[CALL_ID].snapshot()["consulted"] == {}
    assert not model.relayed_consult_completed(CALL_ID, "8001", "7001")  # told twice: once
    _hung_up(feed, 40.0)
    assert model.agents.get("8001").state == A.AFTER_CALL_WORK


def test_a_relay_from_a_server_that_names_nobody_is_a_plain_transfer_as_before(world):
    model, events, feed = world
    _consulted_by_7001(feed, relay=f"consult|{CALL_ID}|{CALLER}|cti-a|95598")
    (offer,) = [e for e in events if isinstance(e, CallOffered)]
    assert offer.consult_from == ""
    assert model.calls[CALL_ID].snapshot()["consulted"] == {}
