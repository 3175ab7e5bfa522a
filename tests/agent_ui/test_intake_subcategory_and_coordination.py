"""QA: a fault order was taken in with no 小类别 (subcategory ""), and 派工's category lock then
kept the blank in the reports; and 协调单 could be picked at intake (the seat, the inbox's
填写受理工单), running 故障报修's whole flow, though it is what 派工超时转协调单 makes of an
undispatched order. A category with 小类别 takes one at intake; a category intake does not offer
(``at_intake`` false: 协调单 in the seeds) is neither listed nor taken there, and an admin may
switch it (业务类别)."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.intake import Intake, assign_to
from ticketing.models import Category, User

FORM = {"故障地址": "海淀区中关村大街 1 号", "所属供电局": "HD"}


async def test_a_category_with_subcategories_is_refused_without_one(client):
    token = await login(client, "1001")
    headers = {"X-CSRF-Token": token}
    for submit in (True, False):
        resp = await client.post(
            "/api/orders",
            json={
                "workflow": "fault_repair",
                "category": "fault",
                "subcategory": "",
                "form": FORM,
                "submit": submit,
            },
            headers=headers,
        )
        problem = await resp.json()
        assert resp.status == 422, problem
        assert problem["details"]["problems"] == {"subcategory": "field_required"}
    # named with the form's other problems, at once
    resp = await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "category": "fault", "form": {"所属供电局": "HD"}},
        headers=headers,
    )
    problem = await resp.json()
    assert problem["details"]["problems"] == {"subcategory": "field_required", "故障地址": "field_required"}
    # a category without subcategories needs none
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "category": "query", "form": {"咨询内容": "电费", "答复内容": "已查询"}},
        headers=headers,
    )
    assert resp.status == 201, await resp.json()
    resp = await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "category": "fault", "subcategory": "fault_lv", "form": FORM},
        headers=headers,
    )
    order = await resp.json()
    assert resp.status == 201 and order["subcategory"] == "fault_lv", order


async def test_coordination_is_not_offered_at_intake_nor_taken_there(client, world):
    token = await login(client, "1001")
    headers = {"X-CSRF-Token": token}
    spec = await (await client.get("/api/intake")).json()
    codes = [c["code"] for c in spec["categories"]]
    assert "fault" in codes and "coordination" not in codes
    resp = await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "category": "coordination", "form": FORM},
        headers=headers,
    )
    problem = await resp.json()
    assert resp.status == 422 and problem["details"]["problems"] == {
        "category": "field_category_not_at_intake"
    }

    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, "sms", "sms-coord", sender="13800138000", content="停电")
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
        event_id = event.id
    resp = await client.post(
        f"/api/inbox/{event_id}/order",
        json={"workflow": "fault_repair", "category": "coordination", "form": FORM},
        headers=headers,
    )
    problem = await resp.json()
    assert resp.status == 422 and problem["details"]["problems"] == {
        "category": "field_category_not_at_intake"
    }
    resp = await client.post(
        f"/api/inbox/{event_id}/order",
        json={"workflow": "fault_repair", "category": "fault", "form": FORM},
        headers=headers,
    )
    problem = await resp.json()
    assert resp.status == 422 and problem["details"]["problems"] == {"subcategory": "field_required"}


async def test_an_admin_offers_a_category_at_intake_or_not(client, world):
    admin = await login(client, "9001")
    async with world.services.sessionmaker() as db:
        coordination = await db.scalar(
            select(Category).where(Category.code == "coordination", Category.site_id.is_(None))
        )
    listed = await (await client.get("/api/admin/categories")).json()
    row = next(c for c in listed["items"] if c["code"] == "coordination")
    assert row["at_intake"] is False
    resp = await client.patch(
        f"/api/admin/categories/{coordination.id}", json={"at_intake": True}, headers={"X-CSRF-Token": admin}
    )
    assert resp.status == 200, await resp.json()
    # a 小类别 goes with its 大类别
    low = next(c for c in listed["items"] if c["code"] == "fault_lv")
    resp = await client.patch(
        f"/api/admin/categories/{low['id']}", json={"at_intake": False}, headers={"X-CSRF-Token": admin}
    )
    assert (await resp.json())["details"]["problems"] == {"at_intake": "field_not_editable"}
    agent = await login(client, "1001")
    spec = await (await client.get("/api/intake")).json()
    assert "coordination" in [c["code"] for c in spec["categories"]]
    assert agent
