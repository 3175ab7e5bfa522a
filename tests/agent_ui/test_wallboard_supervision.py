"""The wallboard's seat actions, second round: a team leader's reach (agents only, never a
colleague's or a superior's seat), the pending forced changes in a (re)opened board, the board's
own list of on-call states, and a sign-out whose seat answers meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy import select

import agent_ui
from agent_ui.supervision import BACKSTOP_PENALTY, FORCED_WAITS_IN
from tests.agent_ui.conftest import PASSWORD, login
from tests.agent_ui.test_seat_asterisk import QUEUE, Tab, call_in, seat  # noqa: F401 (the fixture)
from tests.agent_ui.test_seat_force import _audits
from ticketing import users
from ticketing.models import Department, User


async def _user(world, staff_no: str, name: str, roles: list[str], **fields) -> None:
    async with world.services.sessionmaker.begin() as db:
        user = await users.create_user(db, staff_no, name, PASSWORD, roles=roles, must_change_password=False)
        for key, value in fields.items():
            setattr(user, key, value)


async def _tab(http, staff_no: str) -> Tab:
    await login(http, staff_no)
    tab = Tab(await http.ws_connect("/ws"))
    await tab.next("snapshot")
    return tab


async def test_a_team_leader_reaches_only_the_agents_of_their_team(client, world):
    """张班长 3001 manages 一班, which also holds a supervisor, another team leader and an admin, and
    has a supervisor reporting to them: none of those seats is theirs to force, only the agent's."""
    async with world.services.sessionmaker.begin() as db:
        leader = await db.scalar(select(User).where(User.staff_no == "3001"))
        dept = Department(code="T2", name="二班", manager_id=leader.id)
        db.add(dept)
        await db.flush()
        dept_id, leader_id = dept.id, leader.id
    await _user(world, "1201", "二班坐席", ["agent"], department_id=dept_id)
    await _user(world, "3201", "二班监控", ["supervisor", "agent"], department_id=dept_id)
    await _user(world, "3202", "副班长", ["team_leader", "agent"], department_id=dept_id)
    await _user(world, "9201", "二班管理员", ["admin", "agent"], department_id=dept_id)
    await _user(world, "3203", "汇报的监控", ["supervisor"], manager_id=leader_id)
    await _user(world, "5201", "二班处理人", ["handler"], department_id=dept_id)
    tab = await _tab(client, "3001")
    page = await (await client.get("/wallboard")).text()
    assert 'data-force-scope="1201"' in page, page[page.find("data-force-scope") :][:80]
    for target in ("3201", "3202", "9201", "3203", "5201"):
        for cmd in ("force_pause", "force_sign_out", "force_acw_end"):
            answer = await tab.command(cmd, agent=target)
            assert answer["type"] == "refused" and answer["error_id"] == "seat_force.not_your_team", (
                target,
                cmd,
                answer,
            )
    answer = await tab.command("force_sign_out", agent="1201")
    assert answer["error_id"] == "cti.unavailable", answer  # past the team check, to the bridge (none)
    await tab.ws.close()


# -- on the real Asterisk -------------------------------------------------------------------------
async def _queue_member(net, staff_no: str, queue: str = QUEUE) -> dict | None:
    for frame in await net.action_list("QueueStatus", Queue=queue):
        if frame.get("Event") == "QueueMember" and staff_no in (
            frame.get("Location") or frame.get("Interface") or ""
        ):
            return {key: frame.get(key) for key in ("Paused", "PausedReason", "Penalty")}
    return None


async def _board(http, staff_no: str) -> tuple[Tab, dict]:
    tab = await _tab(http, staff_no)
    return tab, await tab.wallboard()


async def test_a_board_opened_after_a_force_shows_the_change_still_waiting_for_the_call(
    client,
    aiohttp_client,
    world,
    seat,  # noqa: F811
):
    """钱监控 sets a talking seat 未就绪: a wallboard opened afterwards (or reconnecting) shows the
    pause waiting for the call as the boards open at the time were told (board_forced); once the
    call and its 话后处理 are over, a new board shows nothing pending."""
    staff_no, net, bridge = seat
    await _user(world, "3911", "钱监控", ["supervisor"])
    async with client.ws_connect("/ws") as ws:
        agent = Tab(ws)
        await agent.next("snapshot")
        assert (await agent.command("ready"))["type"] == "ack"
        await agent.next("agent_state", state="ready", agent_id=staff_no)
        first, board = await _board(await aiohttp_client(client.server), "3911")
        assert board["forced"] == []
        await call_in(net)
        await agent.next("call", event="CallAnswered", within=15)
        ack = await first.command("force_pause", agent=staff_no, reason="班长置忙")
        assert ack["type"] == "ack" and ack["result"]["pending"] == "not_ready", ack
        live = (await first.next("board_forced"))["event"]

        later, board = await _board(await aiohttp_client(client.server), "3911")
        assert board["forced"] == [
            {
                "agent_id": staff_no,
                "action": "pause",
                "by": "3911",
                "by_name": "钱监控",
                "by_role": "supervisor",
                "reason": "班长置忙",
                "pending": "not_ready",
            }
        ]
        assert {k: live[k] for k in board["forced"][0]} == board["forced"][0]  # as the live one said

        assert (await agent.command("hangup"))["type"] == "ack"
        await agent.next("agent_state", state="not_ready", agent_id=staff_no, within=20)
        last, board = await _board(await aiohttp_client(client.server), "3911")
        assert board["forced"] == []
        for tab in (first, later, last):
            await tab.ws.close()


async def test_the_board_says_which_states_a_forced_change_waits_through(client, world):
    """One list, the server's (supervision.FORCED_WAITS_IN), sent with every board: the page
    keeps a pending change on a tile while its seat is in one of them, and no list of its own."""
    await _user(world, "3912", "吴监控", ["supervisor"])
    tab, board = await _board(client, "3912")
    assert board["forced_waits_in"] == list(FORCED_WAITS_IN)
    assert set(FORCED_WAITS_IN) == {"ringing", "talking", "on_hold", "after_call_work"}
    script = (Path(agent_ui.__file__).parent / "static" / "js" / "wallboard.js").read_text()
    assert "forced_waits_in" in script and '"after_call_work"]' not in script
    await tab.ws.close()


async def test_a_seat_answering_during_its_forced_sign_out_signs_out_after_that_call(
    client,
    aiohttp_client,
    world,
    seat,  # noqa: F811
):
    """强制下班 of a seat whose phone rings with a queue's offer withdraws the offer; the agent
    answering before it is withdrawn keeps the caller, and the seat, out of its queues already,
    signs out when the call ends. The supervisor is told just that (pending), not refused with a
    bare agent_on_call. The answer is the real phone's: the seat's QueueRemove waits for it."""
    staff_no, net, bridge = seat
    await _user(world, "3913", "郑监控", ["supervisor"])
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{staff_no}", Val="3")
    actions = bridge.commands.actions
    remove = actions.queue_remove

    async def remove_once_answered(*args, **kwargs):
        for _ in range(100):  # the phone answers after 3 s of ringing, before it leaves the queue
            if (bridge.agent(staff_no) or {}).get("state") != "ringing":
                break
            await asyncio.sleep(0.1)
        return await remove(*args, **kwargs)

    async with client.ws_connect("/ws") as ws:
        agent = Tab(ws)
        await agent.next("snapshot")
        assert (await agent.command("ready"))["type"] == "ack"
        await agent.next("agent_state", state="ready", agent_id=staff_no)
        boss, _ = await _board(await aiohttp_client(client.server), "3913")
        await call_in(net)
        await agent.next("agent_state", state="ringing", agent_id=staff_no, within=15)
        actions.queue_remove = remove_once_answered
        try:
            ack = await boss.command("force_sign_out", agent=staff_no)
        finally:
            actions.queue_remove = remove
        assert ack["type"] == "ack", ack
        assert ack["result"]["pending"] == "logged_out" and ack["result"]["state"] == "talking", ack
        assert (await boss.next("board_forced"))["event"]["pending"] == "logged_out"
        told = await agent.next("seat_forced")
        assert told["event"]["action"] == "sign_out" and told["event"]["pending"] == "logged_out"
        assert bridge.agent(staff_no)["state"] == "talking"  # the caller is kept
        assert await _queue_member(net, staff_no) is None  # out of the queue: no new caller
        assert (await agent.command("hangup"))["type"] == "ack"
        await agent.next("agent_state", state="logged_out", agent_id=staff_no, within=15)
        await boss.ws.close()
    [row] = [
        r
        for r in await _audits(world, "seat.force_sign_out")
        if r.entity_id == staff_no and r.actor == "3913"
    ]
    assert row.before["state"] == "ringing"
    assert row.after == {
        "state": "talking",
        "reason": "班长强制下班",
        "pending": "logged_out",
        "call_id": row.before["call_id"],  # the call it was forced during, on both sides (QA #7)
    }


# -- 调整技能队列 -------------------------------------------------------------------------------
OTHER = "camp-a"  # a queue no inbound call lands in (the campaigns'), a hotline queue here by a skill


async def test_a_supervisor_moves_a_seat_between_queues_and_an_added_seat_gets_the_next_caller(
    client,
    aiohttp_client,
    world,
    seat,  # noqa: F811
):
    """调整技能队列 from the wallboard, live in Asterisk: the seat's last queue is not removed (that
    is 强制下班); added to another, the seat may leave ui-a, and added back to ui-a it gets that
    queue's next caller. Each change is audited and told to the agent's state bar; a team leader
    outside the seat's team is refused, as for the forced actions."""
    staff_no, net, bridge = seat
    await _user(world, "3914", "冯监控", ["supervisor"])
    await _user(world, "1301", "外呼坐席", ["agent"], skills={OTHER: 0})
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{staff_no}", Val="never")
    async with client.ws_connect("/ws") as ws:
        agent = Tab(ws)
        await agent.next("snapshot")
        assert (await agent.command("ready"))["type"] == "ack"
        await agent.next("agent_state", state="ready", agent_id=staff_no)
        boss, _ = await _board(await aiohttp_client(client.server), "3914")
        leader = await _tab(await aiohttp_client(client.server), "3001")
        try:
            refused = await leader.command("seat_queue_add", agent=staff_no, queue=OTHER)
            assert refused["error_id"] == "seat_force.not_your_team", refused
            refused = await boss.command("seat_queue_remove", agent=staff_no, queue=QUEUE)
            assert refused["type"] == "refused" and refused["error_id"] == "seat_queue.last_queue", refused
            assert "强制下班" in refused["message"]
            refused = await boss.command("seat_queue_add", agent=staff_no, queue="bench-a")
            assert refused["error_id"] == "seat_queue.unknown_queue", refused  # not the hotline's
            refused = await boss.command("seat_queue_add", agent=staff_no, queue=QUEUE)
            assert refused["error_id"] == "seat_queue.already_member", refused

            # the seat's own level for OTHER (its skills, changed since it signed in), not 0: ahead
            # of every colleague there
            async with world.services.sessionmaker.begin() as db:
                (await db.scalar(select(User).where(User.staff_no == staff_no))).skills = {OTHER: 3}
            ack = await boss.command("seat_queue_add", agent=staff_no, queue=OTHER)
            assert ack["type"] == "ack" and ack["result"]["queues"] == sorted([QUEUE, OTHER]), ack
            told = await agent.next("seat_forced")
            assert told["event"]["action"] == "queue_add" and told["event"]["queue"] == OTHER
            member = await _queue_member(net, staff_no, OTHER)
            assert member is not None and member["Paused"] == "0", member  # ready there too
            assert member["Penalty"] == "3", member

            ack = await boss.command("seat_queue_remove", agent=staff_no, queue=QUEUE)
            assert ack["type"] == "ack" and ack["result"]["queues"] == [OTHER], ack
            assert (await agent.next("seat_forced"))["event"]["action"] == "queue_remove"
            assert await _queue_member(net, staff_no, QUEUE) is None
            assert bridge.agent(staff_no)["state"] == "ready"  # still signed in, in camp-a

            # added back to ui-a, where it has no level of its own: behind the queue's own agents;
            # alone there, its next caller rings this seat
            assert (await boss.command("seat_queue_add", agent=staff_no, queue=QUEUE))["type"] == "ack"
            assert (await _queue_member(net, staff_no, QUEUE))["Penalty"] == str(BACKSTOP_PENALTY)
            await call_in(net)
            pop = await agent.next("screen_pop", within=15)
            assert pop["event"]["queue"] == QUEUE
            assert bridge.agent(staff_no)["state"] == "ringing"
        finally:
            with contextlib.suppress(Exception):
                await net.action(
                    "QueueRemove", Queue=OTHER, Interface=f"Local/{staff_no}@hotline-sim-phone/n"
                )
        await boss.ws.close()
        await leader.ws.close()
    rows = await _audits(world, "seat.queue_add")
    assert [(r.actor, r.entity_id, r.after["queue"]) for r in rows] == [
        ("3914", staff_no, OTHER),
        ("3914", staff_no, QUEUE),
    ]
    [row] = await _audits(world, "seat.queue_remove")
    assert row.before["queues"] == sorted([QUEUE, OTHER]) and row.after == {
        "state": row.before["state"],  # a queue left leaves the state as it was (QA #7)
        "queue": QUEUE,
        "queues": [OTHER],
    }


async def test_a_supervisor_who_takes_calls_is_behind_every_agent(client, aiohttp_client, world, seat):  # noqa: F811
    """A supervisor without skills of their own pressing 就绪 joins the hotline's queues behind
    the agents (BACKSTOP_PENALTY), not ahead of them at the default level 0."""
    staff_no, net, bridge = seat
    boss = f"39{staff_no[-2:]}"
    await _user(world, boss, "值班长", ["supervisor"])
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{boss}", Val="never")
    try:
        tab = await _tab(await aiohttp_client(client.server), boss)
        assert (await tab.command("ready"))["type"] == "ack"
        member = await _queue_member(net, boss)
        assert member is not None and member["Penalty"] == str(BACKSTOP_PENALTY), member
        await tab.ws.close()
    finally:
        with contextlib.suppress(Exception):
            await net.action("QueueRemove", Queue=QUEUE, Interface=f"Local/{boss}@hotline-sim-phone/n")
