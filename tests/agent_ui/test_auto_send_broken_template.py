"""An auto-sent template (the SMS or email a step sends its customer or handlers when an order
enters it) that cannot be filled, broken or over the render's budget, raised inside the step
change: 提交 failed and the agent could not move the order on. Now the step change goes through,
the message is recorded failed with the reason, shown on the order's timeline like any failed
message (in Chinese, without 重发: there is nothing to send), the error is logged, and the step's
other messages go out as ever (a real SMTP server, aiosmtpd)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.agent_ui.conftest import login
from tests.unfillable_templates import BROKEN, COSTLY, consult_reply_template
from ticketing.models import Contact, Customer, Notification, WorkOrder
from ticketing.notify import Dispatcher, SmtpGateway

TEXTS = json.loads((Path(__file__).parents[2] / "agent_ui/texts/zh-CN.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("body", "error_id"),
    [(COSTLY, "template_too_costly"), (BROKEN, "template_invalid")],
    ids=["costly", "broken"],
)
async def test_a_step_change_goes_through_and_the_message_is_recorded_failed(
    client, world, smtp, caplog, body, error_id
):
    mailbox, port = smtp
    async with world.services.sessionmaker.begin() as db:  # stored before saves were checked
        db.add_all(
            [
                consult_reply_template("测试模板1", "sms", auto_send=True, body=body),
                consult_reply_template(
                    "测试模板2",
                    "email",
                    auto_send=True,
                    subject="咨询已答复（工单 {{ order.number }}）",
                    body="{{ form.get('答复内容', '') }}",
                ),
            ]
        )
        customer = Customer(account_no="1000000001", name="张三")
        customer.contacts = [Contact(name="张三", email="zhang@example.com")]
        db.add(customer)
        await db.flush()
        customer_id = customer.id
    csrf = await login(client, "1001")
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "峰谷电价何时执行"},
            "caller_number": "13800138000",
            "customer_id": customer_id,
            "submit": False,
        },
        headers={"X-CSRF-Token": csrf},
    )
    order = await resp.json()
    assert resp.status == 201, order

    with caplog.at_level(logging.ERROR, logger="ticketing.notify"):
        resp = await client.post(
            f"/api/orders/{order['id']}/submit",
            json={"form": {"答复内容": "每年7-9月执行"}},
            headers={"X-CSRF-Token": csrf, "Accept-Language": "zh-CN"},
        )
        answer = await resp.json()
    assert resp.status == 200, answer
    async with world.services.sessionmaker() as db:
        assert (await db.get(WorkOrder, order["id"])).current_node == "done"  # the order moved on
        sms, email = await db.scalars(select(Notification).order_by(Notification.channel.desc()))
    assert (sms.channel, sms.recipient, sms.state) == ("sms", "13800138000", "failed")
    assert sms.error.startswith(f"{error_id}: ") and sms.body == ""
    assert (email.channel, email.state) == ("email", "pending")  # the step's other message goes
    logged = [r for r in caplog.records if r.name == "ticketing.notify" and r.levelno >= logging.ERROR]
    assert any(order["number"] in r.getMessage() and error_id in r.getMessage() for r in logged), logged

    # the dispatcher sends the good one and leaves the failed one alone
    dispatcher = Dispatcher(world.services.sessionmaker, email=SmtpGateway(host="127.0.0.1", port=port))
    assert await dispatcher.deliver_pending() == (1, 0)
    assert [mail["Subject"] for _, mail in mailbox.messages] == [f"咨询已答复（工单 {order['number']}）"]
    assert await dispatcher.retry_failed() == 0  # nothing to send again

    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    [failed] = [e for e in view["timeline"] if e["kind"] == "sms"]
    assert (failed["state"], failed["failure"]) == ("failed", "template")
    assert "模板有误" in TEXTS["delivery.failure.template"]
