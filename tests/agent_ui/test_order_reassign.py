"""A handler who leaves does not strand their orders: deactivating them re-plans the steps they
hold, a step nobody else can take is listed 待改派 for the team leaders and supervisors, and
改派 / 接手 / 转派 / 督办 / 强制归档 reach the engine from the console, each audited."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import PASSWORD, login
from tests.agent_ui.test_orders import crew_time
from ticketing import users
from ticketing.models import AuditLog, Notification, Site, User
from ticketing.sites import create_site

FAULT = {"故障名称": "停电", "故障地址": "海淀区中关村大街 9 号", "所属供电局": "HD"}


def dispatch() -> dict:
    """派工 as typed when the step is taken: a time fixed at import is before the order was
    created once the module's tests start a minute later (the fault workflow refuses it)."""
    return {"抢修人员": "张师傅", "派工时间": crew_time(0)}


async def _people(world) -> None:
    async with world.services.sessionmaker.begin() as db:
        hd = await db.scalar(select(Site).where(Site.code == "HD"))
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        for staff_no, name, roles, site in [
            ("2003", "陈抢修", ["handler"], hd),
            ("3002", "赵监控", ["supervisor"], hq),
        ]:
            user = await users.create_user(
                db, staff_no, name, PASSWORD, roles=roles, must_change_password=False, site_id=site.id
            )
            world.people[staff_no] = user.id


class Session:
    def __init__(self, client, token: str) -> None:
        self.client, self.token = client, token

    async def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        resp = await self.client.request(method, path, json=body, headers={"X-CSRF-Token": self.token})
        return resp.status, await resp.json()


async def _as(aiohttp_client, client, staff_no: str) -> Session:
    other = await aiohttp_client(client.server)
    return Session(other, await login(other, staff_no))


async def _fault_held_by_2003(client, aiohttp_client, up_to: str) -> tuple[dict, Session]:
    """A fault order whose 接收确认 (and, for ``onsite``, 派工) 2003 did: the next step is theirs."""
    agent = Session(client, await login(client, "1001"))
    status, order = await agent.call("POST", "/api/orders", {"workflow": "fault_repair", "form": FAULT})
    assert status == 201, order
    assert {h["staff_no"] for h in order["handlers"]} == {"2001", "2003"}
    leaver = await _as(aiohttp_client, client, "2003")
    status, view = await leaver.call("POST", f"/api/orders/{order['id']}/submit", {})
    assert status == 200 and view["node"]["id"] == "dispatch", view
    if up_to == "onsite":
        status, view = await leaver.call("POST", f"/api/orders/{order['id']}/submit", {"form": dispatch()})
        assert status == 200 and view["node"]["id"] == "onsite", view
    assert [h["staff_no"] for h in view["handlers"]] == ["2003"]
    return view, agent


async def _deactivate(aiohttp_client, client, staff_no: str) -> None:
    admin = await _as(aiohttp_client, client, "9001")
    status, body = await admin.call("PATCH", f"/api/users/{staff_no}", {"active": False})
    assert status == 200, body


async def test_deactivating_a_handler_hands_their_step_to_the_next_batch(client, aiohttp_client, world):
    await _people(world)
    order, _ = await _fault_held_by_2003(client, aiohttp_client, "dispatch")
    await _deactivate(aiohttp_client, client, "2003")

    # 派工's first batch (whoever did 接收确认) finds nobody active: its second, the bureau's handlers
    colleague = await _as(aiohttp_client, client, "2001")
    status, view = await colleague.call("GET", f"/api/orders/{order['id']}")
    assert [h["staff_no"] for h in view["handlers"]] == ["2001"]
    assert view["my_step"] is True and view["stranded"] is False
    status, view = await colleague.call("POST", f"/api/orders/{order['id']}/submit", {"form": dispatch()})
    assert status == 200 and view["status"] == "已派工", view
    async with world.services.sessionmaker() as db:
        row = await db.scalar(
            select(AuditLog).where(
                AuditLog.action == "order.reassign", AuditLog.entity_id == str(order["id"])
            )
        )
    assert row is not None and row.user_id == world.people["9001"]


async def test_a_step_nobody_else_may_take_is_listed_for_reassignment_and_taken_over(
    client, aiohttp_client, world
):
    await _people(world)
    order, agent = await _fault_held_by_2003(client, aiohttp_client, "onsite")
    await _deactivate(aiohttp_client, client, "2003")

    # 到达现场 goes only to whoever dispatched: the order waits, shown to those who reassign
    supervisor = await _as(aiohttp_client, client, "3002")
    status, view = await supervisor.call("GET", f"/api/orders/{order['id']}")
    assert view["stranded"] is True
    assert [(h["staff_no"], h["active"]) for h in view["handlers"]] == [("2003", False)]
    assert view["manage"] == ["reassign", "supervise", "force_archive", "void"]
    status, listed = await supervisor.call("GET", "/api/orders?list=stranded")
    assert [o["number"] for o in listed["items"]] == [order["number"]]
    async with world.services.sessionmaker() as db:
        told = await db.scalars(
            select(Notification.recipient).where(
                Notification.order_id == order["id"], Notification.channel == "screen"
            )
        )
        assert set(told) >= {"3001", "3002"}  # the team leader and the supervisor who see it

    # a colleague in the same role may take it over; the agent (another role) may not
    status, view = await agent.call("GET", f"/api/orders/{order['id']}")
    assert view["manage"] == []
    status, refused = await agent.call("POST", f"/api/orders/{order['id']}/take_over", {})
    assert status == 409 and refused["error_id"] == "step_not_stranded"
    colleague = await _as(aiohttp_client, client, "2001")
    status, view = await colleague.call("GET", f"/api/orders/{order['id']}")
    assert view["manage"] == ["take_over"] and view["my_step"] is False
    status, view = await colleague.call(
        "POST", f"/api/orders/{order['id']}/take_over", {"opinion": "我来跟进"}
    )
    assert status == 200, view
    assert [h["staff_no"] for h in view["handlers"]] == ["2001"] and view["stranded"] is False
    took = [e for e in view["timeline"] if e["kind"] == "comment" and e["action"] == "take_over"]
    assert took[0]["user"]["staff_no"] == "2001" and took[0]["text"] == "我来跟进"
    status, listed = await supervisor.call("GET", "/api/orders?list=stranded")
    assert listed["total"] == 0
    # once held again, a colleague can no longer take it
    async with world.services.sessionmaker.begin() as db:
        await users.create_user(
            db,
            "2004",
            "孙抢修",
            PASSWORD,
            roles=["handler"],
            must_change_password=False,
            site_id=(await db.get(User, world.people["2001"])).site_id,
        )
    late = await _as(aiohttp_client, client, "2004")
    status, refused = await late.call("POST", f"/api/orders/{order['id']}/take_over", {})
    assert status == 409 and refused["error_id"] == "step_not_stranded"
    status, view = await colleague.call(
        "POST",
        f"/api/orders/{order['id']}/submit",
        {"form": {"到达时间": crew_time(1), "产权": "客户"}},
    )
    assert status == 200 and view["status"] == "正在现场抢修", view


async def test_supervisors_reassign_press_and_force_archive_and_each_is_audited(
    client, aiohttp_client, world
):
    await _people(world)
    order, agent = await _fault_held_by_2003(client, aiohttp_client, "onsite")
    key = f"/api/orders/{order['id']}"
    leader = await _as(aiohttp_client, client, "3001")
    supervisor = await _as(aiohttp_client, client, "3002")
    ids = world.people

    # the team leader 改派 to the bureau's other handler, while 2003 is still there
    status, view = await leader.call("GET", key)
    assert view["manage"] == ["reassign", "supervise", "void"]  # 强制归档 is the supervisors'
    status, refused = await leader.call("POST", f"{key}/force_archive", {"opinion": "撤单"})
    assert status == 403, refused
    status, refused = await leader.call("POST", f"{key}/reassign", {"to": ids["9001"]})
    assert status == 409 and refused["error_id"] == "target_not_worker"
    status, view = await leader.call("POST", f"{key}/reassign", {"to": ids["2001"], "opinion": "陈抢修休假"})
    assert status == 200, view
    assert [h["staff_no"] for h in view["handlers"]] == ["2001"]
    entry = next(e for e in view["timeline"] if e.get("action") == "reassign")
    assert entry["user"]["staff_no"] == "3001" and entry["text"] == "陈抢修休假"
    assert entry["to_users"] == [{"staff_no": "2001", "name": "李抢修"}]

    # an agent cannot reassign or press; the holder may 转派 on to a colleague
    status, refused = await agent.call("POST", f"{key}/reassign", {"to": ids["2003"]})
    assert status == 403, refused
    status, refused = await agent.call("POST", f"{key}/supervise", {"opinion": "快"})
    assert status == 403, refused
    holder = await _as(aiohttp_client, client, "2001")
    status, view = await holder.call("GET", key)
    assert view["manage"] == ["forward"]
    status, view = await holder.call("POST", f"{key}/forward", {"to": ids["2003"], "opinion": "你熟悉这条线"})
    assert status == 200 and [h["staff_no"] for h in view["handlers"]] == ["2003"], view

    # 督办 needs its words and reaches the holder
    status, refused = await supervisor.call("POST", f"{key}/supervise", {"opinion": " "})
    assert status == 422 and refused["error_id"] == "opinion_required"
    status, view = await supervisor.call(
        "POST", f"{key}/supervise", {"opinion": "两小时内到场", "urgency": "urgent"}
    )
    assert status == 200, view
    pressed = next(e for e in view["timeline"] if e.get("action") == "supervise")
    assert pressed["urgency"] == "urgent" and pressed["user"]["staff_no"] == "3002"

    # 强制归档 closes it; required content still applies, so give what the archive requires
    status, refused = await supervisor.call("POST", f"{key}/force_archive", {"opinion": ""})
    assert status == 422 and refused["error_id"] == "opinion_required"
    status, refused = await supervisor.call("POST", f"{key}/force_archive", {"opinion": "客户撤单"})
    assert status == 409 and refused["error_id"] == "required_content_empty"

    async with world.services.sessionmaker() as db:
        rows = list(
            await db.execute(
                select(AuditLog.action, AuditLog.user_id)
                .where(AuditLog.entity == "work_order", AuditLog.entity_id == str(order["id"]))
                .order_by(AuditLog.id)
            )
        )
    assert [r for r in rows if r[0] in ("order.reassign", "order.forward", "order.supervise")] == [
        ("order.reassign", ids["3001"]),
        ("order.forward", ids["2001"]),
        ("order.supervise", ids["3002"]),
    ]


async def test_force_archive_closes_an_order_whose_archive_has_what_it_needs(client, aiohttp_client, world):
    await _people(world)
    agent = Session(client, await login(client, "1001"))
    status, order = await agent.call(
        "POST", "/api/orders", {"workflow": "consult", "form": {"咨询内容": "电价"}, "submit": False}
    )
    assert status == 201, order
    supervisor = await _as(aiohttp_client, client, "3002")
    status, view = await supervisor.call(
        "POST", f"/api/orders/{order['id']}/force_archive", {"opinion": "重复受理"}
    )
    assert status == 200 and view["is_open"] is False, view
    assert view["manage"] == [] and view["actions"] == []
    closing = next(e for e in view["timeline"] if e["kind"] == "comment" and e["action"] == "force_archive")
    assert closing["user"]["staff_no"] == "3002" and closing["text"] == "重复受理"


async def test_moving_a_handler_to_another_bureau_hands_on_the_steps_they_can_no_longer_see(
    client, aiohttp_client, world
):
    await _people(world)
    order, _ = await _fault_held_by_2003(client, aiohttp_client, "dispatch")
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        chaoyang = await create_site(db, "CY", "朝阳供电局", parent=hq, kind="bureau")
    admin = await _as(aiohttp_client, client, "9001")
    status, body = await admin.call(
        "PATCH", "/api/users/2003", {"site_id": chaoyang.id, "scope_site_ids": [chaoyang.id]}
    )
    assert status == 200, body
    status, view = await admin.call("GET", f"/api/orders/{order['id']}")
    assert [h["staff_no"] for h in view["handlers"]] == ["2001"] and view["stranded"] is False
