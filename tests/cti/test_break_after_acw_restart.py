"""A break asked for during a call (小休 while talking) across a bridge restart (a process restart,
a standby taking over) that comes DURING the call's 话后处理, on the real Asterisk: the 话后处理's
pause replaced the break's in Asterisk, so the new bridge finds the break on the bus only (the
话后处理 event's ``acw_ends_in``), and the seat goes into it when the 话后处理 ends, by its limit or
by 话后处理完毕 (the agent's, or a supervisor's 结束话后处理: the same command), not 就绪. However the
话后处理 began: the call's end seen live, or a call that ended while the AMI link was down or while
no bridge ran (the resync's 话后处理). The bus (and a web process's mirror, the wallboard's) and
Asterisk agree."""

from __future__ import annotations

import asyncio

import pytest

from cti import agents as A
from cti.call_events import AgentStateChanged, CallEnded
from cti.events import event_from_dict
from cti.mirror import BridgeMirror
from cti.resync import History
from tests.cti.harness import QUEUE_A, Story, answered_by, ready_agents
from tests.cti.test_acw_after_unwatched_end import (
    _hang_up_unwatched,
    _link_down_while_it_ends,
    _member_becomes,
    _mirror_agrees,
    _restart_after_unwatched_end,
)

LIMIT = 2.0  # seconds: the ACW limit when the limit ends it (a restart takes well under one)
LONG = 30.0  # the ACW limit when the agent or a supervisor ends it first


async def _restart(story: Story) -> int:
    """The bridge process dies (the bus stays) and a new one starts; the bus's last seq before it."""
    await story.bridge.flush()
    await story.bridge.stop()
    cut = max(e.seq for e in await story.bus.replay(0, 100_000))
    await story.start_bridge()
    return cut


async def _ended_live(story: Story, call_id: str) -> None:
    await _hang_up_unwatched(story, call_id)  # the bridge watches: the call ends live


async def _ended_during_a_link_drop(story: Story, call_id: str) -> None:
    await _link_down_while_it_ends(story, call_id)


async def _ended_while_no_bridge_ran(story: Story, call_id: str) -> None:
    await _restart_after_unwatched_end(story, call_id)


@pytest.mark.asterisk
@pytest.mark.parametrize("ending", ["limit", "wrapup_done"])
@pytest.mark.parametrize(
    "call_end",
    [_ended_live, _ended_during_a_link_drop, _ended_while_no_bridge_ran],
    ids=["live", "link-down", "no-bridge"],
)
async def test_a_break_asked_for_during_the_call_follows_an_after_call_work_a_restart_came_in(
    asterisk, call_end, ending
):
    limit = LIMIT if ending == "limit" else LONG
    async with Story(asterisk, acw_seconds=limit) as story:
        mirror = BridgeMirror(story.bus)
        await mirror.start()
        try:
            (agent,) = await ready_agents(story, "hold")
            await story.call_in(QUEUE_A, stay=30)
            call_id = await answered_by(story, agent)
            result = await story.bridge.pause(agent, "小休")  # a break for after the call
            assert result.ok and result.data["pending"] == "not_ready", result
            await call_end(story, call_id)
            acw = await story.wait_for(AgentStateChanged, agent_id=agent, state="after_call_work")
            # Asterisk's 小休 gave way to 话后处理's pause: the break is kept on the bus only
            await _member_becomes(story, agent, ("1", A.ACW_REASON))
            assert acw.acw_ends_in == "小休"

            cut = await _restart(story)  # during the 话后处理
            assert story.bridge.agent(agent)["state"] == "after_call_work"
            await _mirror_agrees(story, mirror, agent)
            if ending == "wrapup_done":
                assert (await story.bridge.wrapup_done(agent)).ok  # 话后处理完毕 / 结束话后处理
            done = await story.wait_for(
                AgentStateChanged, agent_id=agent, timeout=LIMIT + 5, where=lambda e: e.seq > cut
            )
            assert (done.state, done.reason, done.previous) == ("not_ready", "小休", "after_call_work")
            if ending == "limit":
                assert done.at - acw.at < LIMIT + 1.0  # the limit from the 话后处理's start
            await _member_becomes(story, agent, ("1", "小休"))
            await asyncio.sleep(0.2)
            assert (story.bridge.agent(agent)["state"], story.bridge.agent(agent)["reason"]) == (
                "not_ready",
                "小休",
            )
            await _mirror_agrees(story, mirror, agent)
        finally:
            await mirror.stop()
    after = [(e.state, e.reason) for e in story.of(AgentStateChanged, agent_id=agent) if e.seq > cut]
    assert after == [("not_ready", "小休")]
    assert len(story.of(CallEnded, call_id=call_id)) == 1


def _state(state: str, previous: str, seq: int, reason: str = "", **more: object) -> AgentStateChanged:
    return AgentStateChanged(
        agent_id="1001",
        state=state,
        previous=previous,
        seconds_in_previous=1.0,
        reason=reason,
        seq=seq,
        **more,
    )


def test_the_bus_history_reads_where_an_after_call_work_ends_and_old_events_still_read():
    """The 话后处理 event tells where it ends (a break asked for during the call, or 就绪, even
    against the pause the call started from); one from before ``acw_ends_in`` was told (None,
    as an older event on the bus reads) leaves the call's start to tell, as before."""

    def before_call(*events: AgentStateChanged) -> tuple[str, str]:
        history = History()
        for event in events:
            history.add(event)
        return history.before_call["1001"]

    ready, talking = _state("ready", "not_ready", 1), _state("talking", "ready", 2)
    told = _state("after_call_work", "talking", 3, A.ACW_REASON, acw_ends_in="小休")
    assert before_call(ready, talking, told) == (A.NOT_READY, "小休")
    paused, call_back = _state("not_ready", "ready", 1, "小休"), _state("talking", "not_ready", 2)
    ready_after = _state("after_call_work", "talking", 3, A.ACW_REASON, acw_ends_in="")
    assert before_call(paused, call_back, ready_after) == (A.READY, "")
    body = _state("after_call_work", "talking", 3, A.ACW_REASON).to_dict()
    del body["acw_ends_in"]  # as an event published before the field was
    old = event_from_dict(body)
    assert old.acw_ends_in is None
    assert before_call(paused, call_back, old) == (A.NOT_READY, "小休")
    assert before_call(ready, talking, old) == (A.READY, "")
