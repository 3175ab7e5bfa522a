"""A call that ended while no bridge watched it (the bridge process restarting, a standby taking
over, the AMI link down), on the real Asterisk: the new bridge's resync closes its record, and the
seat that talked on it goes through 话后处理 for it, as it would have live, with the ACW limit
counted from the call's end (the record's ``ended_at``), and then where the call leaves it: the
break asked for during the call (小休, kept by Asterisk's pause), 就绪, or the sign-out a 强制下班
waits for. The bus (and a web process's mirror of it, the wallboard's) and Asterisk agree."""

from __future__ import annotations

import asyncio

import pytest

from cti import agents as A
from cti.call_events import AgentStateChanged, CallEnded
from cti.mirror import BridgeMirror
from tests.cti.harness import QUEUE_A, Story, answered_by, ready_agents

pytestmark = pytest.mark.asterisk

ACW = 1.0  # seconds: short, yet long enough to tell a 话后处理 from none


async def _hang_up_unwatched(story: Story, call_id: str) -> None:
    """The caller hangs up while no bridge watches: the call's channels are gone."""
    for f in await story.net.action_list("CoreShowChannels"):
        if f.get("Linkedid") == call_id:
            try:
                await story.net.action("Hangup", Channel=f["Channel"])
            except Exception:
                pass  # gone with its peer
    for _ in range(100):
        if not any(f.get("Linkedid") == call_id for f in await story.net.action_list("CoreShowChannels")):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"call {call_id} still has channels")


async def _restart_after_unwatched_end(story: Story, call_id: str) -> int:
    """The bridge process dies (the bus stays), the call ends, a new bridge starts; the bus's
    last seq before it."""
    await story.bridge.flush()
    await story.bridge.stop()
    cut = max(e.seq for e in await story.bus.replay(0, 100_000))
    await _hang_up_unwatched(story, call_id)
    await story.start_bridge()
    return cut


async def _link_down_while_it_ends(story: Story, call_id: str) -> int:
    """The same bridge loses its AMI link (Asterisk unreachable for a moment), the call ends
    meanwhile, and the link comes back; the bus's last seq before the reconnect's resync."""
    ami = story.bridge.ami
    port, ami.port = ami.port, 1  # nothing listens there: the reconnects fail until it is back
    await story.bridge.flush()
    ami._link.transport.abort()  # noqa: SLF001
    for _ in range(100):
        if not story.bridge.connected:
            break
        await asyncio.sleep(0.02)
    cut = max(e.seq for e in await story.bus.replay(0, 100_000))
    await _hang_up_unwatched(story, call_id)
    ami.port = port
    await story.bridge.wait_connected(10)
    return cut


async def _member(story: Story, agent: str) -> tuple[str, str]:
    status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
    [member] = [f for f in status if f.name == "QueueMember" and f.get("Name") == agent]
    return member["Paused"], member["PausedReason"]


async def _member_becomes(story: Story, agent: str, expected: tuple[str, str]) -> None:
    for _ in range(50):
        if await _member(story, agent) == expected:
            return
        await asyncio.sleep(0.05)
    assert await _member(story, agent) == expected


async def _mirror_agrees(story: Story, mirror: BridgeMirror, agent: str) -> None:
    """A web process's view from the bus (its consoles, the wallboard) is the bridge's own."""
    await story.bridge.flush()
    await asyncio.sleep(0.05)
    keys = ("state", "reason", "call_id", "since")
    bridge, mirrored = story.bridge.agent(agent), mirror.agent(agent)
    assert {k: mirrored[k] for k in keys} == {k: bridge[k] for k in keys}
    ready = {q["queue"]: q["agents_ready"] for q in story.bridge.queues()}
    assert {q["queue"]: q["agents_ready"] for q in mirror.queues() if q["queue"] == QUEUE_A} == {
        QUEUE_A: ready[QUEUE_A]
    }


@pytest.mark.parametrize(
    ("unwatched", "asked", "back"),
    [
        (_restart_after_unwatched_end, "小休", ("not_ready", "小休")),
        (_restart_after_unwatched_end, "", ("ready", "")),
        (_link_down_while_it_ends, "小休", ("not_ready", "小休")),
        (_link_down_while_it_ends, "", ("ready", "")),
    ],
    ids=["restart-break", "restart-ready", "link-down-break", "link-down-ready"],
)
async def test_a_call_that_ended_unwatched_goes_through_its_after_call_work_first(
    asterisk, unwatched, asked, back
):
    async with Story(asterisk, acw_seconds=ACW) as story:
        mirror = BridgeMirror(story.bus)
        await mirror.start()
        try:
            (agent,) = await ready_agents(story, "hold")
            await story.call_in(QUEUE_A, stay=30)
            call_id = await answered_by(story, agent)
            if asked:
                result = await story.bridge.pause(agent, asked)  # a break for after the call
                assert result.ok and result.data["pending"] == "not_ready", result
            cut = await unwatched(story, call_id)

            ended = await story.wait_for(CallEnded, call_id=call_id)  # closed at the resync
            acw = await story.wait_for(AgentStateChanged, agent_id=agent, where=lambda e: e.seq > cut)
            # 话后处理 of that call, from the call's end as the record has it
            assert (acw.state, acw.reason, acw.call_id, acw.previous) == (
                "after_call_work",
                A.ACW_REASON,
                call_id,
                "talking",
            )
            assert acw.at == ended.ended_at
            assert story.bridge.ended_call(call_id) is not None  # the write-up's call pops again
            await _member_becomes(story, agent, ("1", A.ACW_REASON))  # no caller meanwhile
            assert story.bridge.agent(agent)["state"] == "after_call_work"
            await _mirror_agrees(story, mirror, agent)
            assert mirror.ended_call(call_id) is not None  # and on a web process's console

            done = await story.wait_for(
                AgentStateChanged, agent_id=agent, timeout=ACW + 5, where=lambda e: e.seq > acw.seq
            )
            assert (done.state, done.reason) == back
            # the limit counted from the call's end, not cut short nor started again
            assert ACW - 0.05 <= done.at - ended.ended_at < ACW + 1.0
            await _member_becomes(story, agent, ("1", asked) if asked else ("0", ""))
            await asyncio.sleep(0.2)
            await _mirror_agrees(story, mirror, agent)
        finally:
            await mirror.stop()
    after = [(e.state, e.reason) for e in story.of(AgentStateChanged, agent_id=agent) if e.seq > cut]
    assert after == [("after_call_work", A.ACW_REASON), back]
    assert len(story.of(CallEnded, call_id=call_id)) == 1


async def _forced_out_on_a_call(story: Story) -> tuple[str, str]:
    (agent,) = await ready_agents(story, "hold")
    await story.call_in(QUEUE_A, stay=30)
    call_id = await answered_by(story, agent)
    result = await story.bridge.sign_out_seat(agent, A.FORCED_SIGN_OUT_REASON)
    assert result.ok and result.data["pending"] == "logged_out", result
    return agent, call_id


async def test_a_forced_sign_out_whose_call_ended_unwatched_signs_out_as_it_would_have_live(asterisk):
    """强制下班 of a talking seat, with 话后处理 on: live, the call's end takes the seat into
    话后处理 and out at once; a call that ended while no bridge ran does the same at the resync
    (not left 未就绪·班长强制下班 in 话后处理's stead, nor kept in a 话后处理 it never leaves)."""
    async with Story(asterisk, acw_seconds=ACW) as story:
        live_agent, live_call = await _forced_out_on_a_call(story)
        start = max(e.seq for e in await story.bus.replay(0, 100_000))
        await _hang_up_unwatched(story, live_call)  # ended with the bridge watching
        await story.wait_for(AgentStateChanged, agent_id=live_agent, state="logged_out")
        live = [
            (e.state, e.reason) for e in story.of(AgentStateChanged, agent_id=live_agent) if e.seq > start
        ]

        agent, call_id = await _forced_out_on_a_call(story)
        cut = await _restart_after_unwatched_end(story, call_id)
        await story.wait_for(CallEnded, call_id=call_id)
        await story.wait_for(
            AgentStateChanged, agent_id=agent, state="logged_out", where=lambda e: e.seq > cut
        )
        await asyncio.sleep(ACW + 0.5)  # nothing more: no 话后处理 left to end, no pause to sign out
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
        assert not [f for f in status if f.name == "QueueMember" and f.get("Name") == agent]
        assert story.bridge.agent(agent)["state"] == "logged_out"
    resynced = [(e.state, e.reason) for e in story.of(AgentStateChanged, agent_id=agent) if e.seq > cut]
    assert live == [("after_call_work", A.ACW_REASON), ("logged_out", "")]
    assert resynced == live
