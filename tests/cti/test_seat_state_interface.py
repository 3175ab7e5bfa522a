"""A queue member whose busy state app_queue reads elsewhere (QueueAdd's StateInterface, or the
CLI's ``queue add member … state_interface``): the member is still its interface (Location),
which every event names, so the resync keys the agent by it, never by the state interface."""

from __future__ import annotations

from cti import agents as A
from cti.ami.protocol import Frame
from cti.call_events import CallOffered
from cti.resync import apply_queue_status
from tests.cti.test_calls import CALLER_2, World

SIM = "Local/2002@hotline-sim-phone/n"
SIM_STATE = "Custom:seat-2002"
PHONE = "PJSIP/2003"


def _queue_status() -> list[Frame]:
    # as Asterisk answers QueueStatus: Location is the member, StateInterface where its state is read
    return [
        Frame.build(Event="QueueParams", Queue="general"),
        Frame.build(
            Event="QueueMember",
            Queue="general",
            Name="2002",
            Location=SIM,
            StateInterface=SIM_STATE,
            Penalty="1",
            Paused="0",
        ),
        Frame.build(
            Event="QueueMember",
            Queue="general",
            Name="2003",
            Location=PHONE,
            StateInterface=PHONE,
            Paused="0",
        ),
    ]


def test_the_resync_keys_a_member_by_its_interface_not_its_state_interface():
    w = World()
    apply_queue_status(w.model, _queue_status(), 50.0)
    sim = w.agents.get("2002")
    assert (sim.interface, sim.state, sim.skills) == (SIM, A.READY, {"general": 1})
    assert w.agents.by_interface(SIM) is sim and w.agents.by_interface(SIM_STATE) is None
    assert w.queues.queues_of(SIM) == ["general"] and not w.queues.queues_of(SIM_STATE)
    assert w.agents.get("2003").interface == PHONE

    # the seat's ring names its interface: an offer to 2002
    w.incoming(60.0)
    w.feed("Newchannel", 61.0, Channel="Local/2002@hotline-sim-phone-00000007;1", Uniqueid="1700000000.7")
    w.feed("AgentCalled", 61.0, Channel=CALLER_2, Queue="general", Interface=SIM, MemberName="2002")
    assert [e.agent_id for e in w.of(CallOffered)] == ["2002"]

    # a removal outside our commands names the interface too: the seat is signed out
    w.feed("QueueMemberRemoved", 70.0, Queue="general", Interface=SIM, MemberName="2002")
    assert sim.state == A.LOGGED_OUT and not w.queues.queues_of(SIM)
