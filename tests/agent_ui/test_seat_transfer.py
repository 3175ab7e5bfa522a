"""Attended transfer (consult → cancel) and the three-way conference from the console's
websocket, on the real Asterisk through the real CTI bridge."""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest

from cti.ami import AmiActionError
from tests.agent_ui.test_seat_asterisk import QUEUE, Tab, call_in, seat  # noqa: F401 (the fixture)

pytestmark = pytest.mark.asterisk


@pytest.fixture
async def colleague(seat):  # noqa: F811
    """A second agent in the console's queue, paused until the first one has the call."""
    _, net, bridge = seat
    other = f"7{random.randint(1000, 9999)}"
    interface = f"Local/{other}@hotline-sim-phone/n"
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{other}", Val="0")  # answers at once
    await net.action("DBPut", Family="hotline-sim", Key=f"talk-{other}", Val="hold")
    assert (await bridge.login(other, interface, {QUEUE: 5})).ok
    assert (await bridge.pause(other, "小休")).ok
    yield other
    with contextlib.suppress(Exception):
        await bridge.logout(other)
    with contextlib.suppress(Exception):
        await net.action("QueueRemove", Queue=QUEUE, Interface=interface)


async def _answered_call(tab: Tab, net, staff_no: str) -> str:
    # the seat's phone answers at once (the fixture's rings 1 s): these stories start on the call
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{staff_no}", Val="0")
    assert (await tab.command("ready"))["type"] == "ack"
    await tab.next("agent_state", state="ready", agent_id=staff_no)
    await call_in(net)
    answered = await tab.next("call", event="CallAnswered", within=10)
    await asyncio.sleep(0.3)  # both legs bridged
    return answered["event"]["call_id"]


async def _state_becomes(bridge, agent_id: str, *states: str, within: float = 10.0) -> str:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        state = (bridge.agent(agent_id) or {}).get("state")
        if state in states:
            return state
        assert asyncio.get_running_loop().time() < deadline, f"{agent_id} stayed {state}, not {states}"
        await asyncio.sleep(0.1)


async def test_consult_a_colleague_then_cancel_keeps_the_caller(client, seat, colleague):  # noqa: F811
    staff_no, net, bridge = seat
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        call_id = await _answered_call(tab, net, staff_no)
        assert (await bridge.ready(colleague)).ok

        early = await tab.command("complete_transfer")
        assert early["type"] == "refused" and early["error_id"] == "no_consultation"
        assert "咨询" in early["message"]
        missing = await tab.command("consult")
        assert missing["type"] == "refused" and missing["error_id"] == "request.invalid"

        ack = await tab.command("consult", target=colleague)
        assert ack["type"] == "ack", ack
        assert ack["result"]["call_id"] == call_id
        await _state_becomes(bridge, colleague, "talking")
        pushed = await tab.next("consult", state="consulting")
        assert pushed["event"]["target"] == f"agent:{colleague}"
        async with client.ws_connect("/ws") as reloaded:  # the page reloaded during the consult
            snapshot = await Tab(reloaded).next("snapshot")
        consult = snapshot["agent"]["consult"]  # so 完成转接 / 取消咨询 come back
        assert consult == {"call_id": call_id, "target": f"agent:{colleague}", "caller_gone": False}

        assert (await tab.command("cancel_transfer"))["type"] == "ack"
        await tab.next("consult", state="ended")
        await _state_becomes(bridge, colleague, "ready", "after_call_work", "not_ready")
        assert bridge.agent(staff_no)["state"] in ("talking", "on_hold")
        again = await tab.command("cancel_transfer")
        assert again["type"] == "refused" and again["error_id"] == "no_consultation"

        assert (await tab.command("hangup"))["type"] == "ack"
        ended = await tab.next("call", event="CallEnded", within=10)
        assert ended["event"]["call_id"] == call_id and ended["event"]["agent_id"] == staff_no


async def test_a_three_way_conference_with_a_colleague(client, seat, colleague):  # noqa: F811
    staff_no, net, bridge = seat
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        call_id = await _answered_call(tab, net, staff_no)

        paused = await tab.command("conference", agent=colleague)  # on a break (小休), not busy
        assert paused["type"] == "refused" and paused["error_id"] == "conference_target_not_ready"
        assert paused["message"] == "三方通话对象未就绪（小休）。"  # a colleague to join, not a transfer
        busy = await tab.command("transfer", target=staff_no)  # on a call: the agent themselves
        assert (busy["error_id"], busy["message"]) == ("target_busy", "转接目标正忙。")
        assert (await bridge.logout(colleague)).ok
        signed_out = await tab.command("consult", target=colleague)
        assert (signed_out["error_id"], signed_out["message"]) == (
            "target_logged_out",
            "转接目标未签入（已下班）。",
        )
        interface = f"Local/{colleague}@hotline-sim-phone/n"
        assert (await bridge.login(colleague, interface, {QUEUE: 5})).ok
        nobody = await tab.command("conference", agent="99999")
        assert nobody["type"] == "refused" and nobody["error_id"] == "conference_unknown_target"
        assert nobody["message"] == "三方通话对象不存在。"

        ready = await bridge.ready(colleague)
        assert ready.ok, ready
        ack = await tab.command("conference", agent=colleague)
        assert ack["type"] == "ack", ack
        await _state_becomes(bridge, colleague, "talking")
        in_room: list[str] = []
        for _ in range(50):
            channels = await net.action_list("CoreShowChannels")
            in_room = [
                c["Channel"]
                for c in channels
                if c.get("Application") == "ConfBridge"
                and (c.get("ApplicationData") or "").startswith(call_id)
            ]
            if len(in_room) == 3:
                break
            await asyncio.sleep(0.1)
        assert len(in_room) == 3, in_room  # the caller, the agent and the colleague

        assert (await tab.command("hangup"))["type"] == "ack"
        await _state_becomes(bridge, staff_no, "ready", "after_call_work", "not_ready")
        # the caller stays in the room with the colleague until they hang up too
        assert (await bridge.hangup(colleague)).ok
        for channel in in_room:
            with contextlib.suppress(AmiActionError):
                await net.action("Hangup", Channel=channel)
        for _ in range(100):
            if all(c["call_id"] != call_id for c in bridge.calls()):
                break
            await asyncio.sleep(0.1)
        assert all(c["call_id"] != call_id for c in bridge.calls())


async def test_consult_a_colleague_then_complete_hands_the_caller_over(client, seat, colleague):  # noqa: F811
    staff_no, net, bridge = seat
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        call_id = await _answered_call(tab, net, staff_no)
        assert (await bridge.ready(colleague)).ok
        assert (await tab.command("consult", target=colleague))["type"] == "ack"
        await _state_becomes(bridge, colleague, "talking")
        assert (await tab.command("complete_transfer"))["type"] == "ack"
        await _state_becomes(bridge, staff_no, "ready", "after_call_work", "not_ready")
        for _ in range(50):
            call = next((c for c in bridge.calls() if c["call_id"] == call_id), None)
            if call and call["agent_id"] == colleague:
                break
            await asyncio.sleep(0.1)
        assert call is not None and call["agent_id"] == colleague  # the caller is the colleague's now
        assert (await bridge.hangup(colleague)).ok


async def test_a_held_call_is_taken_back_before_a_transfer_consult_or_conference(client, seat, colleague):  # noqa: F811
    staff_no, net, bridge = seat
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        call_id = await _answered_call(tab, net, staff_no)
        assert (await bridge.ready(colleague)).ok
        assert (await tab.command("hold"))["type"] == "ack"
        await _state_becomes(bridge, staff_no, "on_hold")
        for command in ("transfer", "consult"):
            refused = await tab.command(command, target=colleague)
            assert (refused["type"], refused["error_id"]) == ("refused", "unhold_first"), refused
            assert refused["message"] == "通话正在保持：请先取回通话，再转接或咨询转接。"
        refused = await tab.command("conference", agent=colleague)
        assert (refused["type"], refused["error_id"]) == ("refused", "conference_unhold_first"), refused
        assert refused["message"] == "通话正在保持：请先取回通话，再发起三方通话。"
        assert bridge.agent(colleague)["state"] == "ready"  # nobody rang
        done = await tab.command("complete_transfer")
        assert (done["type"], done["error_id"]) == ("refused", "no_consultation")
        # the caller is still held for this agent, on the wallboard, and comes back on 取回
        assert [c["agent_id"] for c in bridge.calls() if c["call_id"] == call_id] == [staff_no]
        assert (await tab.command("unhold"))["type"] == "ack"
        await _state_becomes(bridge, staff_no, "talking")
        assert (await tab.command("hangup"))["type"] == "ack"
        ended = await tab.next("call", event="CallEnded", within=10)
        assert ended["event"]["call_id"] == call_id and ended["event"]["agent_id"] == staff_no
