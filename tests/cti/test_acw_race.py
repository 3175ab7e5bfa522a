"""The ACW limit and the agent's own 话后处理完毕 (or 就绪 / 暂停) racing: whichever Asterisk
answers second finds the after-call work over and leaves the seat as it is, with no traceback
(demo.log: InvalidTransition 'acw_done not allowed in ringing' from CtiBridge._acw_expired)."""

from __future__ import annotations

import asyncio

from cti import agents as A
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.commands import AgentCommands
from tests.cti.test_calls import SEAT, World


class GatedActions:
    """``Actions`` whose QueuePause unpausing a seat is answered only when the test says so
    (Asterisk's answer still on its way); everything else is answered at once."""

    outbound_context = "hotline-outbound"

    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []
        self.waiting: list[asyncio.Future[None]] = []

    async def queue_pause(self, interface: str, paused: bool, reason: str = "") -> None:
        self.sent.append(("QueuePause", paused))
        if not paused:
            answer = asyncio.get_running_loop().create_future()
            self.waiting.append(answer)
            await answer

    async def answer_next(self) -> None:
        answer = self.waiting.pop(0)
        if not answer.done():  # (an action whose sender gave up is answered to nobody)
            answer.set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)

    def __getattr__(self, name: str):
        async def act(*args: object, **kwargs: object) -> None:
            self.sent.append((name, True))

        return act


def _in_acw(agents: A.AgentBook, agent_id: str = "2001") -> A.Agent:
    agent = agents.ensure(agent_id, SEAT)
    if agent.state == A.LOGGED_OUT:
        agents.apply(agent, "login", 1.0)
        agents.apply(agent, "ready", 2.0)
    agents.apply(agent, "offer", 3.0, call_id="c1")
    agents.apply(agent, "answer", 4.0, call_id="c1")
    agents.apply(agent, "end", 5.0)
    assert (agent.state, agent.call_id) == (A.AFTER_CALL_WORK, "c1")
    return agent


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_the_second_end_of_acw_finds_the_agent_already_rung_and_changes_nothing():
    w = World(acw=30)
    agent = _in_acw(w.agents)
    actions = GatedActions()
    commands = AgentCommands(w.model, actions, hotline_number="95598", pause_reasons=())
    limit = asyncio.create_task(commands.end_after_call_work("2001"))
    done = asyncio.create_task(commands.end_after_call_work("2001"))  # the agent's click
    await _settle()
    assert len(actions.waiting) == 2  # both unpauses asked before either was answered
    await actions.answer_next()
    assert agent.state == A.READY
    w.agents.apply(agent, "offer", 6.0, call_id="c2")  # the ready seat is rung at once
    await actions.answer_next()
    first, second = await limit, await done
    assert first.ok and second.ok
    assert (agent.state, agent.call_id, second.data["state"]) == (A.RINGING, "c2", A.RINGING)
    assert [e.state for e in w.events[-2:]] == [A.READY, A.RINGING]


def _bridge(acw_seconds: float) -> tuple[CtiBridge, GatedActions]:
    bridge = CtiBridge(CtiSettings(acw_seconds=acw_seconds), InProcessBus())
    actions = GatedActions()
    bridge.actions = bridge.commands.actions = actions  # type: ignore[assignment]
    return bridge, actions


async def test_the_agents_wrapup_done_while_the_limit_is_ending_acw_leaves_no_failed_task():
    bridge, actions = _bridge(0.01)
    agent = _in_acw(bridge.agent_book)
    bridge._acw_started(agent)
    await asyncio.sleep(0.05)  # the limit passes: its unpause goes out, unanswered yet
    assert len(actions.waiting) == 1
    tasks = list(bridge._tasks)
    wrapup = asyncio.create_task(bridge.wrapup_done("2001"))  # 话后处理完毕 meanwhile
    await _settle()
    while actions.waiting:
        await actions.answer_next()
        if agent.state == A.READY:
            bridge.agent_book.apply(agent, "offer", 6.0, call_id="c2")
    assert (await wrapup).ok
    await _settle()
    assert (agent.state, agent.call_id) == (A.RINGING, "c2")
    assert all(t.done() and (t.cancelled() or t.exception() is None) for t in tasks)
    assert not bridge._acw_ending and not bridge._acw_timers


async def test_the_limit_passing_after_the_agent_left_acw_does_nothing(caplog):
    bridge, actions = _bridge(0.01)
    agent = _in_acw(bridge.agent_book)
    bridge._acw_started(agent)
    # a colleague's transfer rings the seat during its after-call work: ACW is over
    bridge.agent_book.apply(agent, "offer", 5.5, call_id="c2")
    with caplog.at_level("DEBUG", logger="cti.bridge"):
        await asyncio.sleep(0.05)
        await _settle()
    assert (agent.state, agent.call_id) == (A.RINGING, "c2")
    assert ("QueuePause", False) not in actions.sent and not actions.waiting
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert not bridge._acw_ending
