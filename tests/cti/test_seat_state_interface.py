"""A seat whose busy state app_queue reads elsewhere (QueueAdd's StateInterface): the demo's
simulated phones join as ``Local/<工号>@hotline-sim-phone/n`` with ``Custom:seat-<工号>``, which
their dialplan keeps. The member is still its interface (Location): every event names the seat by
it, so the model and the resync key the agent by it, never by the state interface."""

from __future__ import annotations

from cti import agents as A
from cti.ami.protocol import Frame
from cti.call_events import CallOffered
from cti.commands import AgentCommands
from cti.commands.actions import Actions
from cti.resync import apply_queue_status
from tests.cti.test_calls import CALLER_2, World

SIM = "Local/2002@hotline-sim-phone/n"
SIM_STATE = "Custom:seat-2002"
PHONE = "PJSIP/2003"


class RecordingAmi:
    """The AMI as ``Actions`` speaks it: each action noted; every queue exists."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def action(self, action: str, **fields) -> Frame:
        self.sent.append((action, {k: v for k, v in fields.items() if v is not None}))
        return Frame.build(Response="Success")

    async def action_list(self, action: str, **fields) -> list[Frame]:
        return [Frame.build(Event="QueueParams", Queue=fields.get("Queue", ""))]


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
    assert (sim.interface, sim.state_interface, sim.state, sim.skills) == (
        SIM,
        SIM_STATE,
        A.READY,
        {"general": 1},
    )
    assert w.agents.by_interface(SIM) is sim and w.agents.by_interface(SIM_STATE) is None
    assert w.queues.queues_of(SIM) == ["general"] and not w.queues.queues_of(SIM_STATE)
    phone = w.agents.get("2003")
    assert (phone.interface, phone.state_interface) == (PHONE, "")  # a phone's state is its own

    # the seat's channels are found by its interface: its ring is an offer to 2002
    w.incoming(60.0)
    w.feed("Newchannel", 61.0, Channel="Local/2002@hotline-sim-phone-00000007;1", Uniqueid="1700000000.7")
    w.feed("AgentCalled", 61.0, Channel=CALLER_2, Queue="general", Interface=SIM, MemberName="2002")
    assert [e.agent_id for e in w.of(CallOffered)] == ["2002"]

    # a removal outside our commands names the interface: the seat is signed out
    w.feed("QueueMemberRemoved", 70.0, Queue="general", Interface=SIM, MemberName="2002")
    assert sim.state == A.LOGGED_OUT and not w.queues.queues_of(SIM)


async def test_a_seat_joins_with_its_state_interface_and_a_later_queue_with_it_too():
    w = World()
    ami = RecordingAmi()
    commands = AgentCommands(
        w.model, Actions(ami), hotline_number="95598", pause_reasons=A.DEFAULT_PAUSE_REASONS
    )
    assert (await commands.login("2002", SIM, {"general": 0}, SIM_STATE)).ok
    assert (await commands.login("2003", PHONE, {"general": 0})).ok
    assert (await commands.queue_join("2002", "fault", 3)).ok
    adds = [(f["Interface"], f["Queue"], f.get("StateInterface")) for a, f in ami.sent if a == "QueueAdd"]
    assert adds == [(SIM, "general", SIM_STATE), (PHONE, "general", None), (SIM, "fault", SIM_STATE)]


async def test_the_state_interface_the_resync_found_is_the_one_a_later_queue_joins_with():
    w = World()
    apply_queue_status(w.model, _queue_status(), 50.0)  # the bridge restarted: only Asterisk knew it
    ami = RecordingAmi()
    commands = AgentCommands(
        w.model, Actions(ami), hotline_number="95598", pause_reasons=A.DEFAULT_PAUSE_REASONS
    )
    assert (await commands.queue_join("2002", "fault", 0)).ok
    assert [(a, f["Interface"], f.get("StateInterface")) for a, f in ami.sent if a == "QueueAdd"] == [
        ("QueueAdd", SIM, SIM_STATE)
    ]
