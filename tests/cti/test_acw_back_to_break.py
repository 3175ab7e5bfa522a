"""After-call work ends where the call found the agent (QA F9): an agent on a break, or calling
back 待回复工单 customers before pressing 就绪, is not ready again after the call's 话后处理, still
paused in Asterisk (with the break's reason), instead of being made ready and offered queue calls."""

from __future__ import annotations

from cti import agents as A
from cti.commands import AgentCommands
from tests.cti.test_calls import World


class PauseActions:
    """``Actions`` noting the QueuePause each command sends (the only one these commands send)."""

    outbound_context = "hotline-outbound"

    def __init__(self) -> None:
        self.pauses: list[tuple[bool, str]] = []

    async def queue_pause(self, interface: str, paused: bool, reason: str = "") -> None:
        self.pauses.append((paused, reason))


def _seat(*pause_reasons: str) -> tuple[World, A.Agent, PauseActions, AgentCommands]:
    w = World(acw=30)  # 2001 signed in and ready
    actions = PauseActions()
    commands = AgentCommands(
        w.model, actions, hotline_number="95598", pause_reasons=pause_reasons or A.DEFAULT_PAUSE_REASONS
    )
    return w, w.agents.get("2001"), actions, commands


def _call(w: World, agent: A.Agent, call_id: str, at: float) -> None:
    """A click-to-dial call: the seat rings, answers, the customer hangs up (ACW)."""
    w.agents.apply(agent, "offer", at, call_id=call_id)
    w.agents.apply(agent, "answer", at + 1, call_id=call_id)
    w.agents.apply(agent, "end", at + 5)
    assert (agent.state, agent.reason) == (A.AFTER_CALL_WORK, A.ACW_REASON)


async def test_a_call_back_made_on_a_break_ends_on_the_break_not_ready():
    w, agent, actions, commands = _seat()
    assert (await commands.pause("2001", "小休")).ok
    _call(w, agent, "out-1", 10.0)
    result = await commands.end_after_call_work("2001")  # the ACW limit, or 话后处理完毕
    assert result.ok and result.data["state"] == A.NOT_READY
    assert (agent.state, agent.reason, agent.paused) == (A.NOT_READY, "小休", True)
    # still paused in the queues, now for the break again (not unpaused: no queue call is offered)
    assert actions.pauses[-1] == (True, "小休")


async def test_a_round_of_call_backs_keeps_its_pause_through_each_after_call_work():
    w, agent, actions, commands = _seat()
    agent.state, agent.reason = A.NOT_READY, A.LOGIN_REASON  # signed in, never pressed 就绪
    _call(w, agent, "out-1", 10.0)
    _call(w, agent, "out-2", 20.0)  # 回呼 again during the first call's 话后处理
    assert (await commands.end_after_call_work("2001")).ok
    assert (agent.state, agent.reason) == (A.NOT_READY, A.LOGIN_REASON)
    assert (False, "") not in actions.pauses


async def test_a_break_asked_for_during_a_call_starts_after_its_after_call_work():
    w, agent, actions, commands = _seat()
    w.agents.apply(agent, "offer", 10.0, call_id="c1")
    w.agents.apply(agent, "answer", 11.0, call_id="c1")
    assert (await commands.pause("2001", "用餐")).data["pending"] == A.NOT_READY  # allow_pause_on_call
    w.agents.apply(agent, "end", 20.0)
    assert agent.state == A.AFTER_CALL_WORK
    assert (await commands.end_after_call_work("2001")).ok
    assert (agent.state, agent.reason) == (A.NOT_READY, "用餐")
    assert actions.pauses[-1] == (True, "用餐")


async def test_a_ready_agent_is_ready_again_after_the_after_call_work():
    w, agent, actions, commands = _seat()
    _call(w, agent, "c1", 10.0)
    assert (await commands.end_after_call_work("2001")).ok
    assert (agent.state, agent.reason, agent.paused) == (A.READY, "", False)
    assert actions.pauses == [(False, "")]


def test_an_after_call_work_found_by_a_resync_ends_ready():
    # a state forced from Asterisk (a restart): no pause of the agent's is known to go back to
    w, agent, _, _ = _seat()
    fresh = w.agents.ensure("2009", "Local/2009@hotline-sim-phone/n")
    w.agents.force(fresh, A.AFTER_CALL_WORK, 5.0, reason=A.ACW_REASON, call_id="c9")
    w.agents.apply(fresh, "acw_done", 30.0)
    assert fresh.state == A.READY


def test_a_bridge_restarted_during_a_round_of_call_backs_ends_it_on_the_rounds_pause():
    from cti.resync import History, restore

    w, agent, _, _ = _seat()
    w.agents.apply(agent, "pause", 5.0, reason="小休")
    _call(w, agent, "out-1", 10.0)
    _call(w, agent, "out-2", 20.0)
    history = History()
    for event in w.events:
        history.add(event)
    fresh = World(acw=30)
    restore(fresh.model, history)
    again = fresh.agents.get("2001")
    assert again.state == A.AFTER_CALL_WORK
    fresh.agents.apply(again, "acw_done", 60.0)
    assert (again.state, again.reason) == (A.NOT_READY, "小休")
