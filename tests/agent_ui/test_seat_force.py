"""A team leader's or supervisor's hand on an agent's seat (DOMAIN § 8): 置忙 with a reason,
强制下班, 结束话后处理, over the websocket. Who may (roles, a team leader's own team), the
refusals, and what the real bridge does with each on the real Asterisk: a forced pause takes the
seat out of the queue (the next caller goes to a colleague), a forced sign-out of a talking seat
waits for the call (the caller is never cut off), a forced end of 话后处理 overrides a tab's
unsaved form; each is audited and told to the agent's console."""

from __future__ import annotations

import asyncio
import contextlib
import random

from sqlalchemy import select

from agent_ui.supervision import SeatForced
from tests.agent_ui.conftest import PASSWORD, login
from tests.agent_ui.test_seat_asterisk import QUEUE, Tab, call_in, seat  # noqa: F401 (the fixture)
from ticketing import users
from ticketing.models import AuditLog, Department, User

FORCE = ("force_pause", "force_sign_out", "force_acw_end")


async def _user(world, staff_no: str, name: str, roles: list[str], **fields) -> int:
    async with world.services.sessionmaker.begin() as db:
        user = await users.create_user(db, staff_no, name, PASSWORD, roles=roles, must_change_password=False)
        for key, value in fields.items():
            setattr(user, key, value)
        await db.flush()
        return user.id


async def _report_to(world, staff_no: str, leader: str) -> None:
    """``staff_no``'s 上级 (manager) is ``leader``: the leader's team."""
    async with world.services.sessionmaker.begin() as db:
        boss = await db.scalar(select(User).where(User.staff_no == leader))
        member = await db.scalar(select(User).where(User.staff_no == staff_no))
        member.manager_id = boss.id


async def _audits(world, action: str) -> list[AuditLog]:
    async with world.services.sessionmaker() as db:
        return list(await db.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


async def _tab(http, staff_no: str):
    await login(http, staff_no)
    ws = await http.ws_connect("/ws")
    tab = Tab(ws)
    await tab.next("snapshot")
    return tab


# -- who may, without Asterisk ------------------------------------------------------------------
async def test_agents_and_handlers_may_not_force_a_seat(client, aiohttp_client):
    for staff_no in ("1001", "2001"):
        http = await aiohttp_client(client.server)
        tab = await _tab(http, staff_no)
        for cmd in FORCE:
            answer = await tab.command(cmd, agent="1002")
            assert answer["type"] == "refused" and answer["error_id"] == "role.forbidden", (staff_no, answer)
        await tab.ws.close()


async def test_a_team_leader_forces_only_their_own_team(client, aiohttp_client, world):
    """3001 张班长 leads whoever reports to them or works in the department they manage; 1001 is
    neither, so every forced command on 1001 is refused before the bridge is even asked."""
    tab = await _tab(client, "3001")
    page = await (await client.get("/wallboard")).text()
    assert 'data-force-scope=""' in page and "wb-force-reason" not in page  # no team: no actions
    for cmd in FORCE:
        answer = await tab.command(cmd, agent="1001")
        assert answer["type"] == "refused" and answer["error_id"] == "seat_force.not_your_team", answer
        assert "班组" in answer["message"]
    # a report of theirs: past the team check, to the bridge (none here)
    await _report_to(world, "1001", "3001")
    answer = await tab.command("force_pause", agent="1001")
    assert answer["type"] == "refused" and answer["error_id"] == "cti.unavailable", answer
    page = await (await client.get("/wallboard")).text()
    assert 'data-force-scope="1001"' in page and '<option value="班长置忙">班长置忙</option>' in page
    # the department they manage
    async with world.services.sessionmaker.begin() as db:
        leader = await db.scalar(select(User).where(User.staff_no == "3001"))
        dept = Department(code="T1", name="一班", manager_id=leader.id)
        db.add(dept)
        await db.flush()
        dept_id = dept.id
    await _user(world, "1101", "一班坐席", ["agent"], department_id=dept_id)
    answer = await tab.command("force_sign_out", agent="1101")
    assert answer["error_id"] == "cti.unavailable", answer
    await tab.ws.close()


async def test_refusals_say_what_is_wrong(client, aiohttp_client, world):
    await _user(world, "3901", "赵监控", ["supervisor"])
    tab = await _tab(client, "3901")
    for args, error_id in (
        ({"agent": "7777"}, "seat_force.unknown_agent"),
        ({"agent": "3901"}, "seat_force.self"),
        ({"agent": ""}, "request.invalid"),
        ({"agent": "1001", "reason": "睡觉"}, "seat_force.reason_unknown"),
        ({"agent": "1001"}, "cti.unavailable"),  # a supervisor may act on any seat
    ):
        answer = await tab.command("force_pause", **args)
        assert answer["type"] == "refused" and answer["error_id"] == error_id, (args, answer)
        assert answer["message"] and not answer["message"].startswith("error."), answer
    await tab.ws.close()
    assert await _audits(world, "seat.force_pause") == []  # nothing refused is audited


# -- on the real Asterisk -------------------------------------------------------------------------
async def _queue_member(net, staff_no: str) -> dict | None:
    for frame in await net.action_list("QueueStatus", Queue=QUEUE):
        if frame.get("Event") == "QueueMember" and staff_no in (
            frame.get("Location") or frame.get("Interface") or ""
        ):
            return {key: frame.get(key) for key in ("Paused", "PausedReason")}
    return None


async def test_a_forced_pause_takes_the_seat_out_of_the_queue_and_the_next_caller_goes_elsewhere(
    client,
    aiohttp_client,
    world,
    seat,  # noqa: F811
):
    staff_no, net, bridge = seat
    colleague = f"6{random.randint(1000, 9999)}"
    while colleague == staff_no:
        colleague = f"6{random.randint(1000, 9999)}"
    await _user(world, "3902", "钱监控", ["supervisor"])
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{colleague}", Val="1")
    await net.action("DBPut", Family="hotline-sim", Key=f"talk-{colleague}", Val="hold")
    colleague_seat = f"Local/{colleague}@hotline-sim-phone/n"
    try:
        async with client.ws_connect("/ws") as ws:
            agent = Tab(ws)
            await agent.next("snapshot")
            assert (await agent.command("ready"))["type"] == "ack"
            await agent.next("agent_state", state="ready", agent_id=staff_no)
            assert (await bridge.login(colleague, colleague_seat, {QUEUE: 0})).ok
            assert (await bridge.ready(colleague)).ok

            boss_http = await aiohttp_client(client.server)
            boss = await _tab(boss_http, "3902")
            await boss.wallboard()
            ack = await boss.command("force_pause", agent=staff_no, reason="班长置忙")
            assert ack["type"] == "ack", ack
            assert ack["result"]["agent"] == staff_no and ack["result"]["pending"] == ""
            # (the seat's sign-in at its first 就绪 was 未就绪 too: 登录)
            await agent.next("agent_state", state="not_ready", agent_id=staff_no, reason="班长置忙")
            told = await agent.next("seat_forced")
            assert told["event"] == {
                **told["event"],
                "agent_id": staff_no,
                "action": "pause",
                "by": "3902",
                "by_name": "钱监控",
                "by_role": "supervisor",
                "reason": "班长置忙",
            }
            member = await _queue_member(net, staff_no)
            assert member is not None and member.get("Paused") == "1", member
            assert member.get("PausedReason") == "班长置忙", member

            # the next caller rings the colleague, never the paused seat
            await call_in(net, "13800138001")
            offered = await boss.next("board_call", event="CallOffered", within=15)
            assert offered["event"]["agent_id"] == colleague, offered
            with contextlib.suppress(TimeoutError):
                pop = await agent.next("screen_pop", within=2)
                raise AssertionError(f"the paused seat was offered a call: {pop}")
            await boss.next("board_call", event="CallAnswered", within=15)
            assert bridge.agent(staff_no)["state"] == "not_ready"
            assert (await bridge.hangup(colleague)).ok
            await boss.ws.close()

        rows = await _audits(world, "seat.force_pause")
        assert len(rows) == 1
        row = rows[0]
        assert (row.actor, row.entity, row.entity_id) == ("3902", "seat", staff_no)
        assert row.before["state"] == "ready"
        assert row.after == {"state": "not_ready", "reason": "班长置忙", "pending": "", "call_id": ""}
        assert row.at is not None
    finally:
        with contextlib.suppress(Exception):
            await bridge.logout(colleague)
        with contextlib.suppress(Exception):
            await net.action("QueueRemove", Queue=QUEUE, Interface=colleague_seat)


async def test_a_forced_sign_out_of_a_talking_seat_waits_for_the_call(client, aiohttp_client, world, seat):  # noqa: F811
    """A 95598 centre never hangs up on a customer to sign a seat out: the seat keeps its caller,
    gets no new call (paused 班长强制下班 at once) and leaves its queues when the call ends."""
    staff_no, net, bridge = seat
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{staff_no}", Val="0")  # not the 1 s ring
    await _report_to(world, staff_no, "3001")
    async with client.ws_connect("/ws") as ws:
        agent = Tab(ws)
        await agent.next("snapshot")
        assert (await agent.command("ready"))["type"] == "ack"
        await agent.next("agent_state", state="ready", agent_id=staff_no)
        # the caller stays on the line (30 s, the default, ran out under a loaded full run before
        # the force, and their own hang-up read as the caller cut off): any CallEnded is ours
        await call_in(net, stay=600)
        await agent.next("screen_pop", within=15)
        await agent.next("call", event="CallAnswered", within=15)

        leader_http = await aiohttp_client(client.server)
        leader = await _tab(leader_http, "3001")  # 张班长, whose team the seat is in
        ack = await leader.command("force_sign_out", agent=staff_no)
        assert ack["type"] == "ack", ack
        assert ack["result"]["pending"] == "logged_out"
        told = await agent.next("seat_forced")
        assert told["event"]["action"] == "sign_out" and told["event"]["pending"] == "logged_out"
        assert told["event"]["by_role"] == "team_leader" and told["event"]["by_name"] == "张班长"
        with contextlib.suppress(TimeoutError):
            ended = await agent.next("call", event="CallEnded", within=1.5)
            raise AssertionError(f"the caller was cut off: {ended}")
        assert bridge.agent(staff_no)["state"] == "talking"
        member = await _queue_member(net, staff_no)
        assert (
            member is not None
            and member.get("Paused") == "1"
            and member.get("PausedReason") == "班长强制下班"
        )
        # a forced end of 话后处理 is refused on a call: there is none to end
        refused = await leader.command("force_acw_end", agent=staff_no)
        assert refused["type"] == "refused" and refused["error_id"] == "seat_force.not_in_acw"

        assert (await agent.command("hangup"))["type"] == "ack"
        await agent.next("agent_state", state="logged_out", agent_id=staff_no, within=15)
        for _ in range(50):
            if await _queue_member(net, staff_no) is None:
                break
            await asyncio.sleep(0.1)
        assert await _queue_member(net, staff_no) is None
        refused = await leader.command("force_pause", agent=staff_no)
        assert refused["type"] == "refused" and refused["error_id"] == "seat_force.logged_out"
        await leader.ws.close()
    [row] = await _audits(world, "seat.force_sign_out")
    assert row.actor == "3001" and row.before["state"] == "talking"
    assert row.after["pending"] == "logged_out" and row.after["reason"] == "班长强制下班"


async def test_a_forced_end_of_after_call_work_overrides_a_tabs_unsaved_form(
    client,
    aiohttp_client,
    world,
    seat,  # noqa: F811
):
    """The form of an abandoned tab holds the 话后处理 past its limit; the supervisor ends it, and
    the seat goes back where the call found it (ready), the agent told why."""
    staff_no, net, bridge = seat
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{staff_no}", Val="0")  # not the 1 s ring
    await net.action("DBPut", Family="hotline-sim", Key=f"talk-{staff_no}", Val="1")
    bridge.settings.acw_seconds = 1.0
    bridge.agent_book.acw_seconds = 1.0
    await _user(world, "3903", "孙监控", ["supervisor"])
    async with client.ws_connect("/ws") as ws:
        agent = Tab(ws)
        await agent.next("snapshot")
        assert (await agent.command("ready"))["type"] == "ack"
        await agent.next("agent_state", state="ready", agent_id=staff_no)
        await call_in(net)
        pop = await agent.next("screen_pop", within=15)
        call_id = pop["event"]["call_id"]
        held = await agent.command("hold_after_call_work", call_id=call_id, hold=True)
        assert held["type"] == "ack", held
        await agent.next("agent_state", state="after_call_work", agent_id=staff_no, within=15)
        await asyncio.sleep(1.5)  # past the limit (1 s from the 话后处理 told above): the form holds it
        assert bridge.agent(staff_no)["state"] == "after_call_work"
        assert bridge.agent(staff_no)["acw_held"] is True

        boss_http = await aiohttp_client(client.server)
        boss = await _tab(boss_http, "3903")
        ack = await boss.command("force_acw_end", agent=staff_no)
        assert ack["type"] == "ack", ack
        await agent.next("agent_state", state="ready", agent_id=staff_no, within=10)
        told = await agent.next("seat_forced")
        assert told["event"]["action"] == "end_acw" and told["event"]["by"] == "3903"
        assert bridge.agent(staff_no)["acw_held"] is False

        # the agent goes on in a new tab; the abandoned one still holds its form about the first
        # call and holds it again when the bridge is back: that must not take the next call's hold
        async with client.ws_connect("/ws") as ws2:
            fresh = Tab(ws2)
            await fresh.next("snapshot")
            await call_in(net, "13800138002")
            second = (await fresh.next("screen_pop", within=15))["event"]["call_id"]
            assert second != call_id
            assert (await fresh.command("hold_after_call_work", call_id=second, hold=True))["type"] == "ack"
            await fresh.next("agent_state", state="after_call_work", agent_id=staff_no, within=15)
            stale = await agent.command("hold_after_call_work", call_id=call_id, hold=True)
            assert stale["type"] == "ack" and stale["result"]["held"] is False, stale
            await asyncio.sleep(1.5)  # past the limit: the new tab's form still holds the second call
            assert bridge.agent(staff_no)["state"] == "after_call_work"
            assert bridge.agent(staff_no)["acw_hold_call"] == second
            assert (await fresh.command("hold_after_call_work", call_id=second, hold=False))["type"] == "ack"
            await fresh.next("agent_state", state="ready", agent_id=staff_no, within=10)
        await boss.ws.close()
    [row] = await _audits(world, "seat.force_acw_end")
    assert row.before["state"] == "after_call_work" and row.before["call_id"] == call_id
    assert row.after["state"] == "ready"


async def test_the_notice_goes_to_the_agents_tabs_and_a_pending_change_to_the_boards(
    client, aiohttp_client, world
):
    """SeatForced reaches every tab of that agent's and no other seat's; the boards hear of it
    (board_forced) only while it waits for the seat's call to end."""
    agent = await _tab(client, "1001")
    other_http = await aiohttp_client(client.server)
    await _user(world, "3904", "周监控", ["supervisor"])
    board = await _tab(other_http, "3904")
    await board.wallboard()
    await world.bus.publish(
        SeatForced(
            agent_id="1001",
            action="pause",
            by="3904",
            by_name="周监控",
            by_role="supervisor",
            reason="班长置忙",
        )
    )
    told = await agent.next("seat_forced")
    assert told["event"]["by_name"] == "周监控" and told["event"]["pending"] == ""
    with contextlib.suppress(TimeoutError):
        extra = await board.next("seat_forced", within=0.5)
        raise AssertionError(f"another user's tab got the notice: {extra}")
    with contextlib.suppress(TimeoutError):
        extra = await board.next("board_forced", within=0.5)
        raise AssertionError(f"a change that took effect at once went to the boards: {extra}")
    await world.bus.publish(
        SeatForced(agent_id="1001", action="sign_out", by="3904", by_name="周监控", pending="logged_out")
    )
    pending = await board.next("board_forced")
    assert pending["event"]["agent_id"] == "1001" and pending["event"]["pending"] == "logged_out"
    assert (await agent.next("seat_forced"))["event"]["action"] == "sign_out"
    with contextlib.suppress(TimeoutError):
        extra = await agent.next("board_forced", within=0.5)
        raise AssertionError(f"the seat's own tab got the boards' message: {extra}")
    await agent.ws.close()
    await board.ws.close()
