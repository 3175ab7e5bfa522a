"""A stored template over the render's budget (ticketing.template_budget) is an unprocessable
template, not a refused action: its print (print_template_too_costly) and its send
(template_too_costly) answer 422, as the save's refusal does, not the 409 of a domain refusal."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.models import Notification, NotificationTemplate, PrintTemplate

QA = "{% for a in range(3000) %}{% for b in range(3000) %}{% endfor %}{% endfor %}x"


async def _order(client, csrf) -> dict:
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "峰谷电价"},
            "caller_number": "13800138000",
            "submit": False,
        },
        headers={"X-CSRF-Token": csrf},
    )
    order = await resp.json()
    assert resp.status == 201, order
    return order


async def test_a_costly_message_template_sent_by_hand_answers_422(client, world):
    async with world.services.sessionmaker.begin() as db:  # saved before saves were checked
        template = NotificationTemplate(
            name="测试模板1", category="consult", node="accept", channel="sms", auto_send=False, body=QA
        )
        db.add(template)
        await db.flush()
        template_id = template.id
    csrf = await login(client, "1001")
    order = await _order(client, csrf)
    resp = await client.post(
        f"/api/orders/{order['id']}/sms",
        json={"to": "13800138000", "template_id": template_id},
        headers={"X-CSRF-Token": csrf, "Accept-Language": "zh-CN"},
    )
    answer = await resp.json()
    assert (resp.status, answer["error_id"]) == (422, "template_too_costly"), answer
    assert "消息模板运算量过大" in answer["message"]
    async with world.services.sessionmaker() as db:
        assert list(await db.scalars(select(Notification))) == []


async def test_a_costly_print_template_answers_422(client, world):
    async with world.services.sessionmaker.begin() as db:
        db.add(PrintTemplate(name="QA loop", workflow_key="consult", node="", category="", body=QA))
    csrf = await login(client, "1001")
    order = await _order(client, csrf)
    resp = await client.get(f"/orders/{order['id']}/print", headers={"Accept": "application/json"})
    answer = await resp.json()
    assert (resp.status, answer["error_id"]) == (422, "print_template_too_costly"), answer
