"""A bridge restarted while its agent consults a colleague on another Asterisk server, whose seat
there still rings: the resync tells the consultation's leg by the remote transfer's context
(``Local/<server>*<工号>@hotline-remote-transfer``) and keeps the consultation, so the seat keeps
完成转接 / 取消咨询, as for a colleague on its own server."""

from __future__ import annotations

from cti import agents as A
from cti.agents import AgentBook
from cti.ami.protocol import Frame
from cti.calls import Call, CallModel
from cti.queues import QueueBoard
from cti.resync import _confirm_consults

CALL_ID = "1700000000.1"
SEAT = "Local/7001@hotline-sim-phone/n"
AGENT_CH = "Local/7001@hotline-sim-phone-00000002;1"


def _consulting(leg: str) -> tuple[CallModel, A.Agent, list[Frame]]:
    events: list = []
    agents = AgentBook(events.append)
    model = CallModel(events.append, agents, QueueBoard(events.append, agents))
    agent = agents.ensure("7001", SEAT)
    agents.apply(agent, "login", 1.0)
    agents.apply(agent, "ready", 2.0)
    model.calls[CALL_ID] = Call(
        CALL_ID, direction="inbound", customer_channel="Local/120@hotline-sim-caller-00000001;1"
    )
    # as the bus told it (restore): Asterisk names its legs at the resync
    agent.consult = {
        "call_id": CALL_ID,
        "target": "agent:80001",
        "caller_gone": False,
        "channel": "",
        "channels_before": frozenset(),
    }
    frames = [
        Frame.build(
            Event="CoreShowChannel",
            Channel="Local/120@hotline-sim-caller-00000001;1",
            Uniqueid=CALL_ID,
            BridgeId="b1",
        ),
        Frame.build(Event="CoreShowChannel", Channel=AGENT_CH, Uniqueid="1700000000.3", BridgeId=""),
        Frame.build(Event="CoreShowChannel", Channel=leg, Uniqueid="1700000000.5", BridgeId=""),
    ]
    return model, agent, frames


def test_a_consultation_with_a_colleague_on_another_server_still_ringing_survives_a_restart():
    model, agent, frames = _consulting("Local/second*80001@hotline-remote-transfer-00000005;1")
    _confirm_consults(model, {CALL_ID: frames}, 100.0)
    assert agent.consult is not None and agent.consult["channel"] == AGENT_CH
    assert "1700000000.5" not in agent.consult["channels_before"]


def test_a_leg_to_another_colleague_is_no_leg_of_this_consultation():
    model, agent, frames = _consulting("Local/second*80002@hotline-remote-transfer-00000005;1")
    _confirm_consults(model, {CALL_ID: frames}, 100.0)
    assert agent.consult is None
