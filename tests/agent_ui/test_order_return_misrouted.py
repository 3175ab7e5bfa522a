"""退单 at 接收确认 (故障报修): a bureau handler sent an order whose 所属供电局 is wrong sends it
back with the reason to 受理, where the agent who took it corrects the bureau and sends it on to
the right bureau's handlers. The bureau is not the category: nothing is locked before 派工."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import Session, act, add_user, chaoyang_bureau, new_order, sign_in
from ticketing.models import AuditLog, Site
from ticketing.sites import create_site

FAULT = {"故障名称": "停电", "故障地址": "朝阳区建国路 1 号", "所属供电局": "HD"}


async def test_a_misrouted_fault_order_is_returned_corrected_and_sent_to_the_right_bureau(
    client, aiohttp_client, world
):
    await chaoyang_bureau(world)
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent, form=FAULT)
    key = f"/api/orders/{order['id']}"
    handler = await sign_in(aiohttp_client, client, "2001")
    status, view = await handler.call("GET", key)
    assert view["node"]["id"] == "confirm" and view["actions"] == ["save", "approve", "reject"]
    assert view["reject_name"] == "退单"

    # the other bureau's handler cannot take it (rightly): not theirs to see
    status, refused = await handler.call("POST", f"{key}/forward", {"to": world.people["2101"]})
    assert status == 409 and refused["error_id"] == "target_out_of_scope"
    status, refused = await handler.call("POST", f"{key}/reject", {"opinion": " "})
    assert status == 422 and refused["error_id"] == "opinion_required", refused

    view = await act(handler, order, "reject", {"opinion": "退单：地址不在本局"})
    assert view["node"]["id"] == "accept" and view["status"] == "已受理"
    assert [h["staff_no"] for h in view["handlers"]] == ["1001"] and view["due_at"] is None
    returned = next(e for e in view["timeline"] if e["kind"] == "comment" and e["action"] == "reject")
    assert returned["text"] == "退单：地址不在本局" and returned["user"]["staff_no"] == "2001"
    assert returned["node_name"] == "接收确认"

    # back at 受理 the agent has the step, with 所属供电局 to correct
    status, view = await agent.call("GET", key)
    assert view["my_step"] is True and view["actions"] == ["save", "submit"]
    bureau = next(f for f in view["form"] if f["name"] == "所属供电局")
    assert bureau["permission"] == "required" and bureau["value"] == "HD"
    # (the order named no 小类别: back on its create step, the agent picks one, as at intake)
    assert [s["code"] for s in view["subcategories"]][:1] == ["fault_lv"]
    view = await act(
        agent,
        order,
        "submit",
        {"form": {"所属供电局": "CY"}, "subcategory": "fault_lv", "opinion": "更正所属供电局"},
    )
    assert view["node"]["id"] == "confirm" and view["status"] == "已流转" and view["due_at"]
    assert [h["staff_no"] for h in view["handlers"]] == ["2101"]

    # the right bureau's handler takes it on (批准 of 接收确认, or 提交 as before)
    right = await sign_in(aiohttp_client, client, "2101")
    view = await act(right, order, "approve", {"opinion": "已接收"})
    assert view["node"]["id"] == "dispatch", view
    async with world.services.sessionmaker() as db:
        moved = await db.scalar(
            select(AuditLog).where(
                AuditLog.action == "order.change_site", AuditLog.entity_id == str(order["id"])
            )
        )
        rejected = await db.scalar(
            select(AuditLog).where(AuditLog.action == "order.reject", AuditLog.entity_id == str(order["id"]))
        )
    assert moved.before["site"] == "HD" and moved.after["site"] == "CY"
    assert rejected.user_id == world.people["2001"] and rejected.after["node"] == "accept"


async def test_the_creator_may_not_confirm_their_own_order(client, aiohttp_client, world):
    """接收确认 is an approve node: maker ≠ checker, as for every approve node."""
    await add_user(world, "3002", "赵监控", ["supervisor"])
    supervisor = await sign_in(aiohttp_client, client, "3002")
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        await create_site(db, "FT", "丰台供电局", parent=hq, kind="bureau")
    form = {**FAULT, "所属供电局": "FT"}  # no bureau handler there: the supervisors' batch
    body = {"workflow": "fault_repair", "form": form, "subcategory": "fault_lv"}
    status, order = await supervisor.call("POST", "/api/orders", body)
    assert status == 409 and order["error_id"] == "no_operator", order
