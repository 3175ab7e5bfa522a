"""QA finding 23: 新建客户 from the screen-pop gave the customer the agent's own site (the HQ, the
客户服务中心), which then filled a fault order's 所属供电局 with it. The customer's 所属单位 is now
what the agent picked (a 供电局 or 供电所) or none, never the agent's site; the HQ, which serves no
address, is refused as one, and offered neither there nor as an order's 所属供电局 (GET /api/sites
``serves_customers``). GET /api/customers names the site."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.models import Customer, Site


async def _site_ids(world) -> dict[str, int]:
    async with world.services.sessionmaker() as db:
        return dict((await db.execute(select(Site.code, Site.id))).all())


async def test_a_new_customer_gets_the_site_picked_or_none_never_the_agents(client, world):
    sites = await _site_ids(world)
    h = {"X-CSRF-Token": await login(client, "1001")}  # an agent of the HQ

    resp = await client.post(
        "/api/customers", json={"account_no": "1000008888", "name": "李四", "phone": "13612345678"}, headers=h
    )
    created = await resp.json()
    assert resp.status == 201, created
    assert created["site_id"] is None and created["site"] == ""  # not known yet: none, not the HQ
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(Customer.site_id).where(Customer.account_no == "1000008888")) is None

    body = {"account_no": "1000008889", "name": "王五", "site_id": sites["HD"]}
    resp = await client.post("/api/customers", json=body, headers=h)
    created = await resp.json()
    assert resp.status == 201, created
    assert (created["site_id"], created["site"]) == (sites["HD"], "海淀供电局")
    found = await (await client.get("/api/customers", params={"q": "1000008889"})).json()
    assert [(c["site_id"], c["site"]) for c in found["items"]] == [(sites["HD"], "海淀供电局")]

    for site_id, problem in ((sites["HQ"], "field_not_customer_site"), (999999, "field_unknown_site")):
        body = {"account_no": "1000008890", "name": "赵六", "site_id": site_id}
        resp = await client.post("/api/customers", json=body, headers=h)
        refused = await resp.json()
        assert resp.status == 422, refused
        assert refused["details"]["problems"] == {"site_id": problem}
        assert refused["message"].startswith("表单有误：所属单位（"), refused["message"]


async def test_the_sites_say_which_serve_customers(client, world):
    await login(client, "1001")
    sites = {s["code"]: s for s in (await (await client.get("/api/sites")).json())["sites"]}
    assert sites["HQ"]["serves_customers"] is False
    assert sites["HD"]["serves_customers"] is True
