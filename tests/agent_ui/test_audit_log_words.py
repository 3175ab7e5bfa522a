"""QA on 审计日志: the 对象 filter lacked 抢修班组, 业务类别, the templates and 事件; 操作 matched
code prefixes only; 变更 showed ids and codes; 接收确认 read 批准. GET /api/audit and the page:
the filter offers every kind an audit row is written about (ticketing.audit.ENTITIES, which
``entry`` holds every row to); 操作 finds an action by the words the table shows, a step's own
(接收确认) included; the rows name what their ids are (an order's number, a message, a crew, a
site) and a step's action as the step calls it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from agent_ui.audit_log import REFERS
from tests.agent_ui.conftest import FAULT, Session, act, new_crew, new_order, sign_in, site_ids
from ticketing.audit import ENTITIES, entry
from ticketing.models import Site, User
from ticketing.notify import send_message


async def _rows(admin: Session, query: str) -> dict:
    status, page = await admin.call("GET", f"/api/audit?{query}")
    assert status == 200, page
    return page


def test_a_row_about_a_kind_the_filter_does_not_offer_is_refused():
    # ENTITIES is the one list of kinds (test_every_code_in_words walks the writers against it)
    with pytest.raises(ValueError, match="ENTITIES"):
        entry(None, "order.create", "work_orders", 1)


async def test_the_filter_offers_every_kind_and_finds_its_rows(aiohttp_client, client, world):
    admin = await sign_in(aiohttp_client, client, "9001")
    page = await (await admin.client.get("/admin/audit")).text()
    offered = re.findall(r'<option value="([a-z_]+)">', page)
    assert offered == list(ENTITIES)
    for words in ("抢修班组", "业务类别", "消息模板", "打印模板", "事件"):
        assert f">{words}</option>" in page, words

    crew = await new_crew(admin, "海淀抢修一班", (await site_ids(admin))["HD"])
    rows = (await _rows(admin, "entity=crew"))["items"]
    assert [(r["action"], r["entity_label"]) for r in rows] == [("crew.create", "海淀抢修一班")]
    assert rows[0]["entity_id"] == str(crew["id"])
    status, refused = await admin.call("GET", "/api/audit?entity=crews")
    assert (status, refused["details"].get("field")) == (400, "entity")


async def test_an_action_is_found_by_its_words_and_a_step_by_its_own(aiohttp_client, client, world):
    agent = await sign_in(aiohttp_client, client, "1001")
    order = await new_order(agent, form=FAULT)
    handler = await sign_in(aiohttp_client, client, "2001")
    await act(handler, order, "approve", {"opinion": "收到"})  # 故障报修's 接收确认
    admin = await sign_in(aiohttp_client, client, "9001")
    number = order["number"]

    page = await (await admin.client.get("/admin/audit")).text()
    assert '<option value="新建工单">' in page and '<option value="接收确认">' in page

    confirmed = (await _rows(admin, f"order={number}&action=接收确认"))["items"]
    assert [(r["action"], r["action_name"], r["actor"]) for r in confirmed] == [
        ("order.approve", "接收确认", "2001")
    ]
    # its row reads 接收确认, so 批准 does not find it
    assert (await _rows(admin, f"order={number}&action=批准"))["items"] == []
    assert [r["action"] for r in (await _rows(admin, f"order={number}&action=新建"))["items"]] == [
        "order.create"
    ]
    submitted = (await _rows(admin, f"order={number}&action=提交工单"))["items"]
    assert [(r["action"], r["action_name"]) for r in submitted] == [("order.submit", "")]
    # any case, part of the words; a code's start still works for the API's clients
    assert {r["action"] for r in (await _rows(admin, "action=order."))["items"]} >= {
        "order.create",
        "order.approve",
    }
    assert (await _rows(admin, "action=%25"))["items"] == []


async def test_a_changes_ids_and_codes_are_named(aiohttp_client, client, world):
    agent = await sign_in(aiohttp_client, client, "1001")
    order = await new_order(agent, form=FAULT)
    async with world.services.sessionmaker.begin() as db:
        sender = await db.scalar(select(User).where(User.staff_no == "1001"))
        sent = await send_message(
            db,
            sender,
            "sms",
            "13800138000",
            "",
            "您的报修已受理",
            order_id=order["id"],
            about=("work_order", order["id"]),
        )
    admin = await sign_in(aiohttp_client, client, "9001")
    page = await _rows(admin, f"order={order['number']}&action=发送消息")
    [row] = page["items"]
    labels = page["labels"]
    assert row["after"]["notification"] == sent.id and row["after"]["order_id"] == order["id"]
    # the page shows them by what they are: the message by its words, the order by its number
    assert labels["refers"]["notification"] == "notification" and labels["refers"]["order_id"] == "work_order"
    assert labels["names"]["notification"][str(sent.id)] == "您的报修已受理"
    assert labels["names"]["work_order"][str(order["id"])] == order["number"]
    assert labels["refers"] == REFERS

    # a site by its name (the order's 单位)
    page = await _rows(admin, f"order={order['number']}&action=新建工单")
    site_id = page["items"][0]["after"]["site_id"]
    async with world.services.sessionmaker() as db:
        site = await db.get(Site, site_id)
    assert page["labels"]["names"]["site"] == {str(site_id): site.name}
