"""The 传真 dialog of an order taken as 用户信息查询 (query, on the consult workflow) offers
信息咨询's 答复函, the fax letter of its workflow's category, until query has a letter of its
own for that step; then its own only. The letter offered is the one that may be sent."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from ticketing.models import Notification, NotificationTemplate

CONSULT = {"咨询内容": "查询户号", "答复内容": "户号为 0101"}


async def _order(client, headers, category: str) -> dict:
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "category": category, "form": CONSULT, "submit": False,
              "caller_number": "13800138000"},
        headers=headers,
    )  # fmt: skip
    order = await resp.json()
    assert resp.status == 201, order
    return order


async def _subjects(client, order: dict) -> list[str]:
    choices = await (await client.get(f"/api/orders/{order['id']}/fax")).json()
    return [t["subject"] for t in choices["templates"]]


async def test_a_query_order_offers_and_sends_the_consult_reply_letter(client, world, store):
    headers = {"X-CSRF-Token": await login(client, "1001")}
    order = await _order(client, headers, "query")
    assert order["category"] == "query"
    choices = await (await client.get(f"/api/orders/{order['id']}/fax")).json()
    [letter] = choices["templates"]
    assert letter["subject"] == f"国网客服中心 答复函（工单 {order['number']}）"
    resp = await client.post(
        f"/api/orders/{order['id']}/fax",
        json={"to": "01088886666", "template_id": letter["id"]},
        headers=headers,
    )
    queued = await resp.json()
    assert resp.status == 201, queued
    async with world.services.sessionmaker() as db:
        row = await db.get(Notification, queued["id"])
    assert row.subject == letter["subject"] and "户号为 0101" in row.body


async def test_a_category_with_its_own_letter_offers_its_own_only(client, world, store):
    headers = {"X-CSRF-Token": await login(client, "1001")}
    async with world.services.sessionmaker.begin() as db:
        db.add(
            NotificationTemplate(
                name="测试模板1",
                category="query",
                node="done",
                channel="fax",
                subject="用户信息查询结果（工单 {{ order.number }}）",
                body="{{ form.get('答复内容', '') }}",
            )
        )
    query = await _order(client, headers, "query")
    consult = await _order(client, headers, "consult")
    assert await _subjects(client, query) == [f"用户信息查询结果（工单 {query['number']}）"]
    # 信息咨询 itself keeps its 答复函
    assert await _subjects(client, consult) == [f"国网客服中心 答复函（工单 {consult['number']}）"]
