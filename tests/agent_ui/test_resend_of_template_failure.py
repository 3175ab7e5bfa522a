"""重发 of a message sent by itself (an order entering a step) whose template could not be filled:
it was recorded failed with no text, and 重发 of it was accepted as far as ``send_message``, which
answered ``message_empty`` ("没有可发送的内容") and queued nothing, as if the agent had typed
nothing. Now it is refused as ``<channel>.template_failed``, in words that say the template failed
and the message is to be written again (or the template fixed); nothing is queued, and the
timeline still offers no 重发 for it (``failure: template``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.agent_ui.conftest import login
from tests.unfillable_templates import BROKEN, COSTLY, consult_reply_template
from ticketing.models import Contact, Customer, Notification

ROOT = Path(__file__).parents[2]
TEXTS = {
    lang: json.loads((ROOT / f"agent_ui/texts/{lang}.json").read_text(encoding="utf-8"))
    for lang in ("zh-CN", "en")
}
ROUTES = {"sms": "sms", "email": "emails"}


@pytest.mark.parametrize("body", [BROKEN, COSTLY], ids=["broken", "costly"])
async def test_resend_of_a_message_whose_template_failed_is_refused_saying_so(client, world, body):
    async with world.services.sessionmaker.begin() as db:  # stored before saves were checked
        db.add_all(
            [
                consult_reply_template("测试模板1", "sms", auto_send=True, body=body),
                consult_reply_template("测试模板2", "email", auto_send=True, subject="咨询已答复", body=body),
            ]
        )
        customer = Customer(account_no="1000000001", name="张三")
        customer.contacts = [Contact(name="张三", email="zhang@example.com")]
        db.add(customer)
        await db.flush()
        customer_id = customer.id
    csrf = await login(client, "1001")
    headers = {"X-CSRF-Token": csrf, "Accept-Language": "zh-CN"}
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "峰谷电价何时执行"},
            "caller_number": "13800138000",
            "customer_id": customer_id,
            "submit": False,
        },
        headers=headers,
    )
    order = await resp.json()
    assert resp.status == 201, order
    resp = await client.post(
        f"/api/orders/{order['id']}/submit", json={"form": {"答复内容": "每年7-9月执行"}}, headers=headers
    )
    assert resp.status == 200, await resp.text()

    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    failed = {e["kind"]: e for e in view["timeline"] if e["kind"] in ROUTES}
    assert set(failed) == {"sms", "email"}
    async with world.services.sessionmaker() as db:
        before = await db.scalar(select(func.count()).select_from(Notification))

    for kind, entry in failed.items():
        # the timeline marks it so the page offers no 重发 (order.js: failure "template")
        assert (entry["state"], entry["failure"], entry["resent_as"]) == ("failed", "template", None)
        resp = await client.post(f"/api/{ROUTES[kind]}/{entry['notification_id']}/resend", headers=headers)
        answer = await resp.json()
        assert resp.status == 409, answer
        assert answer["error_id"] == f"{kind}.template_failed"  # not message_empty
        assert answer["message"] == TEXTS["zh-CN"][f"error.{kind}.template_failed"]
        assert "模板" in answer["message"] and "重新填写" in answer["message"]
        assert "template" in TEXTS["en"][f"error.{kind}.template_failed"]

    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Notification)) == before  # nothing queued
        rows = list(await db.scalars(select(Notification).where(Notification.order_id == order["id"])))
    assert all(r.state == "failed" and r.resent_as is None for r in rows)
