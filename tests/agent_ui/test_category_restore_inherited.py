"""恢复上级设置: a site's override of a shared category can be removed again, so the site follows
the shared row (or its parent's) once more. Before, 停用 on the override (how a site hides a
shared category) left the site without the category for good: the override could not go. The
removal is refused, naming why, when 小类别 hang under the override or the row is no override at
all, and it is audited (``category.remove_override``)."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import Session, add_user
from ticketing.models import AuditLog, Category, Site


async def _offered(session: Session) -> dict[str, str]:
    status, spec = await session.call("GET", "/api/intake")
    assert status == 200, spec
    return {c["code"]: c["name"] for c in spec["categories"]}


async def test_an_admin_removes_a_sites_override_and_the_site_follows_the_shared_row(
    client, aiohttp_client, world
):
    await add_user(world, "5301", "海淀坐席", ["agent"], "HD")
    async with world.services.sessionmaker() as db:
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
        shared = await db.scalar(
            select(Category.id).where(Category.code == "consult", Category.site_id.is_(None))
        )
    admin = await Session.signed_in(client, "9001")
    status, override = await admin.call(
        "POST",
        "/api/admin/categories",
        {"code": "consult", "name": "海淀咨询", "site_id": hd, "workflow_key": "consult", "confirm": True},
    )
    assert status == 201, override
    assert (await admin.call("PATCH", f"/api/admin/categories/{override['id']}", {"enabled": False}))[
        0
    ] == 200
    agent = await Session.signed_in(await aiohttp_client(client.server), "5301")
    assert "consult" not in await _offered(agent)  # 停用 override: HD hides the shared category

    # the shared row itself is no override: nothing to restore
    status, refused = await admin.call("DELETE", f"/api/admin/categories/{shared}/override")
    assert (status, refused["error_id"]) == (409, "category_not_an_override"), refused
    assert "信息咨询" in refused["message"]

    status, follows = await admin.call("DELETE", f"/api/admin/categories/{override['id']}/override")
    assert status == 200, follows
    assert (follows["id"], follows["site_id"], follows["name"]) == (shared, None, "信息咨询")
    assert (await _offered(agent))["consult"] == "信息咨询"
    status, listing = await admin.call("GET", "/api/admin/categories")
    assert [i["site_id"] for i in listing["items"] if i["code"] == "consult"] == [None]
    async with world.services.sessionmaker() as db:
        (row,) = await db.scalars(select(AuditLog).where(AuditLog.action == "category.remove_override"))
        assert row.user_id == world.people["9001"] and row.entity_id == str(override["id"])
        assert row.before["name"] == "海淀咨询" and row.before["enabled"] is False
        assert row.after["follows"] == shared


async def test_an_override_with_its_sites_subcategories_under_it_is_kept(client, world):
    async with world.services.sessionmaker() as db:
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
    admin = await Session.signed_in(client, "9001")
    status, override = await admin.call(
        "POST",
        "/api/admin/categories",
        {
            "code": "fault",
            "name": "海淀故障报修",
            "site_id": hd,
            "workflow_key": "fault_repair",
            "confirm": True,
        },
    )
    assert status == 201, override
    status, own = await admin.call(
        "POST",
        "/api/admin/categories",
        {"code": "hd_tree", "name": "树障清理", "site_id": hd, "parent_id": override["id"]},
    )
    assert status == 201, own
    status, refused = await admin.call("DELETE", f"/api/admin/categories/{override['id']}/override")
    assert (status, refused["error_id"]) == (409, "category_override_has_children"), refused
    assert "树障清理" in refused["message"]
    async with world.services.sessionmaker() as db:
        assert await db.get(Category, override["id"]) is not None
        assert not list(
            await db.scalars(select(AuditLog).where(AuditLog.action == "category.remove_override"))
        )
