"""作废 (void) of an invalid or duplicate order: 强制归档 cannot close an order whose archive
needs content nobody wrote (a duplicate fault report during a 大面积停电), 作废 closes it as
已作废 with its reason, linked to the order it repeats, its steps and time limits ended, and the
reports count it apart."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import Session, act, add_user, new_order, sign_in
from ticketing import reports
from ticketing.models import AuditLog, Notification, Timer


async def test_a_duplicate_fault_report_is_voided_linked_to_the_order_it_repeats(
    client, aiohttp_client, world
):
    await add_user(world, "3002", "赵监控", ["supervisor"])
    agent = await Session.signed_in(client, "1001")
    first = await new_order(agent)
    again = await new_order(agent)
    assert again["due_at"], again
    key = f"/api/orders/{again['id']}"
    supervisor = await sign_in(aiohttp_client, client, "3002")

    # 强制归档 keeps its rule: the archive's 处理描述 / 回访满意度 are empty
    status, refused = await supervisor.call("POST", f"{key}/force_archive", {"opinion": "重复单"})
    assert status == 409 and refused["error_id"] == "required_content_empty", refused
    # said by name, with the way a duplicate goes instead (QA-25: the fields are not on the
    # supervisor's form, so 必填内容为空 alone left nothing to fill)
    assert refused["message"] == (
        "必填内容为空，不能关闭工单：处理描述、回访满意度。请先填写；重复或无效的工单请用「作废」。"
    ), refused

    status, view = await supervisor.call("GET", key)
    assert view["manage"][-1] == "void"
    status, refused = await agent.call("POST", f"{key}/void", {"opinion": "重复"})
    assert status == 403, refused
    status, refused = await supervisor.call("POST", f"{key}/void", {"opinion": " "})
    assert status == 422 and refused["error_id"] == "opinion_required", refused
    status, refused = await supervisor.call(
        "POST", f"{key}/void", {"opinion": "重复", "duplicate_of": again["number"]}
    )
    assert status == 409 and refused["error_id"] == "duplicate_of_itself", refused
    status, refused = await supervisor.call("POST", f"{key}/void", {"opinion": "重复", "duplicate_of": "GZ0"})
    assert status == 422 and refused["details"]["problems"] == {"duplicate_of": "field_unknown_order"}

    view = await act(
        supervisor, again, "void", {"opinion": "空地址重复单，作废", "duplicate_of": first["number"]}
    )
    assert view["status"] == "已作废" and view["is_open"] is False and view["due_at"] is None
    assert view["actions"] == [] and view["manage"] == [] and view["handlers"] == []
    assert [(x["role"], x["kind"], x["number"]) for x in view["links"]] == [
        ("linked", "duplicate", first["number"])
    ]
    voided = next(e for e in view["timeline"] if e["kind"] == "comment" and e["action"] == "void")
    assert voided["text"] == "空地址重复单，作废" and voided["duplicate_of"] == first["number"]
    assert voided["user"]["staff_no"] == "3002"
    closing = view["timeline"][-1] if view["timeline"][-1]["kind"] == "status" else None
    statuses = [e for e in view["timeline"] if e["kind"] == "status"]
    assert statuses[-1]["status"] == "已作废" and statuses[-1]["user"]["staff_no"] == "3002", closing

    status, original = await agent.call("GET", f"/api/orders/{first['id']}")
    assert [(x["role"], x["kind"], x["number"], x["status"]) for x in original["links"]] == [
        ("source", "duplicate", again["number"], "已作废")
    ]
    assert original["is_open"] is True
    status, refused = await supervisor.call("POST", f"{key}/void", {"opinion": "再来"})
    assert status == 409 and refused["error_id"] == "order_closed"
    status, survey = await supervisor.call("GET", f"{key}/survey")
    assert survey["due"] is False

    async with world.services.sessionmaker() as db:
        audit = await db.scalar(
            select(AuditLog).where(AuditLog.action == "order.void", AuditLog.entity_id == str(again["id"]))
        )
        assert audit is not None and audit.user_id == world.people["3002"]
        assert audit.after["status"] == "已作废" and audit.after["is_open"] is False
        pending = await db.scalars(
            select(Timer).where(Timer.order_id == again["id"], Timer.state == "pending")
        )
        assert list(pending) == []  # no reminder or overrun after it
        told = await db.scalars(
            select(Notification.recipient).where(
                Notification.order_id == again["id"], Notification.body.contains("作废")
            )
        )
        assert "2001" in set(told)  # the bureau's handler who held 接收确认

        # the reports: counted apart, never a cycle time, never overdue
        assert dict(await reports.orders_by(db, "category")) == {"fault": 1}
        assert await reports.voided_by(db, "category") == {"fault": 1}
        assert dict(await reports.orders_by(db, "status"))["已作废"] == 1
        assert await reports.cycle_time_by_workflow(db) == []

    status, table = await supervisor.call("GET", "/api/reports/orders_by_category")
    assert status == 200, table
    assert [c["key"] for c in table["columns"]] == ["group", "count", "voided"]
    assert table["rows"] == [["故障报修", 1, 1]]


async def test_a_team_leader_voids_within_their_scope(client, aiohttp_client, world):
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent, "consult", {"咨询内容": "电价"}, submit=False)
    leader = await sign_in(aiohttp_client, client, "3001")
    status, view = await leader.call("GET", f"/api/orders/{order['id']}")
    assert view["manage"] == ["reassign", "supervise", "void"]
    view = await act(leader, order, "void", {"opinion": "空号无效单"})
    assert view["status"] == "已作废" and view["links"] == [], view
