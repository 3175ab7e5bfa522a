"""A restarted bridge with other Asterisk servers on its bus (``resync.Ours``), on synthetic events
and frames: it takes back its own server's agents and calls only, its agents' part of a call
relayed to it, and the seat's leg of that call, found on the trunk, as that call."""

from __future__ import annotations

from cti import agents as A
from cti.agents import AgentBook
from cti.ami.protocol import Frame
from cti.call_events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallStarted,
    CallTransferred,
)
from cti.calls import RELAYED_RESTORED, CallModel
from cti.queues import QueueBoard
from cti.resync import History, Ours, apply_channels, restore

CALL_ID = "1700000000.77"  # a call of main (no systemname)
SECOND_CALL = "hotline2-1700000000.9"  # one of second's own
TRUNK_ID = "hotline2-1700000000.1"  # second's linkedid of the trunk call relaying CALL_ID
TRUNK = "PJSIP/trunk-main-00000001"
SEAT = "Local/8001@hotline-sim-phone/n"
SEAT_CH = "Local/8001@hotline-sim-phone-00000002;1"
CALLER = "13987650002"
MAIN = Ours("", lambda agent_id: not agent_id.startswith("8"))
SECOND = Ours("hotline2", lambda agent_id: agent_id.startswith("8"))


def _model() -> tuple[CallModel, list]:
    events: list = []
    agents = AgentBook(events.append)
    return CallModel(events.append, agents, QueueBoard(events.append, agents)), events


def _bus() -> list:
    """main's caller answered by 7001, blind-transferred to 8001 on second, who talks with them;
    and a call of second's own, answered by 8002."""
    seq = iter(range(1, 100))

    def at(event):
        return event.stamped(next(seq))

    return [
        at(AgentStateChanged(agent_id="7001", state="ready", previous="not_ready", seconds_in_previous=1.0)),
        at(AgentStateChanged(agent_id="8001", state="ready", previous="not_ready", seconds_in_previous=1.0)),
        at(CallStarted(call_id=CALL_ID, direction="inbound", caller=CALLER, started_at=10.0)),
        at(CallOffered(call_id=CALL_ID, agent_id="7001", offered_at=11.0)),
        at(CallAnswered(call_id=CALL_ID, agent_id="7001", answered_at=12.0)),
        at(CallTransferred(call_id=CALL_ID, agent_id="7001", kind="blind", target="agent:8001")),
        at(CallOffered(call_id=CALL_ID, agent_id="8001", offered_at=20.0)),
        at(CallAnswered(call_id=CALL_ID, agent_id="8001", answered_at=21.0)),
        at(
            AgentStateChanged(
                agent_id="8001", state="talking", previous="ringing", seconds_in_previous=1.0, call_id=CALL_ID
            )
        ),
        at(CallStarted(call_id=SECOND_CALL, direction="inbound", started_at=30.0)),
        at(CallAnswered(call_id=SECOND_CALL, agent_id="8002", answered_at=31.0)),
    ]


def _history(ours: Ours, events: list) -> History:
    history = History(ours=ours)
    for event in events:
        history.add(event)
    return history


def test_a_bridge_takes_back_its_own_agents_and_calls_and_its_part_of_one_relayed_to_it():
    model, _ = _model()
    restore(model, _history(MAIN, _bus()))
    assert set(model.agents.agents) == {"7001"}
    assert set(model.restored) == {CALL_ID}
    call = model.restored[CALL_ID]
    assert ([leg[0] for leg in call.legs], call.agents_offered, call.relayed) == (["7001"], ["7001"], "")

    model, _ = _model()
    restore(model, _history(SECOND, _bus()))
    assert set(model.agents.agents) == {"8001"}
    assert set(model.restored) == {CALL_ID, SECOND_CALL}
    relayed = model.restored[CALL_ID]
    assert ([leg[0] for leg in relayed.legs], relayed.agents_offered) == (["8001"], ["8001"])
    assert (relayed.agent_id, relayed.relayed) == ("8001", RELAYED_RESTORED)


def test_a_relayed_record_ends_the_part_on_the_server_it_was_relayed_to_only():
    """A colleague on second consulted about main's call hangs up (their part's record, relayed):
    the caller still talks with the agent on main, whose bridge keeps the call after a restart."""
    part = CallEnded(
        call_id=CALL_ID, direction="inbound", outcome="answered", legs=(("8001", 21.0, 40.0),), relayed=True
    ).stamped(50)
    assert CALL_ID not in _history(MAIN, [*_bus(), part]).ended
    assert CALL_ID in _history(MAIN, [*_bus(), part]).calls
    assert CALL_ID in _history(SECOND, [*_bus(), part]).ended


def test_the_seats_leg_found_on_the_trunk_is_the_relayed_call_not_one_of_its_own():
    model, events = _model()
    restore(model, _history(SECOND, _bus()))
    agent = model.agents.ensure("8001", SEAT)
    assert (agent.state, agent.call_id) == (A.TALKING, CALL_ID)
    frames = [
        Frame.build(
            Event="CoreShowChannel",
            Channel=TRUNK,
            Uniqueid=TRUNK_ID,
            Linkedid=TRUNK_ID,
            Context="hotline-transfer",
            Exten="8001",
            Application="Dial",
            BridgeId="b1",
            ChannelState="6",
            Duration="00:00:30",
        ),
        Frame.build(
            Event="CoreShowChannel",
            Channel=SEAT_CH,
            Uniqueid="hotline2-1700000000.2",
            Linkedid=TRUNK_ID,
            Context="hotline-sim-phone",
            BridgeId="b1",
            ChannelState="6",
            Duration="00:00:29",
        ),
    ]
    relays = {TRUNK_ID: (TRUNK, f"blind|{CALL_ID}|{CALLER}|cti-a|95598")}
    apply_channels(model, frames, 100.0, relays)
    assert set(model.calls) == {CALL_ID}
    call = model.calls[CALL_ID]
    assert (call.relayed, call.customer_channel, call.caller, call.queue) == ("blind", TRUNK, CALLER, "cti-a")
    assert model.aliases[TRUNK_ID] == CALL_ID
    # nothing started or ended: the call goes on as it was (second's own call, gone, has ended)
    ended = [e for e in events if isinstance(e, CallEnded)]
    assert [e.call_id for e in ended] == [SECOND_CALL]
    assert not [e for e in events if isinstance(e, (CallStarted, CallAnswered, CallOffered))]
