"""An order taken in from an async event (异步事件) gets the category and subcategory picked,
as at the seat's intake: not only the workflow they share."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from ticketing.intake import Intake, assign_to
from ticketing.models import User


async def _event(world, external_id: str) -> int:
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, "sms", external_id, sender="13800138000", content="我家停电了")
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
        return event.id


async def test_the_category_and_subcategory_picked_for_an_event_are_the_orders(client, world):
    token = await login(client, "1001")
    picks = {
        "query": {"workflow": "consult", "category": "query", "form": {"答复内容": "已查询"}},
        "fault": {
            "workflow": "fault_repair",
            "category": "fault",
            "subcategory": "fault_hv",
            "form": {"故障地址": "海淀区中关村大街 1 号", "所属供电局": "HD"},
        },
    }
    made = {}
    for name, body in picks.items():
        resp = await client.post(
            f"/api/inbox/{await _event(world, f'sms-{name}')}/order",
            json=body,
            headers={"X-CSRF-Token": token},
        )
        made[name] = await resp.json()
        assert resp.status == 201, made[name]
    assert made["query"]["category"] == "query"  # 用户信息查询, not the workflow's 信息咨询
    assert (made["fault"]["category"], made["fault"]["subcategory"]) == ("fault", "fault_hv")
    assert made["fault"]["subcategory_name"] == "高压故障"


async def test_a_category_of_another_workflow_or_a_subcategory_not_under_it_is_refused(client, world):
    token = await login(client, "1001")
    event_id = await _event(world, "sms-bad")
    form = {"故障地址": "海淀区中关村大街 1 号", "所属供电局": "HD"}
    for body, field in [
        ({"workflow": "fault_repair", "category": "query", "form": form}, "category"),
        (
            {"workflow": "fault_repair", "category": "fault", "subcategory": "svc_hv_new", "form": form},
            "subcategory",
        ),
    ]:
        resp = await client.post(f"/api/inbox/{event_id}/order", json=body, headers={"X-CSRF-Token": token})
        problem = await resp.json()
        assert resp.status == 422 and problem["details"]["problems"] == {field: "field_bad_option"}, problem
