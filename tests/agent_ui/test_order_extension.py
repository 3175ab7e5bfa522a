"""延期 (deadline extension): the handler of a step asks for more time with a reason and a new
deadline; a supervisor approves (the step's due time and its reminders move, the handler is
told) or refuses (with the reason, the handler is told); timeline and audit keep both."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.agent_ui.conftest import Session, act, add_user, new_order, sign_in
from ticketing.models import AuditLog, Notification, Timer

SH = ZoneInfo("Asia/Shanghai")


def _utc(text: str) -> dt.datetime:
    at = dt.datetime.fromisoformat(text)
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _typed(at: dt.datetime) -> str:
    """As the dialog's datetime-local sends it: the site's wall time, to the minute."""
    return at.astimezone(SH).strftime("%Y-%m-%dT%H:%M")


async def test_a_handler_asks_for_more_time_and_a_supervisor_answers(client, aiohttp_client, world):
    await add_user(world, "3002", "赵监控", ["supervisor"])
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent)
    assert order["due_at"], order
    key = f"/api/orders/{order['id']}"
    was = _utc(order["due_at"])
    handler = await sign_in(aiohttp_client, client, "2001")
    status, view = await handler.call("GET", key)
    assert view["extension"] == {"may_request": True, "may_decide": False, "pending": None}

    status, refused = await handler.call(
        "POST", f"{key}/extension", {"due_at": _typed(was + dt.timedelta(hours=2)), "reason": " "}
    )
    assert status == 422 and refused["error_id"] == "opinion_required", refused
    status, refused = await handler.call(
        "POST", f"{key}/extension", {"due_at": _typed(was - dt.timedelta(minutes=5)), "reason": "线路长"}
    )
    assert status == 409 and refused["error_id"] == "extension_not_later", refused
    status, refused = await handler.call("POST", f"{key}/extension", {"due_at": "明天", "reason": "线路长"})
    assert status == 422 and refused["details"]["problems"] == {"due_at": "field_bad_datetime"}
    for out_of_range in ("0001-01-01T00:00+14:00", "0001-01-01T00:00"):
        status, refused = await handler.call(
            "POST", f"{key}/extension", {"due_at": out_of_range, "reason": "线路长"}
        )
        assert status == 422 and refused["details"]["problems"] == {"due_at": "field_bad_datetime"}
    status, refused = await handler.call(
        "POST", f"{key}/extension", {"due_at": "9999-12-31T23:59", "reason": "线路长"}
    )
    assert status == 409 and refused["error_id"] == "extension_too_far", refused

    wanted = (was + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    view = await act(
        handler, order, "extension", {"due_at": _typed(wanted), "reason": "暴雨，道路积水，需增派车辆"}
    )
    asked = view["extension"]["pending"]
    assert _utc(asked["due_at"]) == wanted and asked["reason"] == "暴雨，道路积水，需增派车辆"
    assert asked["user"]["staff_no"] == "2001" and view["extension"]["may_request"] is False
    assert _utc(view["due_at"]) == was  # not before it is approved
    status, refused = await handler.call(
        "POST", f"{key}/extension", {"due_at": _typed(wanted + dt.timedelta(hours=1)), "reason": "再延"}
    )
    assert status == 409 and refused["error_id"] == "extension_pending"

    # the agent and the team leader do not approve (the step names no approvers: supervisors)
    status, refused = await agent.call("POST", f"{key}/extension/approve", {})
    assert status == 403, refused
    leader = await sign_in(aiohttp_client, client, "3001")
    status, view = await leader.call("GET", key)
    assert view["extension"]["may_decide"] is False and view["extension"]["pending"]
    supervisor = await sign_in(aiohttp_client, client, "3002")
    status, view = await supervisor.call("GET", key)
    assert view["extension"]["may_decide"] is True
    view = await act(supervisor, order, "extension/approve", {"opinion": "同意延期"})
    assert _utc(view["due_at"]) == wanted and view["extension"]["pending"] is None
    granted = next(e for e in view["timeline"] if e.get("action") == "extend_approve")
    assert granted["user"]["staff_no"] == "3002" and _utc(granted["due_at"]) == wanted
    assert any(e.get("action") == "extend_request" and e["text"] for e in view["timeline"])
    async with world.services.sessionmaker() as db:
        overrun = await db.scalar(
            select(Timer).where(
                Timer.order_id == order["id"], Timer.node == "confirm", Timer.state == "pending"
            )
        )
        assert _utc(overrun.due_at.isoformat()) == wanted  # the overrun alert waits for the new deadline
        told = list(
            await db.scalars(
                select(Notification.body).where(
                    Notification.recipient == "2001", Notification.body.contains("延期")
                )
            )
        )
        assert any("已批准" in b for b in told), told
        audit = await db.scalar(select(AuditLog).where(AuditLog.action == "order.extend_approve"))
        assert _utc(audit.before["due_at"]) == was and _utc(audit.after["due_at"]) == wanted

    # asked again: refused with its reason, the deadline stays
    view = await act(
        handler, order, "extension", {"due_at": _typed(wanted + dt.timedelta(hours=3)), "reason": "仍在抢修"}
    )
    assert view["extension"]["pending"], view
    status, refused = await supervisor.call("POST", f"{key}/extension/refuse", {"opinion": ""})
    assert status == 422 and refused["error_id"] == "opinion_required"
    view = await act(supervisor, order, "extension/refuse", {"opinion": "请先接收再派工"})
    assert _utc(view["due_at"]) == wanted and view["extension"]["pending"] is None
    async with world.services.sessionmaker() as db:
        told = list(await db.scalars(select(Notification.body).where(Notification.recipient == "2001")))
        assert any("未批准" in b and "请先接收再派工" in b for b in told), told
