"""Agent commands on a held call, against the call model; Asterisk's side is a list of the
actions asked for (the integration stories in test_cti_commands run them on the real thing)."""

from __future__ import annotations

from cti import agents as A
from cti.call_events import CallTransferred
from cti.commands import AgentCommands
from tests.cti.test_calls import CALLER_2, LINKED, SEAT, SEAT_2, World


class NotedActions:
    """``Actions`` that only note what would be sent to Asterisk."""

    outbound_context = "hotline-outbound"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __getattr__(self, name: str):
        async def act(*args: object, **kwargs: object) -> None:
            self.sent.append(name)

        return act


def _talking() -> tuple[World, NotedActions, AgentCommands]:
    """2001 talks with the caller; 2002 is ready."""
    w = World()
    other = w.agents.ensure("2002", SEAT_2)
    w.agents.apply(other, "login", 1.0)
    w.agents.apply(other, "ready", 2.0)
    w.incoming(10.0)
    w.ring(11.0)
    w.feed(
        "AgentConnect",
        13.0,
        Channel=CALLER_2,
        Queue="general",
        Interface=SEAT,
        MemberName="2001",
    )
    assert w.agents.get("2001").state == A.TALKING
    actions = NotedActions()
    return w, actions, AgentCommands(w.model, actions, hotline_number="95598", pause_reasons=())


async def test_a_held_call_is_taken_back_before_a_conference_as_before_a_transfer():
    w, actions, commands = _talking()
    call = w.model.calls[LINKED]
    w.model.set_hold(call, True, 14.0)
    refused = await commands.conference("2001", "2002")
    # its own words (三方通话), like the conference's other refusals, for the refusal of a transfer
    assert (refused.ok, refused.reason) == (False, "conference_unhold_first")
    assert (await commands.transfer("2001", "agent", "2002")).reason == "unhold_first"
    assert (await commands.consult("2001", "agent", "2002")).reason == "unhold_first"
    # nothing asked of Asterisk: the held caller stays in hotline-hold, nobody is rung
    assert actions.sent == []
    assert (w.agents.get("2001").state, w.agents.get("2002").state) == (A.ON_HOLD, A.READY)
    assert call.hold_started == 14.0 and not w.of(CallTransferred)

    w.model.set_hold(call, False, 15.0)  # 取回
    assert (await commands.conference("2001", "2002")).ok
    assert actions.sent == ["conference", "invite"]
    assert [(e.kind, e.target) for e in w.of(CallTransferred)] == [("conference", "agent:2002")]
