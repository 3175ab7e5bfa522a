"""单位管理 in the console: admins list, create, edit and delete sites and set each site's
business hours per weekday; everyone else is refused; bad input is refused naming the field in
Chinese; every change is audited; a site's new hours move its orders' deadlines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing import create_order
from ticketing.models import AuditLog, Site, User
from ticketing.workflow.store import import_definition

SH = ZoneInfo("Asia/Shanghai")
FLOW = {
    "key": "site_hours_ui",
    "name": "营业时间时限",
    "category": "site_hours_ui",
    "calendar": "business",
    "fields": {"内容": {"type": "text"}},
    "nodes": [
        {"id": "start", "type": "create", "fields": {"内容": "editable"}, "exits": [{"to": "handle"}]},
        {
            "id": "handle",
            "name": "处理",
            "type": "realize",
            "operators": {"batches": [[{"user": "2001"}]]},
            "sla": {"limit": "1h"},
            "exits": [{"to": "done"}],
        },
        {"id": "done", "type": "archive"},
    ],
}


async def _send(client, path, token, body=None, method="POST"):
    resp = await client.request(method, path, json=body or {}, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def _audit(world, action):
    async with world.services.sessionmaker() as db:
        return list(await db.scalars(select(AuditLog).where(AuditLog.action == action)))


async def test_non_admins_are_refused(client, world):
    for staff_no in ("1001", "2001", "3001"):
        token = await login(client, staff_no)
        assert (await client.get("/api/admin/sites")).status == 403
        assert (await client.get("/admin/sites", allow_redirects=False)).status == 403
        status, body = await _send(client, "/api/admin/sites", token, {"code": "440100", "name": "广州"})
        assert (status, body["error_id"]) == (403, "role.forbidden")
        status, body = await _send(client, "/api/admin/sites/2", token, {"name": "改名"}, "PATCH")
        assert (status, body["error_id"]) == (403, "role.forbidden")
        status, body = await _send(client, "/api/admin/sites/2", token, method="DELETE")
        assert (status, body["error_id"]) == (403, "role.forbidden")
        await client.delete("/api/session", headers={"X-CSRF-Token": token})
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(Site).where(Site.code == "440100")) is None


async def test_admin_lists_sites_with_hours_and_the_holidays(client, world):
    await login(client, "9001")
    page = await client.get("/admin/sites")
    assert page.status == 200 and "单位管理" in await page.text()
    body = await (await client.get("/api/admin/sites")).json()
    by_code = {s["code"]: s for s in body["items"]}
    hd = by_code["HD"]
    assert hd["name"] == "海淀供电局" and hd["kind"] == "bureau" and hd["timezone"] == "Asia/Shanghai"
    assert hd["parent_site_id"] == by_code["HQ"]["id"] and hd["own_hours"] is False
    assert hd["hours"]["mon"] == ["08:30-12:00", "13:30-17:30"] and hd["hours"]["sat"] == []
    years = {y["year"]: y for y in body["holidays"]}
    assert years[2026]["official"] is True and years[2027]["official"] is False
    national_day = next(h for h in years[2026]["holidays"] if h["name"] == "国庆节")
    assert national_day == {
        "name": "国庆节",
        "from": "2026-10-01",
        "to": "2026-10-07",
        "makeup": ["2026-09-20", "2026-10-10"],
    }


async def test_bad_input_is_refused_naming_each_field_in_chinese(client, world):
    admin = await login(client, "9001")
    status, body = await _send(
        client,
        "/api/admin/sites",
        admin,
        {
            "code": "广州局",
            "name": "",
            "timezone": "Mars/Olympus",
            "kind": "planet",
            "hours": {"mon": ["09:00-08:00"], "tue": ["08:00-12:00", "11:00-13:00"], "wed": ["9-5"]},
        },
    )
    assert (status, body["error_id"]) == (422, "invalid_fields")
    assert body["details"]["problems"] == {
        "code": "field_bad_site_code",
        "name": "field_required",
        "kind": "field_bad_option",
        "timezone": "field_bad_timezone",
        "hours.mon": "field_hours_reversed",
        "hours.tue": "field_hours_overlap",
        "hours.wed": "field_bad_hours",
    }
    message = body["message"]
    assert "编码（编码须为" in message and "时区（不是已知的时区" in message
    assert "周一（时段的开始须早于结束）" in message and "周二（同一天的时段不能重叠）" in message
    status, body = await _send(client, "/api/admin/sites", admin, {"code": "HD", "name": "重复"})
    assert body["details"]["problems"] == {"code": "field_duplicate"}
    status, body = await _send(client, "/api/admin/sites", admin, {"code": "X" * 33, "name": "太长"})
    assert body["details"]["problems"] == {"code": "field_too_long"}
    closed = {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    status, body = await _send(
        client, "/api/admin/sites", admin, {"code": "NONE", "name": "不开门", "hours": closed}
    )
    assert body["details"]["problems"] == {"hours": "field_no_hours"}
    status, body = await _send(
        client, "/api/admin/sites", admin, {"code": "P1", "name": "无上级", "parent_site_id": 999}
    )
    assert body["details"]["problems"] == {"parent_site_id": "field_unknown_site"}
    async with world.services.sessionmaker() as db:
        assert {s.code for s in await db.scalars(select(Site))} == {"HQ", "HD"}
    assert [a for a in await _audit(world, "site.create") if a.user_id is not None] == []


async def test_create_edit_move_and_delete_are_audited(client, world):
    admin = await login(client, "9001")
    sites = {s["code"]: s for s in (await (await client.get("/api/admin/sites")).json())["items"]}
    hq, hd = sites["HQ"]["id"], sites["HD"]["id"]
    status, gz = await _send(
        client,
        "/api/admin/sites",
        admin,
        {
            "code": "440100",
            "name": "广州供电局",
            "parent_site_id": hq,
            "kind": "bureau",
            "timezone": "Asia/Shanghai",
        },
    )
    assert status == 201 and gz["path"] == f"/{hq}/{gz['id']}/" and gz["own_hours"] is False
    status, th = await _send(
        client,
        "/api/admin/sites",
        admin,
        {"code": "440106", "name": "天河供电所", "parent_site_id": gz["id"], "kind": "outlet"},
    )
    assert status == 201 and th["path"] == f"/{hq}/{gz['id']}/{th['id']}/"

    # its own hours, a parent not itself nor below it, the code kept
    for parent in (gz["id"], th["id"]):
        status, body = await _send(
            client, f"/api/admin/sites/{gz['id']}", admin, {"parent_site_id": parent}, "PATCH"
        )
        assert (status, body["details"]["problems"]) == (422, {"parent_site_id": "field_parent_loop"})
    status, body = await _send(client, f"/api/admin/sites/{gz['id']}", admin, {"code": "CANTON"}, "PATCH")
    assert body["details"]["problems"] == {"code": "field_code_fixed"}
    hours = {"mon": "08:00-12:00, 14:00-18:00", "sat": ["09:00-12:00"]}
    status, edited = await _send(
        client,
        f"/api/admin/sites/{gz['id']}",
        admin,
        {"name": "广州局", "hours": hours, "parent_site_id": hd},
        "PATCH",
    )
    assert status == 200 and edited["name"] == "广州局" and edited["own_hours"] is True
    assert edited["hours"]["mon"] == ["08:00-12:00", "14:00-18:00"] and edited["hours"]["tue"] == []
    assert edited["path"] == f"/{hq}/{hd}/{gz['id']}/"
    listed = {s["code"]: s for s in (await (await client.get("/api/admin/sites")).json())["items"]}
    assert listed["440106"]["path"] == f"/{hq}/{hd}/{gz['id']}/{th['id']}/"  # the site below moved with it

    # deletion: not a site anything refers to (a child site, a user), a free one yes
    status, body = await _send(client, f"/api/admin/sites/{hd}", admin, method="DELETE")
    assert (status, body["error_id"]) == (409, "site_in_use") and "不能删除" in body["message"]
    status, body = await _send(client, f"/api/admin/sites/{gz['id']}", admin, method="DELETE")
    assert (status, body["error_id"]) == (409, "site_in_use")
    status, body = await _send(client, f"/api/admin/sites/{th['id']}", admin, method="DELETE")
    assert (status, body) == (200, {"deleted": True})

    async with world.services.sessionmaker() as db:
        admin_id = await db.scalar(select(User.id).where(User.staff_no == "9001"))
        rows = list(await db.scalars(select(AuditLog).where(AuditLog.entity == "site").order_by(AuditLog.id)))
    mine = [(a.action, a.entity_id) for a in rows if a.user_id == admin_id]
    assert mine == [
        ("site.create", str(gz["id"])),
        ("site.create", str(th["id"])),
        ("site.update", str(gz["id"])),
        ("site.delete", str(th["id"])),
    ]
    update = next(a for a in rows if a.action == "site.update")
    assert update.before["name"] == "广州供电局" and update.after["name"] == "广州局"
    assert update.after["hours"]["sat"] == ["09:00-12:00"]


async def _flow_on_hd(world) -> int:
    """``FLOW`` imported; 海淀's id, the site its orders go to."""
    async with world.services.sessionmaker.begin() as db:
        await import_definition(db, FLOW)
        return await db.scalar(select(Site.id).where(Site.code == "HD"))


async def _deadline(world, site_id: int, content: str, now: dt.datetime) -> dt.datetime:
    """The due time, in Shanghai, of a ``FLOW`` order 1001 creates at ``now``."""
    async with world.services.sessionmaker.begin() as db:
        agent = await db.scalar(select(User).where(User.staff_no == "1001"))
        order = await create_order(
            db, agent, workflow=FLOW["key"], site_id=site_id, form={"内容": content}, now=now
        )
        return order.due_at.astimezone(SH)


async def test_new_business_hours_change_an_orders_deadline(client, world):
    hd_id = await _flow_on_hd(world)

    async def deadline() -> dt.datetime:
        # Friday, half an hour before closing
        return await _deadline(world, hd_id, "营业时间", dt.datetime(2026, 11, 27, 17, 0, tzinfo=SH))

    # the default hours: half an hour on Friday, the rest on Monday morning
    assert await deadline() == dt.datetime(2026, 11, 30, 9, 0, tzinfo=SH)
    admin = await login(client, "9001")
    hours = {
        "mon": ["08:30-12:00", "13:30-17:30"],
        "fri": ["08:30-12:00", "13:30-17:30"],
        "sat": ["09:00-12:00"],
    }
    status, _ = await _send(client, f"/api/admin/sites/{hd_id}", admin, {"hours": hours}, "PATCH")
    assert status == 200
    # open on Saturday mornings now: the rest of the hour is on Saturday
    assert await deadline() == dt.datetime(2026, 11, 28, 9, 30, tzinfo=SH)


async def test_make_up_working_days_count_in_the_sites_own_make_up_hours(client, world):
    hd_id = await _flow_on_hd(world)

    async def deadline() -> dt.datetime:
        # Friday half an hour before closing; Sunday 2026-09-20 is worked (国庆节调休)
        return await _deadline(world, hd_id, "调休", dt.datetime(2026, 9, 18, 17, 0, tzinfo=SH))

    # by default a make-up day is worked in Monday's hours
    assert await deadline() == dt.datetime(2026, 9, 20, 9, 0, tzinfo=SH)
    admin = await login(client, "9001")
    status, body = await _send(
        client, f"/api/admin/sites/{hd_id}", admin, {"makeup_hours": ["25:00-26:00"]}, "PATCH"
    )
    assert (status, body["details"]["problems"]) == (422, {"makeup_hours": "field_bad_hours"})
    assert "调休上班日（" in body["message"]
    status, edited = await _send(
        client, f"/api/admin/sites/{hd_id}", admin, {"makeup_hours": "10:00-12:00"}, "PATCH"
    )
    assert status == 200 and edited["makeup_hours"] == ["10:00-12:00"] and edited["own_makeup_hours"]
    assert edited["own_hours"] is False and edited["hours"]["mon"] == ["08:30-12:00", "13:30-17:30"]
    assert await deadline() == dt.datetime(2026, 9, 20, 10, 30, tzinfo=SH)
    # the weekday hours edited later keep the make-up hours
    status, edited = await _send(
        client,
        f"/api/admin/sites/{hd_id}",
        admin,
        {"hours": {"mon": ["09:00-17:00"], "fri": ["09:00-17:30"]}},
        "PATCH",
    )
    assert status == 200 and edited["makeup_hours"] == ["10:00-12:00"]
    # not worked at all: the rest waits for Monday
    status, edited = await _send(client, f"/api/admin/sites/{hd_id}", admin, {"makeup_hours": []}, "PATCH")
    assert status == 200 and edited["makeup_hours"] == [] and edited["own_makeup_hours"] is True
    assert await deadline() == dt.datetime(2026, 9, 21, 9, 30, tzinfo=SH)
    # None: Monday's again
    status, edited = await _send(client, f"/api/admin/sites/{hd_id}", admin, {"makeup_hours": None}, "PATCH")
    assert edited["makeup_hours"] == ["09:00-17:00"] and edited["own_makeup_hours"] is False
    assert await deadline() == dt.datetime(2026, 9, 20, 9, 30, tzinfo=SH)
    update = (await _audit(world, "site.update"))[-1]
    assert update.before["makeup_hours"] == [] and update.after["makeup_hours"] == ["09:00-17:00"]
