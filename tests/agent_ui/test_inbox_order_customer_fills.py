"""QA: an order made from the async-event inbox (异步事件 → 填写受理工单) left 故障地址 and
所属供电局 empty though the event's sender was a known customer, whereas the seat's intake form
fills them from the popped customer. The server now fills an event's order by the same rule
(``ticketing.workflow.prefill.customer_fills``: the fields the workflow names, from the customer's
address and site, only where nothing was typed)."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.customers import create_customer
from ticketing.intake import Intake, assign_to
from ticketing.models import Contact, Site, User, WorkOrder
from ticketing.sites import create_site

PHONE = "13800138000"
ADDRESS = "海淀区中关村大街 9 号"
FAULT = {"workflow": "fault_repair", "category": "fault", "subcategory": "fault_lv"}


async def _customer(world, *, site: str = "HD", email: str = "") -> int:
    async with world.services.sessionmaker.begin() as db:
        site_id = await db.scalar(select(Site.id).where(Site.code == site))
        customer = await create_customer(
            db, "0100000481", "刘女士", phones=[PHONE], address=ADDRESS, site_id=site_id
        )
        if email:
            db.add(Contact(customer_id=customer.id, name="刘女士", email=email))
        return customer.id


async def _event(world, external_id: str, *, kind: str = "sms", sender: str = PHONE) -> int:
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, kind, external_id, sender=sender, content="家里停电了")
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
        return event.id


async def _order(client, world, token: str, event_id: int, body: dict) -> dict:
    resp = await client.post(f"/api/inbox/{event_id}/order", json=body, headers={"X-CSRF-Token": token})
    order = await resp.json()
    assert resp.status == 201, order
    return order


def _form(order: dict) -> dict:
    return {f["name"]: f["value"] for f in order["form"]}


async def test_a_known_senders_order_gets_the_address_and_bureau(client, world):
    customer_id = await _customer(world)
    token = await login(client, "1001")
    order = await _order(client, world, token, await _event(world, "sms-known"), FAULT)
    form = _form(order)
    assert form["故障地址"] == ADDRESS and form["所属供电局"] == "HD", form
    async with world.services.sessionmaker() as db:
        stored = await db.get(WorkOrder, order["id"])
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
    # the order is the customer's, and goes to the bureau its site field names (the agent's is HQ)
    assert stored.customer_id == customer_id and stored.site_id == hd
    assert stored.form["客户描述故障信息"] == "家里停电了"  # the event's words, as before


async def test_what_the_agent_typed_stays(client, world):
    await _customer(world)
    token = await login(client, "1001")
    typed = {**FAULT, "form": {"故障地址": "海淀区学院路 3 号"}}
    form = _form(await _order(client, world, token, await _event(world, "sms-typed"), typed))
    assert form["故障地址"] == "海淀区学院路 3 号" and form["所属供电局"] == "HD", form


async def test_an_email_from_a_customers_contact_fills_the_complaints_site(client, world):
    # 投诉 names only 所属区域 (customer: site): its site, nothing else
    await _customer(world, email="liu@example.com")
    token = await login(client, "1001")
    event_id = await _event(world, "mail-1", kind="email", sender="liu@example.com")
    body = {"workflow": "complaint", "category": "complaint", "subcategory": "complaint_1"}
    form = _form(await _order(client, world, token, event_id, body))
    assert form["所属区域"] == "HD" and form["投诉内容"] == "家里停电了", form


async def test_a_disabled_site_is_left_for_the_agent_and_the_order_is_made(client, world):
    # 停用 sites take no new orders: filling one in would have refused the whole order. The
    # customer was made under the bureau while it served; the bureau was 停用 since (a new
    # customer cannot be put under a 停用 site)
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        await create_site(db, "CY", "朝阳供电局", parent=hq, kind="bureau")
    await _customer(world, site="CY")
    async with world.services.sessionmaker.begin() as db:
        (await db.scalar(select(Site).where(Site.code == "CY"))).enabled = False
    token = await login(client, "1001")
    form = _form(await _order(client, world, token, await _event(world, "sms-closed"), FAULT))
    assert form["故障地址"] == ADDRESS and not form.get("所属供电局"), form


async def test_an_unknown_sender_fills_nothing(client, world):
    token = await login(client, "1001")
    form = _form(
        await _order(client, world, token, await _event(world, "sms-unknown", sender="13900139000"), FAULT)
    )
    assert not form.get("故障地址") and not form.get("所属供电局"), form
