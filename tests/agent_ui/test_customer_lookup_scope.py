"""The customer lookup (a number typed into the console) and the customer search keep to the
user's data scope as order lists do: a bureau's handler sees their bureau's customers, open
orders and calls, not another bureau's (QA F4); the hotline's agents at HQ see everyone."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import PASSWORD, login
from ticketing import users
from ticketing.calls import link
from ticketing.customers import create_customer
from ticketing.models import Interaction, Site, User
from ticketing.sites import create_site
from ticketing.workflow.engine import create_order

GZ_PHONE = "13100000481"  # 邓旭, a 广州 customer
HD_PHONE = "13900139000"  # a 海淀 customer
CALLER = "13800138006"  # called in a 广州 fault, no customer of that number
STRANGER = "13700000001"  # no customer; one call joined the 广州 order, one joined nothing


async def _two_bureaus(world) -> dict:
    """广州 (440100, handler 5101) beside the world's 海淀 (HD, handler 2001), a customer and an open
    order in each, and calls."""
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        hd = await db.scalar(select(Site).where(Site.code == "HD"))
        gz = await create_site(db, "440100", "广州市供电局", parent=hq, kind="bureau")
        gz1 = await create_site(db, "440106", "越秀区供电所", parent=gz, kind="outlet")
        handler = await users.create_user(
            db, "5101", "广州抢修", PASSWORD, roles=["handler"], site_id=gz.id, must_change_password=False
        )
        world.people["5101"] = handler.id
        deng = await create_customer(
            db, "1000000481", "邓旭", phones=[GZ_PHONE], address="广州市海珠区解放路180号", site_id=gz1.id
        )
        zhao = await create_customer(db, "1000000001", "赵海淀", phones=[HD_PHONE], site_id=hd.id)
        agent = await db.get(User, world.people["1001"])
        fault = {"故障名称": "电表故障", "故障地址": "解放路180号", "所属供电局": "440100"}
        gz_order = await create_order(
            db,
            agent,
            workflow="fault_repair",
            site_id=gz.id,
            form=fault,
            customer_id=deng.id,
            caller_number=CALLER,
            link_call=False,
            title="电表故障",
        )
        hd_order = await create_order(
            db,
            agent,
            workflow="fault_repair",
            site_id=hd.id,
            form={**fault, "所属供电局": "HD"},
            customer_id=zhao.id,
            caller_number=HD_PHONE,
            link_call=False,
        )
        calls = {}
        for external_id, number, customer in [
            ("c-deng", GZ_PHONE, deng.id),
            ("c-zhao", HD_PHONE, zhao.id),
            ("c-stranger-gz", STRANGER, None),
            ("c-stranger", STRANGER, None),
        ]:
            call = Interaction(kind="call", external_id=external_id, number=number, customer_id=customer)
            db.add(call)
            await db.flush()
            calls[external_id] = call.id
        await link(db, gz_order, await db.get(Interaction, calls["c-stranger-gz"]), agent)
        return {"gz": gz_order.number, "hd": hd_order.number, "calls": calls}


async def _as(aiohttp_client, client, staff_no: str):
    other = await aiohttp_client(client.server)
    await login(other, staff_no)
    return other


async def _pop(who, number: str) -> dict:
    resp = await who.get("/api/customers/lookup", params={"number": number})
    body = await resp.json()
    assert resp.status == 200, body
    return body


async def _search(who, query: str) -> list[str]:
    resp = await who.get("/api/customers", params={"q": query})
    body = await resp.json()
    assert resp.status == 200, body
    return [c["name"] for c in body["items"]]


async def test_a_bureau_handler_looks_up_only_their_bureaus_customers_orders_and_calls(
    client, aiohttp_client, world
):
    made = await _two_bureaus(world)
    calls = made["calls"]
    hd = await _as(aiohttp_client, client, "2001")
    # another bureau's order called in from this number: not there
    assert (await _pop(hd, CALLER))["open_orders"] == []
    other = await _pop(hd, GZ_PHONE)
    assert (other["matches"], other["open_orders"], other["interactions"]) == ([], [], [])
    assert (await _pop(hd, STRANGER))["interactions"] == []
    own = await _pop(hd, HD_PHONE)
    assert [m["name"] for m in own["matches"]] == ["赵海淀"] and own["matches"][0]["site"] == "海淀供电局"
    assert [o["number"] for o in own["open_orders"]] == [made["hd"]]
    assert [i["id"] for i in own["interactions"]] == [calls["c-zhao"]]

    gz = await _as(aiohttp_client, client, "5101")
    assert [o["number"] for o in (await _pop(gz, CALLER))["open_orders"]] == [made["gz"]]
    theirs = await _pop(gz, GZ_PHONE)
    assert [m["name"] for m in theirs["matches"]] == ["邓旭"] and theirs["matches"][0][
        "site"
    ] == "越秀区供电所"
    assert [o["number"] for o in theirs["open_orders"]] == [made["gz"]]
    assert [i["id"] for i in theirs["interactions"]] == [calls["c-deng"]]
    # a number of no customer: only its calls that joined one of their orders
    assert [i["id"] for i in (await _pop(gz, STRANGER))["interactions"]] == [calls["c-stranger-gz"]]

    # the hotline's agent (HQ) sees every bureau's
    agent = await _as(aiohttp_client, client, "1001")
    assert [o["number"] for o in (await _pop(agent, CALLER))["open_orders"]] == [made["gz"]]
    assert [m["name"] for m in (await _pop(agent, GZ_PHONE))["matches"]] == ["邓旭"]
    assert {i["id"] for i in (await _pop(agent, STRANGER))["interactions"]} == {
        calls["c-stranger-gz"],
        calls["c-stranger"],
    }


async def test_the_customer_search_keeps_to_the_users_sites(client, aiohttp_client, world):
    made = await _two_bureaus(world)
    hd = await _as(aiohttp_client, client, "2001")
    for query in (GZ_PHONE, "1000000481", "邓旭", made["gz"]):  # phone, 户号, name, order number
        assert await _search(hd, query) == [], query
    assert await _search(hd, HD_PHONE) == ["赵海淀"]
    assert await _search(hd, made["hd"]) == ["赵海淀"]
    gz = await _as(aiohttp_client, client, "5101")
    for query in (GZ_PHONE, "1000000481", "邓旭", made["gz"]):
        assert await _search(gz, query) == ["邓旭"], query
    assert await _search(gz, HD_PHONE) == []
    agent = await _as(aiohttp_client, client, "1001")
    assert await _search(agent, GZ_PHONE) == ["邓旭"] and await _search(agent, HD_PHONE) == ["赵海淀"]
