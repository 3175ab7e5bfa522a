"""退单 at 接收确认 (故障报修): a bureau handler sent an order whose 所属供电局 is wrong sends it
back with the reason to 受理, where the agent who took it corrects the bureau and sends it on to
the right bureau's handlers. The bureau is not the category: nothing is locked before 派工."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import PASSWORD, login
from ticketing import users
from ticketing.models import AuditLog, Site
from ticketing.sites import create_site

FAULT = {"故障名称": "停电", "故障地址": "朝阳区建国路 1 号", "所属供电局": "HD"}


class Session:
    def __init__(self, client, token: str) -> None:
        self.client, self.token = client, token

    async def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        resp = await self.client.request(method, path, json=body, headers={"X-CSRF-Token": self.token})
        return resp.status, await resp.json()


async def _as(aiohttp_client, client, staff_no: str) -> Session:
    other = await aiohttp_client(client.server)
    return Session(other, await login(other, staff_no))


async def _chaoyang(world) -> None:
    """A second bureau (朝阳) with its own handler, 2101."""
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        chaoyang = await create_site(db, "CY", "朝阳供电局", parent=hq, kind="bureau")
        user = await users.create_user(
            db, "2101", "刘抢修", PASSWORD, roles=["handler"], must_change_password=False, site_id=chaoyang.id
        )
        world.people["2101"] = user.id


async def test_a_misrouted_fault_order_is_returned_corrected_and_sent_to_the_right_bureau(
    client, aiohttp_client, world
):
    await _chaoyang(world)
    agent = Session(client, await login(client, "1001"))
    status, order = await agent.call("POST", "/api/orders", {"workflow": "fault_repair", "form": FAULT})
    assert status == 201, order
    key = f"/api/orders/{order['id']}"
    handler = await _as(aiohttp_client, client, "2001")
    status, view = await handler.call("GET", key)
    assert view["node"]["id"] == "confirm" and view["actions"] == ["save", "approve", "reject"]
    assert view["reject_name"] == "退单"

    # the other bureau's handler cannot take it (rightly): not theirs to see
    status, refused = await handler.call("POST", f"{key}/forward", {"to": world.people["2101"]})
    assert status == 409 and refused["error_id"] == "target_out_of_scope"
    status, refused = await handler.call("POST", f"{key}/reject", {"opinion": " "})
    assert status == 422 and refused["error_id"] == "opinion_required", refused

    status, view = await handler.call("POST", f"{key}/reject", {"opinion": "退单：地址不在本局"})
    assert status == 200, view
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
    status, view = await agent.call(
        "POST", f"{key}/submit", {"form": {"所属供电局": "CY"}, "opinion": "更正所属供电局"}
    )
    assert status == 200, view
    assert view["node"]["id"] == "confirm" and view["status"] == "已流转" and view["due_at"]
    assert [h["staff_no"] for h in view["handlers"]] == ["2101"]

    # the right bureau's handler takes it on (批准 of 接收确认, or 提交 as before)
    right = await _as(aiohttp_client, client, "2101")
    status, view = await right.call("POST", f"{key}/approve", {"opinion": "已接收"})
    assert status == 200 and view["node"]["id"] == "dispatch", view
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
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        await users.create_user(
            db, "3002", "赵监控", PASSWORD, roles=["supervisor"], must_change_password=False, site_id=hq.id
        )
    supervisor = await _as(aiohttp_client, client, "3002")
    form = {**FAULT, "所属供电局": "HQ"}  # no bureau handler there: the supervisors' batch
    status, order = await supervisor.call("POST", "/api/orders", {"workflow": "fault_repair", "form": form})
    assert status == 409 and order["error_id"] == "no_operator", order
