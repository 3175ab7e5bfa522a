"""A new order in a category not offered to the agent's site (another site's own) is refused
``field_category_not_offered`` with the form's other problems, at once (the engine gathers
them, ``create_order(as_offered=True)``): it was refused alone, before the engine looked at the
form, and the bad 联系电话 came on the next resubmission. At the seat's intake (POST /api/orders)
as from the inbox's 新建工单 (POST /api/inbox/{id}/order)."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.agent_ui.conftest import FAULT, Session
from ticketing.categories import add_category
from ticketing.intake import Intake, assign_to
from ticketing.models import Site, User, WorkOrder


async def _hd_own_category(world) -> None:
    async with world.services.sessionmaker.begin() as db:
        admin = await db.get(User, world.people["9001"])
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
        await add_category(db, admin, "hd_tree", "树障清理", site_id=hd, workflow_key="fault_repair")


def _refused(status: int, problem: dict) -> dict:
    assert status == 422 and problem["error_id"] == "invalid_fields", problem
    return problem


async def test_intake_names_a_category_not_offered_with_a_bad_number(client, world):
    await _hd_own_category(world)
    agent = await Session.signed_in(client, "1001")  # of HQ: 海淀's own category is not theirs
    problem = _refused(
        *await agent.call(
            "POST",
            "/api/orders",
            {"workflow": "fault_repair", "category": "hd_tree", "form": FAULT, "caller_number": "12ab"},
        )
    )
    assert problem["details"]["problems"] == {
        "category": "field_category_not_offered",
        "caller_number": "field_bad_phone",
    }
    assert list(problem["details"]["problems"]) == ["category", "caller_number"]  # the form's order
    assert "不是您所在单位受理的业务类别" in problem["message"], problem["message"]
    assert "联系电话（电话号码有误）" in problem["message"], problem["message"]

    # with the required 故障地址 left empty too
    form = {k: v for k, v in FAULT.items() if k != "故障地址"}
    problem = _refused(
        *await agent.call(
            "POST",
            "/api/orders",
            {"workflow": "fault_repair", "category": "hd_tree", "form": form, "caller_number": "12ab"},
        )
    )
    assert problem["details"]["problems"] == {
        "category": "field_category_not_offered",
        "caller_number": "field_bad_phone",
        "故障地址": "field_required",
    }


async def test_an_order_from_the_inbox_names_a_category_not_offered_with_a_bad_value(client, world):
    await _hd_own_category(world)
    agent = await Session.signed_in(client, "1001")
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, "sms", "sms-offer", sender="13800138000", content="树枝碰线")
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
    problem = _refused(
        *await agent.call(
            "POST",
            f"/api/inbox/{event.id}/order",
            {"workflow": "fault_repair", "category": "hd_tree", "form": {**FAULT, "所属供电局": "NOPE"}},
        )
    )
    assert problem["details"]["problems"] == {
        "category": "field_category_not_offered",
        "所属供电局": "field_unknown_site",
    }
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count(WorkOrder.id))) == 0
