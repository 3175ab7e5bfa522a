"""QA: 转派 ignored who may act at a step. At 故障报修's 派工 the handler's 交给 list (GET
/api/orders/{key}/candidates) offered the call centre's agents, team leader and supervisor, and
forwarding to agent 1001 was 200, after which 1001 could submit 派工 (已派工). 派工's rules
(``dispatch.operators``) allow whoever did 接收确认 or a handler of the bureau 所属供电局 names:
the list offers only them (less who holds the step), and a forward to anybody else is refused
``target_not_operator`` (409, in the console's error shape, its text from error.target_not_operator).
改派 (team leaders and up) and 自由流转's next handler are not held to the step's rules."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import Session, act, add_user, new_order, sign_in
from tests.agent_ui.test_order_reassign import dispatch
from ticketing.models import Site
from ticketing.sites import create_site


async def _at_dispatch(client, aiohttp_client, world) -> tuple[dict, Session, Session]:
    """A 海淀 fault order 2001 confirmed: 派工 is theirs; 2003 is the bureau's other handler."""
    await add_user(world, "2003", "陈抢修", ["handler"], "HD")
    await add_user(world, "1005", "钱坐席", ["agent"])
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        await create_site(db, "CY", "朝阳供电局", parent=hq, kind="bureau")
    await add_user(world, "2101", "刘抢修", ["handler"], "CY")  # another bureau's handler
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent)
    holder = await sign_in(aiohttp_client, client, "2001")
    view = await act(holder, order, "approve", {"opinion": "收到"})
    assert view["node"]["id"] == "dispatch" and [h["staff_no"] for h in view["handlers"]] == ["2001"]
    return order, holder, agent


async def test_forward_offers_and_accepts_only_whom_the_steps_rules_allow(client, aiohttp_client, world):
    order, holder, agent = await _at_dispatch(client, aiohttp_client, world)
    key = f"/api/orders/{order['id']}"
    ids = world.people

    # 交给: the bureau's other handler only (2001 holds it; agents, the team leader, the far
    # bureau's handler are not 派工's operators), also when searched by name or 工号
    status, listed = await holder.call("GET", f"{key}/candidates")
    assert status == 200 and [p["staff_no"] for p in listed["items"]] == ["2003"], listed
    status, listed = await holder.call("GET", f"{key}/candidates?for=forward&q=1")
    assert listed["items"] == []
    status, listed = await holder.call("GET", f"{key}/candidates?for=somewhere")
    assert status == 422 or status == 400, listed

    # a forward to an agent, the team leader: refused, nothing moves
    for staff_no in ("1001", "1005", "3001"):
        status, refused = await holder.call(
            "POST", f"{key}/forward", {"to": ids[staff_no], "opinion": "请处理"}
        )
        assert status == 409 and refused["error_id"] == "target_not_operator", refused
        assert refused["message"].startswith("该用户不能处理当前步骤"), refused
    # another bureau's handler cannot even see the order: refused as before
    status, refused = await holder.call("POST", f"{key}/forward", {"to": ids["2101"]})
    assert status == 409 and refused["error_id"] == "target_out_of_scope", refused
    status, view = await holder.call("GET", key)
    assert [h["staff_no"] for h in view["handlers"]] == ["2001"]
    assert not [e for e in view["timeline"] if e.get("action") == "forward"]

    # submit checks the holder (the engine's my_assignment): the agent refused the forward does
    # not hold 派工 and cannot submit it
    status, refused = await agent.call("POST", f"{key}/submit", {"form": dispatch()})
    assert status == 409 and refused["error_id"] == "not_your_step", refused

    # within the rules: to the bureau's other handler, who then dispatches
    view = await act(holder, order, "forward", {"to": ids["2003"], "opinion": "你熟悉这条线"})
    assert [h["staff_no"] for h in view["handlers"]] == ["2003"]
    colleague = await sign_in(aiohttp_client, client, "2003")
    view = await act(colleague, order, body={"form": dispatch()})
    assert view["status"] == "已派工", view


async def test_reassign_and_the_next_handler_are_not_held_to_the_steps_rules(client, aiohttp_client, world):
    order, holder, agent = await _at_dispatch(client, aiohttp_client, world)
    key = f"/api/orders/{order['id']}"
    leader = await sign_in(aiohttp_client, client, "3001")
    # 改派's list: everyone who works on orders and sees it (the team leaders' override)
    status, listed = await leader.call("GET", f"{key}/candidates?for=reassign")
    staff = [p["staff_no"] for p in listed["items"]]
    assert {"1001", "1005", "2001", "2003", "3001"} <= set(staff) and "2101" not in staff, staff
    status, listed = await holder.call("GET", f"{key}/candidates?for=next")
    assert "1001" in {p["staff_no"] for p in listed["items"]}
    view = await act(leader, order, "reassign", {"to": world.people["1005"], "opinion": "临时代派"})
    assert [h["staff_no"] for h in view["handlers"]] == ["1005"]
