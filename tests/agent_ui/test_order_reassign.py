"""A handler who leaves does not strand their orders: deactivating them re-plans the steps they
hold, a step nobody else can take is listed 待改派 for the team leaders and supervisors, and
改派 / 接手 / 转派 / 督办 / 强制归档 reach the engine from the console, each audited."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import Session, act, add_user, new_order, sign_in
from tests.agent_ui.test_orders import crew_time
from ticketing.models import AuditLog, Notification, Site
from ticketing.sites import create_site


def dispatch() -> dict:
    """派工 as typed when the step is taken: a time fixed at import is before the order was
    created once the module's tests start a minute later (the fault workflow refuses it)."""
    return {"抢修人员": "张师傅", "派工时间": crew_time(0)}


async def _people(world) -> None:
    await add_user(world, "2003", "陈抢修", ["handler"], "HD")
    await add_user(world, "3002", "赵监控", ["supervisor"])


async def _fault_held_by_2003(client, aiohttp_client, up_to: str) -> tuple[dict, Session]:
    """A fault order whose 接收确认 (and, for ``onsite``, 派工) 2003 did: the next step is theirs."""
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent)
    assert {h["staff_no"] for h in order["handlers"]} == {"2001", "2003"}
    leaver = await sign_in(aiohttp_client, client, "2003")
    view = await act(leaver, order)
    assert view["node"]["id"] == "dispatch", view
    if up_to == "onsite":
        view = await act(leaver, order, body={"form": dispatch()})
        assert view["node"]["id"] == "onsite", view
    assert [h["staff_no"] for h in view["handlers"]] == ["2003"]
    return view, agent


async def _deactivate(aiohttp_client, client, staff_no: str) -> None:
    admin = await sign_in(aiohttp_client, client, "9001")
    status, body = await admin.call("PATCH", f"/api/users/{staff_no}", {"active": False})
    assert status == 200, body


async def test_deactivating_a_handler_hands_their_step_to_the_next_batch(client, aiohttp_client, world):
    await _people(world)
    order, _ = await _fault_held_by_2003(client, aiohttp_client, "dispatch")
    await _deactivate(aiohttp_client, client, "2003")

    # 派工's first batch (whoever did 接收确认) finds nobody active: its second, the bureau's handlers
    colleague = await sign_in(aiohttp_client, client, "2001")
    status, view = await colleague.call("GET", f"/api/orders/{order['id']}")
    assert [h["staff_no"] for h in view["handlers"]] == ["2001"]
    assert view["my_step"] is True and view["stranded"] is False
    view = await act(colleague, order, body={"form": dispatch()})
    assert view["status"] == "已派工", view
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
    supervisor = await sign_in(aiohttp_client, client, "3002")
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
    colleague = await sign_in(aiohttp_client, client, "2001")
    status, view = await colleague.call("GET", f"/api/orders/{order['id']}")
    assert view["manage"] == ["take_over"] and view["my_step"] is False
    view = await act(colleague, order, "take_over", {"opinion": "我来跟进"})
    assert [h["staff_no"] for h in view["handlers"]] == ["2001"] and view["stranded"] is False
    took = [e for e in view["timeline"] if e["kind"] == "comment" and e["action"] == "take_over"]
    assert took[0]["user"]["staff_no"] == "2001" and took[0]["text"] == "我来跟进"
    status, listed = await supervisor.call("GET", "/api/orders?list=stranded")
    assert listed["total"] == 0
    # once held again, a colleague can no longer take it
    await add_user(world, "2004", "孙抢修", ["handler"], "HD")  # 2001's bureau
    late = await sign_in(aiohttp_client, client, "2004")
    status, refused = await late.call("POST", f"/api/orders/{order['id']}/take_over", {})
    assert status == 409 and refused["error_id"] == "step_not_stranded"
    view = await act(colleague, order, body={"form": {"到达时间": crew_time(1), "产权": "客户"}})
    assert view["status"] == "正在现场抢修", view


async def test_supervisors_reassign_press_and_force_archive_and_each_is_audited(
    client, aiohttp_client, world
):
    await _people(world)
    order, agent = await _fault_held_by_2003(client, aiohttp_client, "onsite")
    key = f"/api/orders/{order['id']}"
    leader = await sign_in(aiohttp_client, client, "3001")
    supervisor = await sign_in(aiohttp_client, client, "3002")
    ids = world.people

    # the team leader 改派 to the bureau's other handler, while 2003 is still there
    status, view = await leader.call("GET", key)
    assert view["manage"] == ["reassign", "supervise", "void"]  # 强制归档 is the supervisors'
    status, refused = await leader.call("POST", f"{key}/force_archive", {"opinion": "撤单"})
    assert status == 403, refused
    status, refused = await leader.call("POST", f"{key}/reassign", {"to": ids["9001"]})
    assert status == 409 and refused["error_id"] == "target_not_worker"
    view = await act(leader, order, "reassign", {"to": ids["2001"], "opinion": "陈抢修休假"})
    assert [h["staff_no"] for h in view["handlers"]] == ["2001"]
    entry = next(e for e in view["timeline"] if e.get("action") == "reassign")
    assert entry["user"]["staff_no"] == "3001" and entry["text"] == "陈抢修休假"
    assert entry["to_users"] == [{"staff_no": "2001", "name": "李抢修"}]

    # an agent cannot reassign or press; the holder may 转派 on to a colleague
    status, refused = await agent.call("POST", f"{key}/reassign", {"to": ids["2003"]})
    assert status == 403, refused
    status, refused = await agent.call("POST", f"{key}/supervise", {"opinion": "快"})
    assert status == 403, refused
    holder = await sign_in(aiohttp_client, client, "2001")
    status, view = await holder.call("GET", key)
    assert view["manage"] == ["forward"]
    view = await act(holder, order, "forward", {"to": ids["2003"], "opinion": "你熟悉这条线"})
    assert [h["staff_no"] for h in view["handlers"]] == ["2003"], view

    # 督办 needs its words and reaches the holder
    status, refused = await supervisor.call("POST", f"{key}/supervise", {"opinion": " "})
    assert status == 422 and refused["error_id"] == "opinion_required"
    view = await act(supervisor, order, "supervise", {"opinion": "两小时内到场", "urgency": "urgent"})
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
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent, "consult", {"咨询内容": "电价"}, submit=False)
    supervisor = await sign_in(aiohttp_client, client, "3002")
    view = await act(supervisor, order, "force_archive", {"opinion": "重复受理"})
    assert view["is_open"] is False, view
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
    admin = await sign_in(aiohttp_client, client, "9001")
    status, body = await admin.call(
        "PATCH", "/api/users/2003", {"site_id": chaoyang.id, "scope_site_ids": [chaoyang.id]}
    )
    assert status == 200, body
    status, view = await admin.call("GET", f"/api/orders/{order['id']}")
    assert [h["staff_no"] for h in view["handlers"]] == ["2001"] and view["stranded"] is False
