"""The supervisors' wallboard: who may open it, its feed over the websocket, and
listen / whisper / barge through the real CTI bridge on the real Asterisk."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random

import pytest
from sqlalchemy import select

from cti.ami import AmiActionError
from tests.agent_ui.conftest import PASSWORD, login
from tests.agent_ui.test_seat_asterisk import QUEUE, Tab, call_in, seat  # noqa: F401 (the fixture)
from ticketing import users
from ticketing.models import Site, User


async def test_only_supervisors_team_leaders_and_admins_open_the_wallboard(client, aiohttp_client):
    await login(client, "1001")
    refused = await client.get("/wallboard")
    assert refused.status == 403
    assert "/wallboard" not in await (await client.get("/")).text()  # no menu entry for an agent
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        for cmd, args in (
            ("wallboard", {}),
            ("spy", {"agent": "1002", "mode": "listen"}),
            ("spy_stop", {"spy": "spy-123"}),
            ("spy_mode", {"spy": "spy-123", "mode": "barge"}),
        ):
            answer = await tab.command(cmd, **args)
            assert answer["type"] == "refused" and answer["error_id"] == "role.forbidden", answer
            assert "角色" in answer["message"]

    for staff_no in ("3001", "9001"):
        other = await aiohttp_client(client.server)
        await login(other, staff_no)
        page = await other.get("/wallboard")
        assert page.status == 200
        html = await page.text()
        assert 'data-page="wallboard"' in html and "服务水平" in html and 'href="/wallboard"' in html


async def test_a_team_leaders_wallboard_has_no_listen_whisper_barge(client, aiohttp_client):
    """README and DOMAIN: 班长 gets 置忙 / 强制下班 / 结束话后处理 on their team; 监听 / 耳语 / 强插
    are the supervisors' (calls.supervise): the board tells wallboard.js whether to draw them."""
    await login(client, "3001")  # 张班长, a team leader here
    html = await (await client.get("/wallboard")).text()
    assert 'data-may-spy="false"' in html and 'href="/wallboard"' in html
    admin = await aiohttp_client(client.server)
    await login(admin, "9001")
    assert 'data-may-spy="true"' in await (await admin.get("/wallboard")).text()


async def test_the_service_level_says_what_it_divides_by(client):
    """The level is over the calls decided so far (wallboard.js), not over every call offered."""
    import html

    csrf = await login(client, "3001")
    page = html.unescape(await (await client.get("/wallboard")).text())
    assert (
        'title="20 秒内接通数 ÷ 已有结果的来电数（接通 + 放弃 + 溢出，5 秒内放弃的不计；仍在排队的不计）"'
        in page
    )
    await client.post("/lang", data={"lang": "en", "_csrf": csrf})
    page = html.unescape(await (await client.get("/wallboard")).text())
    assert (
        'title="Answered within 20 s ÷ calls decided so far (answered + abandoned + overflowed, '
        'not counting calls abandoned within 5 s; calls still waiting are not counted)"'
    ) in page


async def test_the_board_comes_first_and_spying_without_asterisk_is_refused(client, world):
    async with world.services.sessionmaker.begin() as db:
        await users.create_user(db, "8101", "投诉坐席", PASSWORD, roles=["agent"], skills={"complaint": 1})
    await login(client, "3001")
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        board = await tab.wallboard()
        assert board["connected"] is False and board["agents"] == [] and board["queues"] == []
        # the queues to show even while empty: every user's skills, and the default skills
        staffed = board["staffed_queues"]
        assert "complaint" in staffed and set(world.services.default_skills) <= set(staffed), staffed
        assert staffed == sorted(staffed)
        # a team leader listens to no call, their own team's included (test_spy_reach)
        async with world.services.sessionmaker.begin() as db:
            leader = await db.scalar(select(User).where(User.staff_no == "3001"))
            await users.create_user(db, "8102", "班组坐席", PASSWORD, roles=["agent"], manager_id=leader.id)
        refused = await tab.command("spy", agent="8102", mode="listen")
        assert refused["type"] == "refused" and refused["error_id"] == "role.forbidden", refused
    # a supervisor's spy gets to the bridge, which is down
    await login(client, "9001")
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        await tab.wallboard()
        down = await tab.command("spy", agent="8102", mode="listen")
        assert down["type"] == "refused" and down["error_id"] == "cti.unavailable", down


async def test_the_board_hears_seats_join_and_leave_queues(client, aiohttp_client, world):
    """The board counts a queue's ready agents from its members: a seat signing in after the board
    was sent must reach it (only the boards: a seat's own tab has no use for it)."""
    from cti.call_events import QueueMemberChanged

    await login(client, "3001")
    agent = await aiohttp_client(client.server)
    await login(agent, "1001")
    async with client.ws_connect("/ws") as ws, agent.ws_connect("/ws") as agent_ws:
        tab, seat_tab = Tab(ws), Tab(agent_ws)
        await tab.next("snapshot")
        await seat_tab.next("snapshot")
        await tab.wallboard()
        await world.bus.publish(QueueMemberChanged(queue="fault", interface="PJSIP/1001", agent_id="1001"))
        joined = await tab.next("board_member", queue="fault")
        assert joined["event"]["agent_id"] == "1001" and joined["event"]["removed"] is False
        await world.bus.publish(
            QueueMemberChanged(queue="fault", interface="PJSIP/1001", agent_id="1001", removed=True)
        )
        assert (await tab.next("board_member", queue="fault"))["event"]["removed"] is True
        with contextlib.suppress(TimeoutError):
            extra = await seat_tab.next("board_member", within=0.5)
            raise AssertionError(f"a seat's tab got the board's message: {extra}")


async def test_a_seat_signing_in_while_the_board_is_open_comes_with_its_name(client, aiohttp_client, world):
    """The board's present names every seat (王坐席 1001); one that signs in later is named too,
    by a board_agent after its agent_state, to the boards only."""
    from cti.call_events import AgentStateChanged

    await login(client, "3001")
    agent = await aiohttp_client(client.server)
    await login(agent, "1001")
    async with client.ws_connect("/ws") as ws, agent.ws_connect("/ws") as agent_ws:
        tab, seat_tab = Tab(ws), Tab(agent_ws)
        await tab.next("snapshot")
        await seat_tab.next("snapshot")
        await tab.wallboard()
        await world.bus.publish(
            AgentStateChanged(
                agent_id="1001", state="not_ready", previous="logged_out", seconds_in_previous=0
            )
        )
        assert (await tab.next("agent_state"))["event"]["agent_id"] == "1001"
        named = await tab.next("board_agent")
        assert named["event"] == {"agent_id": "1001", "name": "王坐席"}
        # a change of state of a seat already signed in is not looked up again
        await world.bus.publish(
            AgentStateChanged(agent_id="1001", state="ready", previous="not_ready", seconds_in_previous=3)
        )
        await tab.next("agent_state", within=2)
        with contextlib.suppress(TimeoutError):
            extra = await tab.next("board_agent", within=0.5)
            raise AssertionError(f"a state change looked the name up again: {extra}")
        with contextlib.suppress(TimeoutError):
            extra = await seat_tab.next("board_agent", within=0.5)
            raise AssertionError(f"a seat's tab got the board's message: {extra}")


@pytest.mark.asterisk
async def test_a_supervisor_sees_the_call_on_the_board_and_listens_in(client, aiohttp_client, world, seat):  # noqa: F811
    staff_no, net, bridge = seat
    boss = f"8{random.randint(1000, 9999)}"
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site.id).where(Site.code == "HQ"))
        await users.create_user(
            db, boss, "监控班长", PASSWORD, roles=["supervisor"], must_change_password=False, site_id=hq
        )
    # the supervisor's own (simulated) phone answers at once and stays on the line
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{boss}", Val="0")
    await net.action("DBPut", Family="hotline-sim", Key=f"talk-{boss}", Val="hold")
    supervisor = await aiohttp_client(client.server)
    await login(supervisor, boss)
    async with client.ws_connect("/ws") as agent_ws, supervisor.ws_connect("/ws") as boss_ws:
        agent, board_tab = Tab(agent_ws), Tab(boss_ws)
        await agent.next("snapshot")
        await board_tab.next("snapshot")
        assert (await board_tab.wallboard())["connected"] is True
        assert (await agent.command("ready"))["type"] == "ack"
        await board_tab.next("agent_state", agent_id=staff_no, state="ready")
        board = await board_tab.wallboard()  # again: the board now has the seat
        seats = {a["agent_id"]: a for a in board["agents"]}
        assert seats[staff_no]["state"] == "ready" and seats[staff_no]["name"] == "真坐席"
        assert QUEUE in {q["queue"] for q in board["queues"]}

        idle = await board_tab.command("spy", agent=staff_no, mode="listen")
        assert idle["type"] == "refused" and idle["error_id"] == "agent_not_on_call"
        assert "通话" in idle["message"]
        bad = await board_tab.command("spy", agent=staff_no, mode="shout")
        assert bad["type"] == "refused" and bad["error_id"] == "request.invalid"

        await call_in(net)
        answered = await board_tab.next("board_call", event="CallAnswered", agent_id=staff_no, within=10)
        assert answered["event"]["caller"].endswith("13800138000")
        await board_tab.next("queue", queue=QUEUE)
        await asyncio.sleep(0.3)  # both legs bridged

        ack = await board_tab.command("spy", agent=staff_no, mode="listen")
        assert ack["type"] == "ack", ack
        assert ack["result"]["call_id"] == answered["event"]["call_id"]
        spying: list[dict] = []
        for _ in range(50):
            spying = [
                c
                for c in await net.action_list("CoreShowChannels")
                if c.get("Application") == "ChanSpy" and c["Channel"].startswith(f"Local/{boss}@")
            ]
            if spying:
                break
            await asyncio.sleep(0.1)
        assert spying, "the supervisor's seat never started listening"
        assert "q" in spying[0].get("ApplicationData", "") and "B" not in spying[0].get("ApplicationData", "")
        spy_id = ack["result"]["spy_channel_id"]

        # the board says who listens to which seat, and a reload still does
        started = (await board_tab.next("board_spy", spy_id=spy_id, ended=False))["event"]
        assert (started["agent_id"], started["supervisor"], started["supervisor_name"], started["mode"]) == (
            staff_no,
            boss,
            "监控班长",
            "listen",
        )
        assert started["call_id"] == answered["event"]["call_id"]
        reloaded = await board_tab.wallboard()
        assert [(s["spy_id"], s["agent_id"], s["mode"]) for s in reloaded["spies"]] == [
            (spy_id, staff_no, "listen")
        ]

        switched = await board_tab.command("spy_mode", spy=spy_id, mode="whisper")
        assert switched["type"] == "ack", switched
        assert (await board_tab.next("board_spy", spy_id=spy_id, mode="whisper"))["event"]["ended"] is False

        # 结束监听: only the supervisor's spy channel goes, the customer's call stays with the agent
        stopped = await board_tab.command("spy_stop", spy=spy_id)
        assert stopped["type"] == "ack", stopped
        await board_tab.next("board_spy", spy_id=spy_id, ended=True, within=10)
        # the spy's Local pair and the supervisor's phone go a moment after ChanSpy itself
        for _ in range(50):
            channels = await net.action_list("CoreShowChannels")
            if not any(c["Channel"].startswith(f"Local/{boss}@") for c in channels):
                break
            await asyncio.sleep(0.1)
        assert not any(c["Channel"].startswith(f"Local/{boss}@") for c in channels), [
            (c["Channel"], c.get("Application")) for c in channels
        ]
        await asyncio.sleep(0.5)
        assert bridge.agent(staff_no)["state"] == "talking"
        assert answered["event"]["call_id"] in {c["call_id"] for c in bridge.calls()}
        again = await board_tab.command("spy_stop", spy=spy_id)
        assert (
            again["type"] == "refused" and again["error_id"] == "unknown_spy" and "结束" in again["message"]
        )
        # the agent was never told
        with contextlib.suppress(TimeoutError):
            while True:
                agent.seen.append(json.loads((await asyncio.wait_for(agent_ws.receive(), 0.3)).data))
        assert not [m for m in agent.seen if m.get("type") == "board_spy" or "spy" in json.dumps(m)]

        assert (await agent.command("hangup"))["type"] == "ack"
        await board_tab.next("board_call", event="CallEnded", within=10)
    for c in await net.action_list("CoreShowChannels"):
        if c["Channel"].startswith(f"Local/{boss}@"):
            with contextlib.suppress(AmiActionError):
                await net.action("Hangup", Channel=c["Channel"])
