"""账号管理 in the console: admins only, CSRF on writes, refusals naming the field, a temporary
password shown once that must be changed at the first sign-in, edits that take effect (roles,
skills, disabling ends the user's sessions), and an audit row per change."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from aiohttp import WSMsgType
from sqlalchemy import select

from agent_ui.texts import Texts
from tests.agent_ui.conftest import PASSWORD, login
from tests.agent_ui.test_seat_asterisk import QUEUE, Tab, seat  # noqa: F401 (the fixture)
from ticketing.models import AuditLog, Site, User, utcnow


async def _send(client, path, token, body=None, method="POST"):
    resp = await client.request(method, path, json=body, headers={"X-CSRF-Token": token})
    return resp, await resp.json()


async def _sign_in(client, staff_no, password):
    state = await (await client.get("/api/session")).json()
    resp = await client.post(
        "/api/session",
        json={"staff_no": staff_no, "password": password},
        headers={"X-CSRF-Token": state["csrf"]},
    )
    return resp.status, await resp.json()


async def test_only_admins_keep_the_users(client):
    agent = await login(client, "1001")
    assert (await client.get("/api/users")).status == 403
    assert (await client.get("/admin/users", allow_redirects=False)).status == 403
    resp, body = await _send(
        client, "/api/users", agent, {"staff_no": "7001", "name": "x", "roles": ["admin"]}
    )
    assert (resp.status, body["error_id"]) == (403, "role.forbidden")
    resp, body = await _send(client, "/api/users/1001/reset-password", agent)
    assert resp.status == 403

    await login(client, "9001")
    resp = await client.post("/api/users", json={"staff_no": "7001", "name": "x", "roles": ["agent"]})
    assert resp.status == 403 and (await resp.json())["error_id"] == "csrf.invalid"
    page = await client.get("/admin/users")
    html = await page.text()
    assert page.status == 200 and "账号管理" in html and 'href="/admin/users"' in html


async def test_a_new_user_signs_in_with_the_temporary_password_and_must_change_it(
    client, aiohttp_client, world
):
    admin = await login(client, "9001")
    async with world.services.sessionmaker() as db:
        bureau = await db.scalar(select(Site.id).where(Site.code == "HD"))
    resp, body = await _send(
        client,
        "/api/users",
        admin,
        {
            "staff_no": "7001",
            "name": "新座席",
            "roles": ["agent"],
            "site_id": bureau,
            "skills": {"fault": 1, "service": 0},
            "manager": "3001",
            "phone": "13800001111",
            "email": "new@example.cn",
        },
    )
    assert resp.status == 201, body
    assert resp.headers["Cache-Control"] == "no-store"
    password = body["temporary_password"]
    assert len(password) >= 12
    user = body["user"]
    assert (user["staff_no"], user["roles"], user["skills"], user["manager"]) == (
        "7001",
        ["agent"],
        {"fault": 1, "service": 0},
        "3001",
    )
    assert user["scope_site_ids"] == [bureau] and user["must_change_password"] is True
    async with world.services.sessionmaker() as db:
        row = await db.scalar(select(User).where(User.staff_no == "7001"))
        assert password not in row.password_hash  # hashed, never kept in clear

    newcomer = await aiohttp_client(client.server)
    status, session = await _sign_in(newcomer, "7001", password)
    assert status == 200 and session["user"]["must_change_password"] is True
    blocked = await newcomer.get("/api/orders?list=mine")
    assert (await blocked.json())["error_id"] == "auth.password_change_required"

    # the list finds them, with what the form offers
    listing = await (await client.get("/api/users", params={"q": "70"})).json()
    assert [u["staff_no"] for u in listing["items"]] == ["7001"]
    assert "fault" in listing["queues"] and "admin" in listing["roles"]
    assert {s["id"] for s in listing["sites"]} >= {bureau}
    by_name = await (await client.get("/api/users", params={"q": "新座"})).json()
    assert [u["staff_no"] for u in by_name["items"]] == ["7001"]
    admins = await (await client.get("/api/users", params={"role": "admin"})).json()
    assert [u["staff_no"] for u in admins["items"]] == ["9001"]


async def test_bad_values_are_refused_naming_each_field_and_nothing_is_stored(client, world):
    admin = await login(client, "9001")
    resp, body = await _send(
        client,
        "/api/users",
        admin,
        {
            "staff_no": "12",
            "name": "",
            "roles": ["king"],
            "site_id": 999,
            "skills": {"service": -1},
            "manager": "4444",
            "email": "no-at-sign",
            "colour": "red",
        },
    )
    assert resp.status == 422 and body["error_id"] == "invalid_fields"
    assert body["details"]["problems"] == {
        "staff_no": "field_bad_staff_no",
        "name": "field_required",
        "roles": "field_bad_option",
        "site_id": "field_unknown_site",
        "skills": "field_bad_skills",
        "manager": "field_unknown_user",
        "email": "field_bad_email",
        "colour": "field_unknown",
    }
    assert "工号（工号须为 4-6 位数字）" in body["message"] and "staff_no" not in body["message"]
    resp, body = await _send(
        client, "/api/users", admin, {"staff_no": "1001", "name": "重复", "roles": ["agent"]}
    )
    assert body["details"]["problems"] == {"staff_no": "field_duplicate"}
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(User.name).where(User.staff_no == "1001")) == "王坐席"
        assert await db.scalar(select(User.id).where(User.staff_no == "12")) is None


async def test_an_admin_cannot_lock_themselves_out(client):
    admin = await login(client, "9001")
    resp, body = await _send(client, "/api/users/9001", admin, {"roles": ["agent"]}, method="PATCH")
    assert body["details"]["problems"] == {"roles": "field_own_admin_role"}
    resp, body = await _send(client, "/api/users/9001", admin, {"active": False}, method="PATCH")
    assert body["details"]["problems"] == {"active": "field_own_account"}
    resp, body = await _send(client, "/api/users/9999", admin, {"name": "nobody"}, method="PATCH")
    assert resp.status == 404


async def test_edits_take_effect_and_are_audited(client, aiohttp_client, world):
    agent = await aiohttp_client(client.server)
    await login(agent, "1001")
    assert (await agent.get("/api/orders?list=mine")).status == 200

    admin = await login(client, "9001")
    resp, body = await _send(
        client,
        "/api/users/1001",
        admin,
        {"roles": ["agent", "team_leader"], "skills": {"complaint": 2}, "name": "王坐席(组长)"},
        method="PATCH",
    )
    assert resp.status == 200, body
    assert body["roles"] == ["agent", "team_leader"] and body["skills"] == {"complaint": 2}
    # the agent's session was given the old roles: they sign in again to get the new ones
    stale = await agent.get("/api/orders?list=mine")
    assert (await stale.json())["error_id"] == "auth.required"
    await login(agent, "1001")
    assert (await agent.get("/api/orders?list=mine")).status == 200

    resp, body = await _send(client, "/api/users/1001", admin, {"active": False}, method="PATCH")
    assert body["active"] is False
    assert (await (await agent.get("/api/orders?list=mine")).json())["error_id"] == "auth.required"
    status, refused = await _sign_in(agent, "1001", PASSWORD)
    assert status == 403 and refused["error_id"] == "auth.disabled"

    async with world.services.sessionmaker() as db:
        rows = list(
            await db.scalars(
                select(AuditLog)
                .where(AuditLog.entity == "user", AuditLog.action == "user.update")
                .order_by(AuditLog.id)
            )
        )
    first, second = rows[-2:]
    assert first.actor.startswith("9001") or first.user_id == world.people["9001"]
    assert first.before["roles"] == ["agent"] and first.after["roles"] == ["agent", "team_leader"]
    assert first.after["skills"] == {"complaint": 2}
    assert (second.before["active"], second.after["active"]) == (True, False)


async def test_a_reset_password_unlocks_and_must_be_changed(client, aiohttp_client, world):
    async with world.services.sessionmaker.begin() as db:
        user = await db.scalar(select(User).where(User.staff_no == "1001"))
        user.locked_until = utcnow() + dt.timedelta(minutes=10)
    admin = await login(client, "9001")
    listing = await (await client.get("/api/users", params={"q": "1001"})).json()
    assert listing["items"][0]["locked_until"] is not None

    resp, body = await _send(client, "/api/users/1001/unlock", admin)
    assert resp.status == 200 and body["locked_until"] is None
    resp, body = await _send(client, "/api/users/1001/reset-password", admin)
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    password = body["temporary_password"]

    agent = await aiohttp_client(client.server)
    status, _ = await _sign_in(agent, "1001", PASSWORD)
    assert status == 401  # the old password no longer works
    status, session = await _sign_in(agent, "1001", password)
    assert status == 200 and session["user"]["must_change_password"] is True
    async with world.services.sessionmaker() as db:
        actions = list(
            await db.scalars(
                select(AuditLog.action).where(
                    AuditLog.entity == "user", AuditLog.entity_id == str(world.people["1001"])
                )
            )
        )
    assert "user.unlock" in actions and "user.set_password" in actions


@pytest.mark.asterisk
async def test_disabling_a_signed_in_agent_ends_their_console_and_their_shift(client, aiohttp_client, seat):  # noqa: F811
    staff_no, net, bridge = seat  # signed in on ``client``
    admin = await aiohttp_client(client.server)
    token = await login(admin, "9001")
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        assert (await tab.command("ready"))["type"] == "ack"
        await tab.next("agent_state", state="ready")

        resp, body = await _send(admin, f"/api/users/{staff_no}", token, {"active": False}, method="PATCH")
        assert resp.status == 200 and body["active"] is False
        closed = await asyncio.wait_for(_closed(ws), 8)
        assert closed == 4401  # socket.js takes the page to the sign-in form
    assert bridge.agent(staff_no)["state"] == "logged_out"
    members = [
        f
        for f in await net.action_list("QueueStatus", Queue=QUEUE)
        if f.get("Event") == "QueueMember" and staff_no in (f.get("Location") or "")
    ]
    assert members == []


async def _closed(ws) -> int | None:
    """The code of the server's close frame (None: the connection ended without one)."""
    while True:
        msg = await ws.receive()
        if msg.type == WSMsgType.CLOSE:
            return msg.data
        if msg.type in (WSMsgType.CLOSED, WSMsgType.CLOSING, WSMsgType.ERROR):
            return None


async def test_the_home_site_stays_within_the_data_scope_whatever_the_edit_lists(client, world):
    admin = await login(client, "9001")
    async with world.services.sessionmaker() as db:
        hq = await db.scalar(select(Site.id).where(Site.code == "HQ"))
        bureau = await db.scalar(select(Site.id).where(Site.code == "HD"))
    # moved to the bureau with a scope that leaves the bureau out: the bureau is added
    resp, body = await _send(
        client, "/api/users/1001", admin, {"site_id": bureau, "scope_site_ids": [hq]}, method="PATCH"
    )
    assert resp.status == 200, body
    assert (body["site_id"], sorted(body["scope_site_ids"])) == (bureau, sorted([hq, bureau]))
    # a scope listed anew without the home site keeps it too
    resp, body = await _send(client, "/api/users/1001", admin, {"scope_site_ids": []}, method="PATCH")
    assert resp.status == 200 and body["scope_site_ids"] == [bureau]
    async with world.services.sessionmaker() as db:
        user = await db.scalar(select(User).where(User.staff_no == "1001"))
        await db.refresh(user, ["scope_sites"])
        assert [s.id for s in user.scope_sites] == [bureau]


async def test_a_manager_loop_is_refused_in_words(client):
    admin = await login(client, "9001")
    for staff_no, manager in (("1001", "3001"), ("2001", "1001")):
        resp, body = await _send(
            client, f"/api/users/{staff_no}", admin, {"manager": manager}, method="PATCH"
        )
        assert resp.status == 200, body
    # 3001 manages 1001, who manages 2001: neither may become 3001's manager
    for manager in ("1001", "2001"):
        resp, body = await _send(client, "/api/users/3001", admin, {"manager": manager}, method="PATCH")
        assert resp.status == 422 and body["details"]["problems"] == {"manager": "field_manager_loop"}
        assert Texts().get("zh-CN", "problem.field_manager_loop") in body["message"]
    resp, body = await _send(client, "/api/users/3001", admin, {"manager": "9001"}, method="PATCH")
    assert resp.status == 200 and body["manager"] == "9001"


async def test_a_new_user_is_audited_whole_but_never_their_password(client, world):
    admin = await login(client, "9001")
    async with world.services.sessionmaker() as db:
        hq = await db.scalar(select(Site.id).where(Site.code == "HQ"))
        bureau = await db.scalar(select(Site.id).where(Site.code == "HD"))
    resp, body = await _send(
        client,
        "/api/users",
        admin,
        {
            "staff_no": "7002",
            "name": "审计员",
            "roles": ["agent"],
            "site_id": bureau,
            "scope_site_ids": [hq],
            "skills": {"fault": 1},
            "manager": "3001",
            "phone": "13800002222",
            "email": "audit@example.cn",
        },
    )
    assert resp.status == 201, body
    async with world.services.sessionmaker() as db:
        row = await db.scalar(
            select(AuditLog).where(AuditLog.action == "user.create").order_by(AuditLog.id.desc()).limit(1)
        )
    after = row.after
    assert (after["staff_no"], after["name"], after["roles"]) == ("7002", "审计员", ["agent"])
    assert (after["site_id"], after["scope_site_ids"]) == (bureau, sorted([hq, bureau]))
    assert (after["skills"], after["manager_id"]) == ({"fault": 1}, world.people["3001"])
    assert (after["phone"], after["email"], after["department_id"]) == (
        "13800002222",
        "audit@example.cn",
        None,
    )
    assert after["active"] is True and after["must_change_password"] is True
    assert not any("password_hash" in key for key in after)
    assert body["temporary_password"] not in str(after)


async def test_a_skill_for_a_queue_the_hotline_does_not_have_is_refused(client, world):
    admin = await login(client, "9001")
    listing = await (await client.get("/api/users")).json()
    assert listing["queues"] == [
        "service",
        "fault",
        "complaint",
        "aftersales",
        "vip",
    ]  # deploy/routing.yaml's
    resp, body = await _send(client, "/api/users/1001", admin, {"skills": {"nosuchq": 1}}, method="PATCH")
    assert resp.status == 422 and body["details"]["problems"] == {"skills": "field_unknown_queue"}
    assert "不是本热线的队列" in body["message"]
    resp, body = await _send(
        client,
        "/api/users",
        admin,
        {"staff_no": "7002", "name": "新座", "roles": ["agent"], "skills": {"faults": 0}},
    )
    assert body["details"]["problems"] == {"skills": "field_unknown_queue"}
    async with world.services.sessionmaker() as db:
        skills = await db.scalars(select(User.skills))
        assert not any("nosuchq" in (s or {}) or "faults" in (s or {}) for s in skills)
    resp, body = await _send(client, "/api/users/1001", admin, {"skills": {"vip": 1}}, method="PATCH")
    assert resp.status == 200 and body["skills"] == {"vip": 1}


async def test_a_user_cannot_be_made_their_own_manager_and_is_told_so(client):
    admin = await login(client, "9001")
    resp, body = await _send(client, "/api/users/1001", admin, {"manager": "1001"}, method="PATCH")
    assert resp.status == 422 and body["details"]["problems"] == {"manager": "field_own_manager"}
    assert "不能指定本人为上级" in body["message"] and "无此工号" not in body["message"]
