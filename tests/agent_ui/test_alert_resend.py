"""重发 is for what the customer was sent: a failed overrun alert to staff (an internal alert on
the order's timeline, shown without 重发) is refused by the server too, in words, and nothing is
queued; the customer's failed SMS on the same order is still sent again. A real HTTP SMS gateway
and a real SMTP server refuse the first deliveries."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select

from tests.agent_ui.conftest import login, smtp_server
from ticketing.models import Notification, User, WorkOrder
from ticketing.notify import Dispatcher, HttpSmsGateway, SmtpGateway
from ticketing.sla import notify_users

TEXTS = json.loads((Path(__file__).parents[2] / "agent_ui/texts/zh-CN.json").read_text(encoding="utf-8"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")


class RefusingMailbox:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook)
        return "550 5.1.1 Recipient address rejected: User unknown"


@pytest.fixture
async def refusing_sms(aiohttp_server):
    async def handler(request):
        return web.Response(status=400, text='{"code":"InvalidMobile","message":"invalid mobile number"}')

    app = web.Application()
    app.router.add_post("/sms", handler)
    server = await aiohttp_server(app)
    return HttpSmsGateway(url=str(server.make_url("/sms")))


async def test_a_failed_alert_to_staff_is_not_sent_again(client, world, refusing_sms):
    csrf = await login(client, "1001")
    headers = {"X-CSRF-Token": csrf}
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "电价"},
            "submit": False,
            "caller_number": "13800138000",
        },
        headers=headers,
    )
    order = await resp.json()
    assert resp.status == 201, order
    # the customer's SMS, and the overrun alert the SLA worker sends the team leader by SMS and email
    customer = await client.post(
        f"/api/orders/{order['id']}/sms",
        json={"to": "13800138000", "text": "您的工单已受理。"},
        headers=headers,
    )
    assert customer.status == 201
    customer_sms = await customer.json()
    async with world.services.sessionmaker.begin() as db:
        leader = await db.get(User, world.people["3001"])
        leader.phone, leader.email = "13900139001", "leader@example.com"
        row = await db.get(WorkOrder, order["id"])
        await notify_users(
            db,
            row,
            [leader],
            kind="overrun",
            channels=["sms", "email"],
            urgency="urgent",
            message=f"工单 {row.number}（已受理）已超期",
        )
    with smtp_server(RefusingMailbox()) as port:
        dispatcher = Dispatcher(
            world.services.sessionmaker, sms=refusing_sms, email=SmtpGateway(host="127.0.0.1", port=port)
        )
        assert await dispatcher.deliver_pending() == (0, 3)

    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    alerts = {e["kind"]: e for e in view["timeline"] if e.get("internal")}
    assert set(alerts) == {"sms", "email"}
    assert all(e["state"] == "failed" and e["to_user"]["staff_no"] == "3001" for e in alerts.values())

    for channel, route in (("sms", "sms"), ("email", "emails")):
        refused = await client.post(
            f"/api/{route}/{alerts[channel]['notification_id']}/resend", headers=headers
        )
        answer = await refused.json()
        assert refused.status == 409, answer
        assert answer["error_id"] == f"{channel}.internal_alert"
        assert answer["message"] == TEXTS[f"error.{channel}.internal_alert"]
        assert CHINESE.search(answer["message"]) and "内部提醒" in answer["message"]

    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Notification)) == 3  # nothing queued
        assert all(n.resent_as is None for n in await db.scalars(select(Notification)))

    # what the customer was sent is still sent again
    again = await client.post(f"/api/sms/{customer_sms['id']}/resend", headers=headers)
    assert again.status == 201, await again.json()
    assert (await again.json())["recipient"] == "13800138000"
