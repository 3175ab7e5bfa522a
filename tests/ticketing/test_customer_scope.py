"""Customers as a user may see them (``customer_scope_clause``, ``find_customers(viewer=)``,
``lookup_for``): the sites of their data scope, like orders; HQ and admins see everyone."""

from __future__ import annotations

from ticketing import create_order
from ticketing.customers import create_customer, find_customers, lookup_for, lookup_for_screen_pop
from ticketing.models import Interaction

PHONE = "13100000481"


async def test_a_bureaus_customer_their_orders_and_calls_are_that_bureaus(session, seeded):
    u, sites = seeded.users, seeded.sites
    deng = await create_customer(session, "9900000481", "邓旭", phones=[PHONE], site_id=sites["440106"].id)
    nowhere = await create_customer(session, "9900000482", "无归属", phones=["13100000482"])
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=sites["440100"].id,
        form={"故障名称": "电表故障", "故障地址": "解放路180号", "所属供电局": "440100"},
        customer_id=deng.id,
        caller_number=PHONE,
        link_call=False,
    )
    call = Interaction(kind="call", external_id="c-481", number=PHONE, customer_id=deng.id)
    session.add(call)
    await session.flush()

    for query in (PHONE, "9900000481", "邓旭", order.number):
        assert await find_customers(session, query, viewer=u["5201"]) == [], query  # 深圳
        assert [c.id for c in await find_customers(session, query, viewer=u["5101"])] == [deng.id]
        assert [c.id for c in await find_customers(session, query, viewer=u["1001"])] == [deng.id]
    # a customer of no site is no bureau's: only for those who see every site
    assert await find_customers(session, "9900000482", viewer=u["5101"]) == []
    assert [c.id for c in await find_customers(session, "9900000482", viewer=u["9001"])] == [nowhere.id]

    assert await lookup_for(session, u["5201"], PHONE) is None
    theirs = await lookup_for(session, u["5101"], PHONE)
    assert [m["id"] for m in theirs["matches"]] == [deng.id]
    assert [o["number"] for o in theirs["open_orders"]] == [order.number]
    assert [i["id"] for i in theirs["interactions"]] == [call.id]
    # HQ gets the screen-pop itself
    assert await lookup_for(session, u["1001"], PHONE) == await lookup_for_screen_pop(session, PHONE)
    assert theirs == await lookup_for_screen_pop(session, PHONE)
