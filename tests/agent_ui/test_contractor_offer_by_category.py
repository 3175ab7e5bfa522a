"""The contractor field offers, for a 协调单 (coordination on the fault flow), the contractors
registered for 故障报修 (the register takes a workflow's categories): at intake
(``?workflow=&category=``, what the seat sends) and on the order (``?order=``), where it offered
none once the order kept the category picked."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from ticketing import create_order
from ticketing.models import User

FAULT = {"故障地址": "海淀区中关村大街 1 号", "所属供电局": "HD"}


async def _post(client, path, token, body):
    resp = await client.post(path, json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_a_coordination_order_is_offered_the_fault_flows_contractors(client, world):
    admin = await login(client, "9001")
    for name, categories in (("报修外委", ["fault"]), ("售后外委", ["aftersales"]), ("全能外委", [])):
        status, body = await _post(
            client, "/api/contractors", admin, {"name": name, "categories": categories}
        )
        assert status == 201, body

    agent = await login(client, "1001")

    async def offered(**params) -> list[str]:
        resp = await client.get("/api/contractors", params=params)
        assert resp.status == 200, await resp.text()
        return sorted(c["name"] for c in (await resp.json())["items"])

    form = '{"所属供电局": "HD"}'
    expected = ["全能外委", "报修外委"]
    assert await offered(workflow="fault_repair", form=form, category="coordination") == expected
    # 协调单 is not picked at intake (派工超时转协调单 makes it): an order the system makes in it
    async with world.services.sessionmaker.begin() as db:
        user = await db.get(User, world.people["1001"])
        order = await create_order(
            db, user, workflow="fault_repair", site_id=user.site_id, form=FAULT, category="coordination"
        )
        assert order.category == "coordination"
        number = order.number
    assert agent
    assert await offered(order=number) == expected
