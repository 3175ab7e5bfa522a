"""QA: an order taken in from the async-event inbox (填写受理工单) left the fields its subcategory
binds (高压新装's 业务类型, 一类投诉's 类别1 / 类别2) free on its create step, where the seat's intake
form sets and locks them. The order's view now names them (``bound``: field → value) for the page
to lock, and the server refuses one changed anyway, on the event's order as at intake."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from ticketing.intake import Intake, assign_to
from ticketing.models import User


async def _event(world, external_id: str) -> int:
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, "sms", external_id, sender="13800138000", content="申请高压新装")
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
        return event.id


NEW_HV = {"workflow": "service_application", "category": "service", "subcategory": "svc_hv_new"}


async def test_the_subcategory_bound_fields_of_an_events_order_are_named_set_and_kept(client, world):
    headers = {"X-CSRF-Token": await login(client, "1001")}
    resp = await client.post(
        f"/api/inbox/{await _event(world, 'sms-hv')}/order", json=NEW_HV, headers=headers
    )
    order = await resp.json()
    assert resp.status == 201, order
    fields = {f["name"]: f for f in order["form"]}
    # set from the subcategory and named as its, for the page to lock as the intake form does
    assert fields["业务类型"]["value"] == "高压新装"
    assert order["bound"] == {"业务类型": "高压新装"}, order["bound"]
    # changed anyway (an old page, a hand-made request): refused, with every other problem, and kept
    for action in ("save", "submit"):
        resp = await client.post(
            f"/api/orders/{order['id']}/{action}",
            json={"form": {"业务类型": "低压新装", "用电地址": "天河路1号"}},
            headers=headers,
        )
        answer = await resp.json()
        assert resp.status == 422 and answer["error_id"] == "invalid_fields", (action, answer)
        assert answer["details"]["problems"]["业务类型"] == "field_contradicts_subcategory", (action, answer)
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    assert {f["name"]: f["value"] for f in view["form"]}["业务类型"] == "高压新装"
    # and at the event's own 填写受理工单, as at the seat's intake
    resp = await client.post(
        f"/api/inbox/{await _event(world, 'sms-hv-2')}/order",
        json={**NEW_HV, "form": {"业务类型": "低压新装"}},
        headers=headers,
    )
    answer = await resp.json()
    assert resp.status == 422 and answer["details"]["problems"] == {
        "业务类型": "field_contradicts_subcategory"
    }, answer


async def test_a_category_with_subcategories_takes_one(client, world):
    # no order of it without (a blank 小类别 was locked in at 派工): none is made, nothing bound
    headers = {"X-CSRF-Token": await login(client, "1001")}
    resp = await client.post(
        f"/api/inbox/{await _event(world, 'sms-free')}/order",
        json={"workflow": "service_application", "category": "service"},
        headers=headers,
    )
    answer = await resp.json()
    assert resp.status == 422 and answer["details"]["problems"] == {"subcategory": "field_required"}, answer
