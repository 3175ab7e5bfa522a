"""处理过程 on the order page: every step names who took it, the system's actions are the system's,
alerts to staff are internal alerts with their urgency (not messages to the customer), and a
failed fax says why in words the agent can act on, Asterisk's reason kept as detail."""

from __future__ import annotations

from sqlalchemy import select, update

from tests.agent_ui.conftest import Session, act, new_order, sign_in
from ticketing import sla
from ticketing.models import Notification, User, WorkOrder
from ticketing.workflow.actions import convert


async def _order(client, aiohttp_client) -> dict:
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent, caller_number="13800138000")
    await act(await sign_in(aiohttp_client, client, "2001"), order)  # 接收确认
    return order


async def test_every_step_names_its_operator_without_an_opinion(client, aiohttp_client):
    order = await _order(client, aiohttp_client)
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    steps = [
        (e["status"], (e["user"] or {}).get("staff_no")) for e in view["timeline"] if e["kind"] == "status"
    ]
    # 受理 and its 提交 by the agent, 接收确认 by the bureau's handler: no opinion typed anywhere
    assert steps == [("已受理", "1001"), ("已流转", "1001"), ("接收确认", "2001")]
    named = next(e for e in view["timeline"] if e["kind"] == "status" and e["status"] == "接收确认")
    assert named["user"]["name"] == "李抢修" and named["action"] == "submit"
    assert not [e for e in view["timeline"] if e["kind"] == "comment"]  # said once, on the status


async def test_alerts_to_staff_are_internal_and_the_conversion_is_the_systems(client, aiohttp_client, world):
    order = await _order(client, aiohttp_client)
    async with world.services.sessionmaker.begin() as db:
        await db.execute(update(User).where(User.staff_no == "3001").values(phone="13900003001"))
        row = await db.get(WorkOrder, order["id"])
        leader = await db.get(User, world.people["3001"])
        await sla.notify_users(
            db, row, [leader], kind="overrun", channels=["sms"], urgency="urgent", message="工单已超期"
        )
        db.add(Notification(channel="sms", recipient="13800138000", order_id=row.id, body="您的报修已受理"))
        await convert(db, row, {"category": "coordination", "operators": [{"role": "team_leader"}]})
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    sms = [e for e in view["timeline"] if e["kind"] == "sms"]
    alert = next(e for e in sms if e["number"] == "13900003001")
    assert alert["internal"] is True and alert["urgency"] == "urgent"
    assert alert["to_user"]["staff_no"] == "3001" and "[" not in alert["subject"]
    customer = [e for e in sms if e["number"] == "13800138000"]  # the template's and ours
    assert len(customer) == 2 and not any(e["internal"] for e in customer)
    assert customer[-1]["content"] == "您的报修已受理"
    converted = next(e for e in view["timeline"] if e["kind"] == "comment" and e["action"] == "convert")
    assert converted["user"] is None and converted["system"] is True


async def test_a_failed_fax_says_why_in_words_and_keeps_asterisks_reason(client, aiohttp_client, world):
    order = await _order(client, aiohttp_client)
    raw = "fax to 02083331234: FAILED: The call dropped prematurely"
    async with world.services.sessionmaker.begin() as db:
        for error in (raw, "fax to 02083331234: BUSY", "fax to 02083331234: HANGUP: the far end hung up"):
            db.add(
                Notification(
                    channel="fax",
                    recipient="02083331234",
                    order_id=order["id"],
                    subject="投诉回执",
                    state="failed",
                    error=error,
                    pages=1,
                )
            )
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    faxes = [e for e in view["timeline"] if e["kind"] == "fax"]
    assert [f["failure"] for f in faxes] == ["dropped", "busy", "hung_up"]
    assert faxes[0]["error"] == raw and faxes[0]["internal"] is False
    async with world.services.sessionmaker() as db:
        assert (
            await db.scalar(select(Notification.error).where(Notification.channel == "fax").limit(1)) == raw
        )
