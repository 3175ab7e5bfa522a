"""Agent commands on the real Asterisk: each story ends with the call's record."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from cti.ami import AmiActionError
from cti.call_events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallHeld,
    CallOffered,
    CallTransferred,
    ConsultChanged,
    RecordingReady,
)
from cti.recording import wav_info
from tests.cti.harness import QUEUE_A, QUEUE_B, Story, answered_by, consulting, ready_agents, seat

pytestmark = pytest.mark.asterisk


async def test_refusals_carry_stable_reasons(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        stranger = await story.new_agent()
        assert (await story.bridge.hangup(agent)).reason == "agent_not_on_call"
        assert (await story.bridge.answer(agent)).reason == "agent_not_ringing"
        assert (await story.bridge.hold(agent)).reason == "agent_not_on_call"
        assert (await story.bridge.ready("nobody")).reason == "unknown_agent"
        await story.bridge.login(stranger, seat(stranger), {QUEUE_B: 0})
        await story.bridge.logout(stranger)
        assert (await story.bridge.ready(stranger)).reason == "agent_not_logged_in"
        assert (await story.bridge.pause(agent, "打游戏")).reason == "invalid_reason"
        assert (await story.bridge.dial(agent, "not-a-number")).reason == "invalid_number"
        assert (await story.bridge.complete_transfer(agent)).reason == "no_consultation"
        assert (
            await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})
        ).reason == "agent_already_logged_in"
        await story.call_in(QUEUE_A, stay=20)
        await answered_by(story, agent)
        busy = await story.bridge.transfer(agent, "agent", agent)
        assert busy.reason == "target_busy", (story.bridge.agent(agent), story.bridge.calls())
        assert (await story.bridge.dial(agent, "13900000001")).reason == "agent_busy"
        assert (await story.bridge.hangup(agent)).ok
        ended = await story.wait_for(CallEnded, agent_id=agent)
    assert ended.hangup_side == "agent"


async def test_pause_with_reason_and_ready_again(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "1")
        assert (await story.bridge.pause(agent, "用餐")).ok
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
        member = next(f for f in status if f.name == "QueueMember" and f.get("Name") == agent)
        assert (member["Paused"], member["PausedReason"]) == ("1", "用餐")
        assert (await story.bridge.ready(agent)).ok
        await story.bridge.flush()
    changes = story.of(AgentStateChanged, agent_id=agent)
    assert [(c.state, c.reason) for c in changes][-2:] == [("not_ready", "用餐"), ("ready", "")]
    assert changes[-1].previous == "not_ready" and changes[-1].seconds_in_previous >= 0


async def test_blind_transfer_to_another_agent_keeps_one_record_and_one_recording(asterisk):
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "2")
        await story.bridge.pause(second, "小休")  # so the queue offers the call to `first`
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, first)
        assert (await story.bridge.ready(second)).ok
        result = await story.bridge.transfer(first, "agent", second)
        assert result.ok, result
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
        rec = await story.wait_for(RecordingReady, call_id=call_id)
    assert ended.outcome == "answered"
    assert ended.agent_id == second
    assert story.of(CallTransferred, call_id=call_id, kind="blind", target=f"agent:{second}")
    assert ("talking", "") in story.agent_states(second)
    assert story.agent_states(first)[-1] == ("ready", "")
    pop = story.of(CallOffered, call_id=call_id, agent_id=second)  # the new agent gets the screen-pop
    assert len(pop) == 1 and pop[0].caller == "13800138000"
    assert rec.duration > 1.5  # the part with `first` and the 2 s with `second`
    # each agent's time with the caller, one after the other; the target answered it too
    assert [leg[0] for leg in ended.legs] == [first, second]
    assert ended.legs[0][1] == ended.answered_at and ended.legs[0][2] <= ended.legs[1][1]
    assert story.of(CallAnswered, call_id=call_id, agent_id=second)


async def test_a_blind_transfer_the_colleague_does_not_take_goes_back_to_the_queue(asterisk):
    """The colleague's phone rings out (2 s here): the caller is not hung up on but queued
    again where they came from, and the first free agent takes them."""
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "hold")
        await story.phone(second, ring="never")
        await story.bridge.pause(second, "小休")  # so the queue offers the call to `first`
        await story.call_in(QUEUE_A, stay=30, variables=("HOTLINE_XFER_TIMEOUT=2",))
        call_id = await answered_by(story, first)
        assert (await story.bridge.ready(second)).ok
        await story.bridge.pause(first, "小休")  # the caller must not come straight back to them
        assert (await story.bridge.transfer(first, "agent", second)).ok
        await story.wait_for(CallOffered, call_id=call_id, agent_id=second, timeout=5)
        await story.bridge.pause(second, "小休")
        assert (await story.bridge.ready(first)).ok
        # back in QUEUE_A, where `first` is the one ready: the call goes on with them
        for _ in range(500):
            if len(story.of(CallAnswered, call_id=call_id, agent_id=first)) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(story.of(CallAnswered, call_id=call_id, agent_id=first)) == 2, story.events[-30:]
        assert not story.of(CallEnded, call_id=call_id)
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
    assert ended.outcome == "answered" and ended.hangup_side == "agent"
    assert [leg[0] for leg in ended.legs] == [first, first]


async def test_blind_transfer_to_a_queue(asterisk):
    async with Story(asterisk) as story:
        (first,) = await ready_agents(story, "hold")
        (other,) = await ready_agents(story, "1", queue=QUEUE_B)
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, first)
        # a queue Asterisk does not have (a typo, a name it cannot match): refused, nobody is
        # dialled, the caller stays with the agent (it was hung up on, the transfer "done")
        for command in (story.bridge.transfer, story.bridge.consult):
            for name in ("nosuchq", "综合服务"):
                refused = await command(first, "queue", name)
                assert (refused.ok, refused.reason) == (False, "unknown_queue"), refused
        await asyncio.sleep(0.3)
        assert story.bridge.agent(first)["state"] == "talking"
        assert story.bridge.agent(first)["consult"] is None and not story.of(ConsultChanged)
        assert not story.of(CallEnded, call_id=call_id)
        assert (await story.bridge.transfer(first, "queue", QUEUE_B)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
    assert ended.agent_id == other
    assert ended.queue == QUEUE_B
    assert ended.legs[0][0] == first and ended.legs[-1][0] == other


async def test_a_caller_transferred_to_a_queue_is_not_offered_back_to_the_agent_in_after_call_work(asterisk):
    """The agent is a free member of the queue they hand the caller to: the caller waits there,
    not offered back to them while they write the call up (app_queue saw the transfer before
    the after-call work's pause), and is theirs once they are done."""
    async with Story(asterisk, acw_seconds=30) as story:
        first = await story.new_agent(talk="hold")
        assert (await story.bridge.login(first, seat(first), {QUEUE_A: 0, QUEUE_B: 0})).ok
        assert (await story.bridge.ready(first)).ok
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, first)
        assert (await story.bridge.transfer(first, "queue", QUEUE_B)).ok
        await asyncio.sleep(1.0)  # the caller waits in QUEUE_B, where `first` is a free member
        assert len(story.of(CallOffered, call_id=call_id, agent_id=first)) == 1, story.events[-20:]
        assert story.bridge.agent(first)["state"] == "after_call_work"
        assert (await story.bridge.wrapup_done(first)).ok
        await story.wait_for(CallOffered, call_id=call_id, agent_id=first, where=lambda e: e.queue == QUEUE_B)


async def test_hold_and_unhold_are_timed_in_the_record(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, agent)
        assert (await story.bridge.hold(agent)).ok
        await asyncio.sleep(1.0)
        assert story.bridge.agent(agent)["state"] == "on_hold"
        assert (await story.bridge.unhold(agent)).ok
        await asyncio.sleep(0.5)
        assert story.bridge.agent(agent)["state"] == "talking"
        assert (await story.bridge.hangup(agent)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
    held = story.of(CallHeld, call_id=call_id)
    assert [h.held for h in held] == [True, False]
    assert 0.9 < ended.hold_seconds < 1.6
    assert ("on_hold", "") in story.agent_states(agent)


async def test_attended_transfer_consult_then_complete(asterisk):
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "hold")
        await story.bridge.pause(second, "小休")
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, first)
        await story.bridge.ready(second)
        consulting = time.time()
        assert (await story.bridge.consult(first, "agent", second)).ok
        await story.wait_for(AgentStateChanged, agent_id=second, state="talking")
        completing = time.time()
        assert (await story.bridge.complete_transfer(first)).ok
        await story.wait_for(
            AgentStateChanged, agent_id=first, state="ready", where=lambda e: e.previous != "not_ready"
        )
        await asyncio.sleep(0.3)
        call = next(c for c in story.bridge.calls() if c["call_id"] == call_id)
        assert (call["agent_id"], call["on_hold"]) == (second, False)  # the caller talks with the target
        assert (await story.bridge.hangup(second)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
    assert ended.agent_id == second
    assert story.of(CallTransferred, call_id=call_id, kind="attended")
    # the target is on the call from the consultation on; the first agent leaves at the completion
    assert [leg[0] for leg in ended.legs] == [first, second]
    assert ended.legs[1][1] < completing <= ended.legs[0][2] + 0.05
    # the caller was on hold while the agents talked, not after the completion
    assert 0 < ended.hold_seconds < completing - consulting + 0.5


async def test_attended_transfer_cancelled_returns_the_caller_to_the_agent(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await consulting(story)
        # the caller waits on hold for the agent who consults, and stays theirs
        call = next(c for c in story.bridge.calls() if c["call_id"] == call_id)
        assert (call["agent_id"], story.bridge.agent(first)["state"]) == (first, "on_hold")
        assert (await story.bridge.cancel_transfer(first)).ok
        await story.wait_for(
            AgentStateChanged, agent_id=second, state="ready", where=lambda e: e.previous == "talking"
        )
        await story.wait_for(
            AgentStateChanged, agent_id=first, state="talking", where=lambda e: e.previous == "on_hold"
        )
        call = next(c for c in story.bridge.calls() if c["call_id"] == call_id)
        assert (call["agent_id"], call["on_hold"]) == (first, False)
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
    assert ended.agent_id == first
    # the consulted agent was on the call for the consultation only
    (_, _, first_left), (consulted, _, consulted_left) = ended.legs
    assert consulted == second and consulted_left < first_left


async def test_click_to_dial_rings_the_agent_then_the_customer_with_the_hotline_number(asterisk):
    async with Story(asterisk, acw_seconds=1) as story:
        agent = await story.new_agent(ring="0", talk="hold")
        await story.bridge.login(agent, seat(agent), {QUEUE_B: 0})
        assert (await story.bridge.pause(agent, "小休")).ok  # 回呼 on a break, before 就绪
        await story.net.action("DBPut", Family="hotline-sim", Key="customer-talk", Val="2")
        seen_callerid = []
        # What the customer's phone shows: the caller ID of the channel that dials it.
        story.net.on_event(
            "DialBegin",
            lambda f: (
                seen_callerid.append(f.get("CallerIDNum"))
                if "hotline-sim-customer" in f.get("DestChannel")
                else None
            ),
        )
        result = await story.bridge.dial(agent, "13900139001")
        assert result.ok, result
        call_id = result.data["call_id"]
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=15)
        rec = await story.wait_for(RecordingReady, call_id=call_id)
        # its 话后处理 ends back on the break, still paused: no queue call is offered (QA F9)
        await story.wait_for(AgentStateChanged, agent_id=agent, previous="after_call_work")
        assert story.agent_states(agent)[-1] == ("not_ready", "小休")
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_B)
        member = next(f for f in status if f.name == "QueueMember" and f.get("Name") == agent)
        assert (member["Paused"], member["PausedReason"]) == ("1", "小休")
    assert ended.direction == "outbound"
    assert ended.outcome == "answered"
    assert ended.agent_id == agent
    assert ended.dnis == "13900139001"
    assert ended.hangup_side == "caller"  # the customer hung up after 2 s
    assert 1.7 < ended.ended_at - ended.answered_at < 2.5
    assert seen_callerid == ["95598"]
    assert rec.duration > 1.5
    states = [s for s, _ in story.agent_states(agent)]
    assert states[-4:] == ["ringing", "talking", "after_call_work", "not_ready"]


async def test_three_way_conference(asterisk):
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "hold")
        await story.bridge.pause(second, "小休")
        await story.call_in(QUEUE_A, stay=8)
        call_id = await answered_by(story, first)
        await story.bridge.ready(second)
        assert (await story.bridge.conference(first, second)).ok
        await story.wait_for(AgentStateChanged, agent_id=second, state="talking")
        # the caller may reach the conference after both agents (seen: 3 s later); the second
        # agent is on the call once the three are together
        await story.wait_for(CallAnswered, call_id=call_id, agent_id=second, timeout=10)
        channels = await story.net.action_list("CoreShowChannels")
        in_conf = [c["Channel"] for c in channels if c.get("Application") == "ConfBridge"]
        assert len(in_conf) == 3
        await story.bridge.hangup(first)
        await story.bridge.hangup(second)
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=25)
    assert story.of(CallTransferred, call_id=call_id, kind="conference")
    assert ended.outcome == "answered"
    # both agents with the caller at once: the second joined before the first left
    (_, _, first_left), (second_agent, second_joined, _) = ended.legs
    assert second_agent == second and second_joined < first_left


async def test_login_to_a_queue_that_does_not_exist_is_refused_and_leaves_nothing(asterisk):
    async with Story(asterisk) as story:
        agent = await story.new_agent()
        result = await story.bridge.login(agent, seat(agent), {QUEUE_A: 0, "no-such-queue": 0})
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
    assert (result.ok, result.reason) == (False, "asterisk_refused")
    assert not [f for f in status if f.name == "QueueMember" and f.get("Name") == agent]
    assert story.bridge.agent(agent)["state"] == "logged_out"


async def test_a_pause_made_outside_the_bridge_shows_on_the_seat(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "1")
        await story.net.action("QueuePause", Interface=seat(agent), Paused="true", Reason="培训")
        changed = await story.wait_for(AgentStateChanged, agent_id=agent, state="not_ready", reason="培训")
        await story.net.action("QueuePause", Interface=seat(agent), Paused="false")
        back = await story.wait_for(AgentStateChanged, agent_id=agent, where=lambda e: e.seq > changed.seq)
    assert back.state == "ready"


async def test_click_to_dial_nobody_answers_and_the_agent_hangs_up_is_a_failed_call(asterisk):
    async with Story(asterisk) as story:
        agent = await story.new_agent(ring="0", talk="hold")
        await story.bridge.login(agent, seat(agent), {QUEUE_B: 0})
        await story.bridge.ready(agent)
        result = await story.bridge.dial(
            agent, "13900000000"
        )  # ends in 0: the simulated customer never answers
        assert result.ok
        await asyncio.sleep(1.5)
        assert story.bridge.agent(agent)["state"] == "ringing"
        assert (await story.bridge.hangup(agent)).ok
        ended = await story.wait_for(CallEnded, call_id=result.data["call_id"])
        await story.bridge.flush()
    assert ended.outcome == "failed" and ended.answered_at == 0.0
    assert ended.direction == "outbound" and ended.agent_id == ""
    assert story.bridge.agent(agent)["state"] == "ready"


@pytest.mark.parametrize("mode", ["listen", "barge"])
async def test_supervisor_spies_on_an_agents_call(asterisk, mode):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        supervisor = await story.new_agent(ring="0", talk="hold")
        assert (await story.bridge.spy(seat(supervisor), agent, mode)).reason == "agent_not_on_call"
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, agent)
        assert (await story.bridge.spy(seat(supervisor), agent, "shout")).reason == "invalid_spy_mode"
        result = await story.bridge.spy(seat(supervisor), agent, mode)
        assert result.ok, result
        spying = []
        for _ in range(50):
            channels = await story.net.action_list("CoreShowChannels")
            spying = [c for c in channels if c.get("Application") == "ChanSpy"]
            if spying:
                break
            await asyncio.sleep(0.05)
        await story.bridge.hangup(agent)
        await story.wait_for(CallEnded, call_id=call_id)
        for c in await story.net.action_list("CoreShowChannels"):
            if c["Channel"].startswith(f"Local/{supervisor}@"):
                with contextlib.suppress(AmiActionError):
                    await story.net.action("Hangup", Channel=c["Channel"])
    assert spying and spying[0]["Channel"].startswith(f"Local/{supervisor}@")
    assert ("B" in spying[0].get("ApplicationData")) == (mode == "barge")


async def test_attended_transfer_to_a_queue(asterisk):
    async with Story(asterisk) as story:
        (first,) = await ready_agents(story, "hold")
        (other,) = await ready_agents(story, "hold", queue=QUEUE_B)
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, first)
        assert (await story.bridge.consult(first, "queue", QUEUE_B)).ok
        await story.wait_for(AgentStateChanged, agent_id=other, state="talking")
        assert (await story.bridge.complete_transfer(first)).ok
        await story.wait_for(
            AgentStateChanged, agent_id=first, state="ready", where=lambda e: e.previous != "not_ready"
        )
        await asyncio.sleep(0.3)
        assert (await story.bridge.hangup(other)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
        rec = await story.wait_for(RecordingReady, call_id=call_id)
    assert ended.agent_id == other
    assert story.of(CallTransferred, call_id=call_id, kind="attended", target=f"queue:{QUEUE_B}")
    # One writer on the call's file: its header is complete and it holds the whole talk.
    duration, complete = wav_info(rec.path)
    assert complete and duration == pytest.approx(rec.duration, abs=0.01)
    assert rec.duration >= 0.5  # ~0.4 s with the first agent, ~0.3 s with the second


async def test_a_seat_signed_out_on_a_call_finishes_it_takes_no_other_and_leaves_when_it_ends(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, agent)

        result = await story.bridge.sign_out_seat(agent)  # the admin disabled the account
        assert result.ok and result.data["pending"] == "logged_out", result
        assert story.bridge.agent(agent)["state"] == "talking"  # the call goes on
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
        member = next(f for f in status if f.name == "QueueMember" and f.get("Name") == agent)
        assert (member["Paused"], member["PausedReason"]) == ("1", "账号停用")

        await story.call_in(QUEUE_A, caller="13900000002", stay=30)  # not offered to the paused seat
        await asyncio.sleep(1.2)  # app_queue offers on joining, and again each second (retry)
        assert not [e for e in story.of(CallOffered, agent_id=agent) if e.call_id != call_id]
        assert not story.of(CallEnded, call_id=call_id)

        assert (await story.bridge.hangup(agent)).ok  # the agent ends the call
        await story.wait_for(CallEnded, call_id=call_id)
        await story.wait_for(AgentStateChanged, agent_id=agent, state="logged_out")
        await asyncio.sleep(0.3)
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
        assert not [f for f in status if f.name == "QueueMember" and f.get("Name") == agent]
        assert story.bridge.agent(agent)["state"] == "logged_out"
    assert story.agent_states(agent)[-2:] == [("not_ready", "账号停用"), ("logged_out", "")]


async def test_a_seat_signed_out_off_a_call_leaves_its_queues_at_once(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "1")
        result = await story.bridge.sign_out_seat(agent)
        assert result.ok and "pending" not in result.data
        assert story.bridge.agent(agent)["state"] == "logged_out"
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
        assert not [f for f in status if f.name == "QueueMember" and f.get("Name") == agent]


async def test_signing_out_while_the_phone_rings_withdraws_the_offer_for_the_next_agent(asterisk):
    async with Story(asterisk) as story:
        leaving = await story.new_agent(ring="2", talk="hold")  # would pick up after 2 s
        assert (await story.bridge.login(leaving, seat(leaving), {QUEUE_A: 0})).ok
        assert (await story.bridge.ready(leaving)).ok
        (colleague,) = await ready_agents(story, "hold")
        assert (await story.bridge.pause(colleague, "小休")).ok
        await story.call_in(QUEUE_A, stay=20)
        offer = await story.wait_for(CallOffered, agent_id=leaving)
        result = await story.bridge.logout(leaving)  # 下班 while it rings
        assert result.ok, result
        # hung up: gone from Asterisk a moment after the Hangup it answered
        for _ in range(100):
            channels = await story.net.action_list("CoreShowChannels")
            left = [f for f in channels if f.get("Channel").startswith(f"Local/{leaving}@")]
            if not left:
                break
            await asyncio.sleep(0.02)
        assert not left
        assert (await story.bridge.ready(colleague)).ok
        # the caller waited on in the queue and goes to the next agent, never to the signed-out seat
        answered = await story.wait_for(CallAnswered, agent_id=colleague, timeout=10)
        # past the moment the signed-out seat's phone would have answered (2 s after it rang)
        assert offer.offered_at > 0, offer
        await asyncio.sleep(max(0.0, offer.offered_at + 2.5 - time.time()))
        assert answered.call_id == offer.call_id
        assert not story.of(CallAnswered, agent_id=leaving)
        assert story.bridge.agent(leaving)["state"] == "logged_out"

        # Back at the seat, the colleague blind-transfers the caller to it: [hotline-transfer]
        # hangs the caller up when its Dial ends, so 下班 while that rings is refused, nothing is
        # hung up, and the phone, answering, takes the caller.
        assert (await story.bridge.login(leaving, seat(leaving), {QUEUE_A: 0})).ok
        assert (await story.bridge.ready(leaving)).ok
        assert (await story.bridge.transfer(colleague, "agent", leaving)).ok
        for _ in range(100):
            if story.bridge.agent(leaving)["state"] == "ringing":
                break
            await asyncio.sleep(0.02)
        refused = await story.bridge.logout(leaving)
        assert (refused.ok, refused.reason) == (False, "agent_ringing_transfer")
        transferred = await story.wait_for(CallAnswered, agent_id=leaving, timeout=10)
        assert transferred.call_id == offer.call_id
        await asyncio.sleep(0.3)
        assert not story.of(CallEnded, call_id=offer.call_id)  # the caller is still there
        assert story.bridge.agent(leaving)["state"] == "talking"
        assert (await story.bridge.hangup(leaving)).ok
        ended = await story.wait_for(CallEnded, call_id=offer.call_id, timeout=10)
    assert (ended.agent_id, ended.hangup_side) == (leaving, "agent")


async def test_hanging_up_a_held_call_ends_the_callers_call_too(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, agent)
        assert (await story.bridge.hold(agent)).ok
        await asyncio.sleep(0.5)
        hanging_up = time.time()
        assert (await story.bridge.hangup(agent)).ok  # 保持 → 挂断
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=5)
        await asyncio.sleep(0.3)
        left = [
            c for c in await story.net.action_list("CoreShowChannels") if c.get("Context") == "hotline-hold"
        ]
        assert not [c for c in left if c.get("Linkedid") == call_id], left
        assert story.bridge.agent(agent)["state"] == "ready"
    assert (ended.outcome, ended.hangup_side, ended.agent_id) == ("answered", "agent", agent)
    assert ended.ended_at - hanging_up < 1.5
    assert 0.4 < ended.hold_seconds < 1.5  # the hold ends with the call, not when the caller gives up


@pytest.mark.parametrize("side", ["caller", "agent"])
async def test_one_side_hanging_up_on_hold_ends_the_other_and_the_seat_goes_to_after_call_work(
    asterisk, side
):
    """Held apart in hotline-hold, the caller's leg (or the agent's, hung up on the phone) ends
    the other: the call ends there and then, not when the other leg's hour in hold runs out."""
    async with Story(asterisk, acw_seconds=30) as story:
        (agent,) = await ready_agents(story, "hold" if side == "caller" else "2")
        await story.call_in(QUEUE_A, stay=2 if side == "caller" else 30)
        call_id = await answered_by(story, agent)
        assert (await story.bridge.hold(agent)).ok
        holding = time.time()
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=5)  # hung up at 2 s
        rec = await story.wait_for(RecordingReady, call_id=call_id)
        await story.bridge.flush()
        # the agent's leg left hotline-hold with the caller: nothing of the call is left in Asterisk
        assert not await _channels_of(story, call_id)
        agent_now = story.bridge.agent(agent)
        assert (agent_now["state"], agent_now["reason"], agent_now["call_id"]) == (
            "after_call_work",
            "话后处理",
            call_id,
        )
        assert not [c for c in story.bridge.calls() if c["call_id"] == call_id]
    assert (ended.outcome, ended.hangup_side, ended.agent_id) == ("answered", side, agent)
    assert [leg[0] for leg in ended.legs] == [agent]
    assert 0.5 < ended.hold_seconds < ended.ended_at - holding + 0.1  # held until the hang-up
    assert [h.held for h in story.of(CallHeld, call_id=call_id)] == [True]
    # closed with the call: MixMonitor's b records the bridged talk only, not the time on hold
    assert wav_info(rec.path) == (pytest.approx(rec.duration, abs=0.01), True)
    assert rec.duration < ended.ended_at - ended.answered_at - 0.5
    assert story.agent_states(agent)[-2:] == [("on_hold", ""), ("after_call_work", "话后处理")]


async def test_the_held_caller_hanging_up_during_a_consult_ends_the_record_at_once(asterisk):
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "hold")
        await story.bridge.pause(second, "小休")
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, first)
        await story.bridge.ready(second)
        assert (await story.bridge.consult(first, "agent", second)).ok
        await story.wait_for(AgentStateChanged, agent_id=second, state="talking")
        # the bridge knows the consult: a reloaded console gets it in the agent's snapshot
        consult = story.bridge.agent(first)["consult"]
        assert consult == {"call_id": call_id, "target": f"agent:{second}", "caller_gone": False}
        await _caller_hangs_up(story, call_id)
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=8)
        await story.bridge.flush()
        # at once, with the caller's hang-up, not when the agents end their talk
        assert story.bridge.agent(first)["state"] == "talking"  # with the target, no longer 保持
        assert story.bridge.agent(second)["state"] == "talking"
        assert story.bridge.agent(first)["consult"]["caller_gone"] is True
        assert not [c for c in story.bridge.calls() if c["call_id"] == call_id]  # off the wallboard
        refused = await story.bridge.complete_transfer(first)
        assert (refused.ok, refused.reason) == (False, "caller_gone")
        assert (await story.bridge.cancel_transfer(first)).ok  # ends the consult leg
        await story.wait_for(
            AgentStateChanged, agent_id=first, state="ready", where=lambda e: e.previous == "talking"
        )
        await story.wait_for(
            AgentStateChanged, agent_id=second, state="ready", where=lambda e: e.previous == "talking"
        )
        await story.bridge.flush()
        assert story.bridge.agent(first)["consult"] is None
    assert (ended.outcome, ended.hangup_side, ended.agent_id) == ("answered", "caller", first)
    assert not story.of(CallTransferred, call_id=call_id, kind="attended")
    assert len(story.of(CallEnded, call_id=call_id)) == 1
    assert [e.state for e in story.of(ConsultChanged, agent_id=first)] == [
        "consulting",
        "caller_gone",
        "ended",
    ]


async def _caller_hangs_up(story: Story, call_id: str) -> None:
    """The held caller hangs up now: their own end (the hotline-sim-caller half of the Local pair),
    as its Hangup() would once its stay ran out, without the story waiting for that."""
    own = [
        c["Channel"] for c in await _channels_of(story, call_id) if c.get("Context") == "hotline-sim-caller"
    ]
    assert len(own) == 1, own
    await story.net.action("Hangup", Channel=own[0])


async def _channels_of(story: Story, call_id: str) -> list[dict]:
    return [c for c in await story.net.action_list("CoreShowChannels") if c.get("Linkedid") == call_id]


async def test_transfer_consult_and_conference_wait_for_the_held_call_to_be_taken_back(asterisk):
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "1")  # the target talks 1 s
        await story.bridge.pause(second, "小休")
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, first)
        await story.bridge.ready(second)
        assert (await story.bridge.hold(first)).ok
        await asyncio.sleep(0.5)
        # held, the agent's leg is bridged to nobody: Asterisk would ring nobody (Atxfer) or refuse
        # (BlindTransfer); the agent is told to take the call back first
        consult = await story.bridge.consult(first, "agent", second)
        assert (consult.ok, consult.reason) == (False, "unhold_first")
        transfer = await story.bridge.transfer(first, "agent", second)
        assert (transfer.ok, transfer.reason) == (False, "unhold_first")
        # a conference would take the held caller out of hotline-hold into the room: the same wait
        conference = await story.bridge.conference(first, second)
        assert (conference.ok, conference.reason) == (False, "conference_unhold_first")
        await story.bridge.flush()
        assert story.bridge.agent(first)["consult"] is None
        assert (story.bridge.agent(first)["state"], story.bridge.agent(second)["state"]) == (
            "on_hold",
            "ready",
        )
        assert (await story.bridge.complete_transfer(first)).reason == "no_consultation"
        # taken back, the same transfer goes through
        assert (await story.bridge.unhold(first)).ok
        await asyncio.sleep(0.5)
        assert (await story.bridge.transfer(first, "agent", second)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=15)
    assert ended.agent_id == second
    assert [leg[0] for leg in ended.legs] == [first, second]


async def test_completing_a_consult_with_no_leg_to_the_target_keeps_the_caller(asterisk):
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "hold")
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, first)
        # the bridge counts a consultation that Asterisk never rang anyone for (as an Atxfer on a
        # leg bridged to nobody did): 完成转接 must not hang up the agent's leg and strand the caller
        agent = story.bridge.model.agents.get(first)
        call = story.bridge.model.calls[call_id]
        customer = call.customer_channel
        _, agent_channel, _ = story.bridge.commands._on_call(agent)
        story.bridge.model.consult_started(agent, call, agent_channel, f"agent:{second}", time.time())
        refused = await story.bridge.complete_transfer(first)
        assert (refused.ok, refused.reason) == (False, "no_consult_target")
        await asyncio.sleep(0.5)
        names = [c["Channel"] for c in await _channels_of(story, call_id)]
        assert customer in names and agent_channel in names, names  # nobody hung up
        assert story.bridge.agent(first)["state"] == "talking"
        assert [c["agent_id"] for c in story.bridge.calls() if c["call_id"] == call_id] == [first]
        story.bridge.model.consult_over(agent, time.time())  # no Atxfer to cancel: the bookkeeping only
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
    assert (ended.agent_id, ended.hangup_side) == (first, "agent")
    assert not story.of(CallTransferred, call_id=call_id)
