"""The colleague consulted (咨询转接) talks on the consultation's leg, not with the caller, who waits
on the consulting agent's hold: 转接, 咨询转接, 三方通话 and 保持 are not theirs (QA 2026-11-29 #7:
a transfer of theirs moved the consultation's leg into a queue, the caller left alone on hold and
the consulting agent without 取消咨询). Against the call model; Asterisk's side is a list of the
actions asked for (test_cti_consulted_commands runs them on the real Asterisk)."""

from __future__ import annotations

from cti import agents as A
from cti.call_events import CallHeld, CallTransferred
from cti.commands import AgentCommands
from tests.cti.test_calls import AGENT_CH, LINKED, World, _consulting_2002
from tests.cti.test_commands_on_hold import NotedActions


def _consulted() -> tuple[World, NotedActions, AgentCommands]:
    """2001 consults 2002 about their caller; 2002 has answered; 2003 is ready."""
    w = World()
    _consulting_2002(w, by_command=True)
    other = w.agents.ensure("2003", "Local/2003@hotline-sim-phone/n")
    w.agents.apply(other, "login", 1.0)
    w.agents.apply(other, "ready", 2.0)
    assert w.model.calls[LINKED].consulted == {"2002": "2001"}
    actions = NotedActions()
    return w, actions, AgentCommands(w.model, actions, hotline_number="95598", pause_reasons=())


async def test_the_colleague_consulted_may_not_hand_on_conference_or_hold_the_consultation():
    w, actions, commands = _consulted()
    refusals = [
        await commands.transfer("2002", "queue", "fault"),
        await commands.transfer("2002", "agent", "2003"),
        await commands.consult("2002", "agent", "2003"),
        await commands.conference("2002", "2003"),
        await commands.hold("2002"),
    ]
    assert [(r.ok, r.reason, r.data) for r in refusals] == [
        (False, "consult_leg", {"consult_from": "2001"})
    ] * 5
    # nothing asked of Asterisk: the caller stays on 2001's hold, 2003 is not rung
    assert actions.sent == []
    assert not w.of(CallTransferred) and not [e for e in w.of(CallHeld) if e.agent_id == "2002"]
    assert (w.agents.get("2002").state, w.agents.get("2003").state) == (A.TALKING, A.READY)
    # the consulting agent still has their consultation (完成转接 / 取消咨询)
    assert w.agents.get("2001").consult["target"] == "agent:2002"


async def test_completed_the_caller_is_the_colleagues_to_hand_on():
    w, actions, commands = _consulted()
    w.hangup(AGENT_CH, "1700000000.3", 20.0)  # 完成转接: the consulting agent leaves
    assert not w.model.calls[LINKED].consulted
    assert (await commands.transfer("2002", "agent", "2003")).ok
    assert actions.sent == ["blind_transfer"]
