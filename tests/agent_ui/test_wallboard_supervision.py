"""The wallboard's seat actions, second round: a team leader's reach (agents only, never a
colleague's or a superior's seat), the pending forced changes in a (re)opened board, the board's
own list of on-call states, and a sign-out whose seat answers meanwhile."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import PASSWORD, login
from tests.agent_ui.test_seat_asterisk import Tab
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
