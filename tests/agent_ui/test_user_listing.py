"""The users register's listing: a role filter finds every user of that role, however many
users come before them by 工号."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from ticketing import user_admin


async def test_the_role_filter_is_applied_before_the_limit(world):
    async with world.services.sessionmaker() as db:
        admins = await user_admin.listing(db, role="admin", limit=1)
        everyone = await user_admin.listing(db, limit=2)
        views = await user_admin.views(db, admins)
    # 9001 is the last by 工号: a limit taken before the filter left only agents to filter
    assert [u.staff_no for u in admins] == ["9001"]
    assert [u.staff_no for u in everyone] == ["1001", "1002"]
    assert views[0]["scope_site_ids"]  # the data scope is loaded with the users


async def test_an_active_filter_that_is_neither_true_nor_false_is_refused(client):
    await login(client, "9001")
    resp = await client.get("/api/users", params={"active": "maybe"})
    body = await resp.json()
    assert (resp.status, body["error_id"], body["details"]["field"]) == (400, "request.invalid", "active")
    assert body["message"] == "请求格式不正确。"
    assert (await client.get("/api/users", params={"active": "false"})).status == 200
