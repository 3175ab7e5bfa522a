"""发短信 on an order dispatched to a crew offers the crew's mobile (as the order keeps it, with
its name and leader) beside the customer's number; a crew whose phone is a landline is not
offered (no SMS reaches it), nor is a crew to an e-mail. Sending to it goes through as any SMS."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.agent_ui.conftest import FAULT, Session, act, new_order
from ticketing import crews
from ticketing.models import Site, User


async def _crew(world, name: str, phones: str) -> int:
    async with world.services.sessionmaker.begin() as db:
        site = await db.scalar(select(Site).where(Site.code == "HD"))
        admin = await db.get(User, world.people["9001"])
        crew = await crews.create(
            db, admin, {"name": name, "site_id": site.id, "leader": "张强", "phones": phones}
        )
        return crew.id


async def _dispatched(client, world, crew_id: int) -> dict:
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent, form=FAULT, caller_number="13800138000")
    handler = await Session.signed_in(client, "2001")
    order = await act(handler, order)  # 接收确认 → 派工
    assert order["node"]["id"] == "dispatch"
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")  # the site's wall time
    order = await act(handler, order, body={"form": {"抢修班组": crew_id, "派工时间": now}})
    assert order["node"]["id"] == "onsite"
    return order


async def test_the_crew_dispatched_is_offered_as_an_sms_recipient(client, world):
    crew_id = await _crew(world, "海淀抢修一班", "139 1111 2222, 010 8888 6666")
    order = await _dispatched(client, world, crew_id)
    agent = await Session.signed_in(client, "1001")
    status, choices = await agent.call("GET", f"/api/orders/{order['id']}/messages")
    assert status == 200, choices
    assert choices["sms"]["to"] == "13800138000"  # the caller's mobile stays the one filled in
    assert choices["sms"]["recipients"] == [
        {"kind": "customer", "to": "13800138000"},
        {"kind": "crew", "to": "13911112222", "name": "海淀抢修一班", "leader": "张强", "field": "抢修班组"},
    ]
    assert [r["kind"] for r in choices["email"]["recipients"]] == []  # no e-mail known; a crew has none
    status, sent = await agent.call(
        "POST", f"/api/orders/{order['id']}/sms", {"to": "13911112222", "text": "请尽快到场"}
    )
    assert status == 201, sent
    assert sent["recipient"] == "13911112222"


async def test_a_crew_reached_only_by_a_landline_is_not_offered(client, world):
    crew_id = await _crew(world, "海淀抢修二班", "010 8888 6666")
    order = await _dispatched(client, world, crew_id)
    agent = await Session.signed_in(client, "1001")
    status, choices = await agent.call("GET", f"/api/orders/{order['id']}/messages")
    assert status == 200, choices
    assert choices["sms"]["recipients"] == [{"kind": "customer", "to": "13800138000"}]
