"""监听 / 耳语 / 强插 from the wallboard are the supervisors' (质量监控员, DOMAIN § 1/§ 8): a team
leader (班长) watches their team on the wallboard and acts on its seats (置忙 / 强制下班 /
结束话后处理) but listens to nobody's call, not even their own team's; every spy is an audit row
(who listened to whose call, in which mode): the refusals before the bridge is asked, then a real
spy on a real call through the real Asterisk."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import select

from tests.agent_ui.conftest import PASSWORD, login
from tests.agent_ui.test_seat_asterisk import Tab, call_in, seat  # noqa: F401 (the fixture)
from ticketing import users
from ticketing.models import AuditLog, User


async def _tab(http, staff_no: str) -> Tab:
    await login(http, staff_no)
    tab = Tab(await http.ws_connect("/ws"))
    await tab.next("snapshot")
    return tab


async def _spy_audits(world) -> list[AuditLog]:
    async with world.services.sessionmaker() as db:
        rows = await db.scalars(
            select(AuditLog).where(AuditLog.action.like("seat.spy%")).order_by(AuditLog.id)
        )
        return list(rows)


async def test_a_team_leader_listens_to_no_call_not_even_their_own_teams(client, world):
    """3001 张班长, with 1001 on their team: 监听 / 耳语 / 强插 and the spy controls are refused
    role.forbidden before the bridge is asked (they went to the bridge, and to the call, before),
    nothing is audited; the wallboard itself is theirs (not refused for the role)."""
    async with world.services.sessionmaker.begin() as db:
        boss = await db.scalar(select(User).where(User.staff_no == "3001"))
        (await db.scalar(select(User).where(User.staff_no == "1001"))).manager_id = boss.id
    tab = await _tab(client, "3001")
    for mode in ("listen", "whisper", "barge"):
        answer = await tab.command("spy", agent="1001", mode=mode)
        assert answer["type"] == "refused" and answer["error_id"] == "role.forbidden", answer
    for cmd, args in (("spy_mode", {"spy": "spy-1", "mode": "barge"}), ("spy_stop", {"spy": "spy-1"})):
        answer = await tab.command(cmd, **args)
        assert answer["type"] == "refused" and answer["error_id"] == "role.forbidden", answer
    answer = await tab.command("wallboard")
    assert answer.get("error_id") != "role.forbidden", answer
    assert await _spy_audits(world) == []
    await tab.ws.close()


async def test_a_supervisors_spy_is_checked_before_the_bridge_is_asked(client, aiohttp_client, world):
    """9001 (admin: every seat) names an unknown 工号, themself, a bad mode, before the bridge."""
    tab = await _tab(client, "9001")
    answer = await tab.command("spy", agent="7777", mode="listen")
    assert answer["error_id"] == "seat_force.unknown_agent", answer
    answer = await tab.command("spy", agent="9001", mode="listen")
    assert answer["error_id"] == "spy.self", answer
    answer = await tab.command("spy", agent="1001", mode="sing")
    assert answer["error_id"] == "request.invalid", answer
    answer = await tab.command("spy", agent="1001", mode="listen")
    assert answer["error_id"] == "cti.unavailable", answer
    assert await _spy_audits(world) == []
    await tab.ws.close()


@pytest.mark.asterisk
async def test_a_supervisor_listening_to_a_real_call_is_audited(client, aiohttp_client, world, seat):  # noqa: F811
    staff_no, net, bridge = seat
    boss = f"7{staff_no[1:]}"
    async with world.services.sessionmaker.begin() as db:
        await users.create_user(
            db, boss, "赵监控", PASSWORD, roles=["supervisor"], must_change_password=False
        )
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{boss}", Val="1")
    await net.action("DBPut", Family="hotline-sim", Key=f"talk-{boss}", Val="hold")
    async with client.ws_connect("/ws") as ws:
        agent = Tab(ws)
        await agent.next("snapshot")
        assert (await agent.command("ready"))["type"] == "ack"
        await agent.next("agent_state", state="ready", agent_id=staff_no)
        await call_in(net, stay=30)
        await agent.next("call", event="CallAnswered", within=10)
        supervisor = await _tab(await aiohttp_client(client.server), boss)
        await supervisor.wallboard()
        spy_id = ""
        try:
            started = await supervisor.command("spy", agent=staff_no, mode="listen")
            assert started["type"] == "ack", started
            spy_id = started["result"]["spy_channel_id"]
            await supervisor.next("board_spy", spy_id=spy_id, within=10)
            switched = await supervisor.command("spy_mode", spy=spy_id, mode="whisper")
            assert switched["type"] == "ack", switched
            stopped = await supervisor.command("spy_stop", spy=spy_id)
            assert stopped["type"] == "ack", stopped
        finally:
            for c in await net.action_list("CoreShowChannels"):
                if c["Channel"].startswith(f"Local/{boss}@"):
                    with contextlib.suppress(Exception):
                        await net.action("Hangup", Channel=c["Channel"])
            with contextlib.suppress(Exception):
                await agent.command("hangup")
            await supervisor.ws.close()
        await asyncio.sleep(0)
    rows = await _spy_audits(world)
    assert [(r.action, r.entity, r.entity_id) for r in rows] == [
        ("seat.spy", "seat", staff_no),
        ("seat.spy_mode", "seat", staff_no),
        ("seat.spy_stop", "seat", staff_no),
    ], rows
    assert rows[0].after["mode"] == "listen" and rows[0].after["spy"] == spy_id and rows[0].after["call_id"]
    assert rows[1].after["mode"] == "whisper"
    assert {r.actor for r in rows} == {boss}
