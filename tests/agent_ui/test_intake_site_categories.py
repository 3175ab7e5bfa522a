"""Intake offers each agent the business categories of their site (DOMAIN §4): the shared ones
and their site's own, a site's own replacing the shared one of its code there. Another site's
own category reaches nobody else's intake, and an order in it is refused in words, at the seat
(POST /api/orders) as from the inbox (POST /api/inbox/{id}/order)."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.agent_ui.conftest import FAULT, Session, add_user, sign_in
from ticketing.categories import add_category
from ticketing.intake import Intake, assign_to
from ticketing.models import Site, User, WorkOrder

CONSULT = {"咨询内容": "查询户号", "答复内容": "已告知"}


async def _hd_categories(world) -> None:
    """海淀 (HD) has a 大类别 of its own, a 小类别 of its own under the shared 故障报修, and its
    own 信息咨询 (an override of the shared one)."""
    async with world.services.sessionmaker.begin() as db:
        admin = await db.get(User, world.people["9001"])
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
        await add_category(db, admin, "hd_tree", "树障清理", site_id=hd, workflow_key="fault_repair")
        await add_category(db, admin, "fault_tree", "树障", parent_code="fault", site_id=hd)
        await add_category(db, admin, "consult", "海淀信息咨询", site_id=hd, workflow_key="consult")


async def _intake(who: Session) -> dict[str, dict]:
    status, spec = await who.call("GET", "/api/intake")
    assert status == 200, spec
    codes = [c["code"] for c in spec["categories"]]
    assert len(codes) == len(set(codes)), codes  # each category once
    return {c["code"]: c for c in spec["categories"]}


async def test_intake_offers_the_shared_categories_and_the_agents_sites_own(client, world):
    await _hd_categories(world)
    await add_user(world, "1101", "海淀坐席", ["agent"], "HD")
    at_hq = await _intake(await Session.signed_in(client, "1001"))
    assert "hd_tree" not in at_hq
    assert at_hq["consult"]["name"] == "信息咨询"
    assert "树障" not in [s["name"] for s in at_hq["fault"]["subcategories"]]

    at_hd = await _intake(await Session.signed_in(client, "1101"))
    assert at_hd["hd_tree"]["name"] == "树障清理" and at_hd["hd_tree"]["workflow"] == "fault_repair"
    assert at_hd["consult"]["name"] == "海淀信息咨询"
    assert [c for c in at_hd if c != "hd_tree"] == list(at_hq)  # the override in the shared one's place
    assert "树障" in [s["name"] for s in at_hd["fault"]["subcategories"]]
    assert "计量装置故障" in [s["name"] for s in at_hd["fault"]["subcategories"]]


async def test_an_order_in_another_sites_category_is_refused_in_words(aiohttp_client, client, world):
    await _hd_categories(world)
    await add_user(world, "1101", "海淀坐席", ["agent"], "HD")
    agent = await Session.signed_in(client, "1001")
    for body, field in [
        ({"workflow": "fault_repair", "category": "hd_tree", "form": FAULT}, "category"),
        (
            {"workflow": "fault_repair", "category": "fault", "subcategory": "fault_tree", "form": FAULT},
            "subcategory",
        ),
    ]:
        status, problem = await agent.call("POST", "/api/orders", body)
        assert status == 422 and problem["error_id"] == "invalid_fields", problem
        assert problem["details"]["problems"] == {field: "field_category_not_offered"}, problem
        assert "不是您所在单位受理的业务类别" in problem["message"], problem["message"]
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, "sms", "sms-hd", sender="13800138000", content="树枝碰线")
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
    status, problem = await agent.call(
        "POST",
        f"/api/inbox/{event.id}/order",
        {"workflow": "fault_repair", "category": "hd_tree", "form": FAULT},
    )
    assert status == 422 and problem["details"]["problems"] == {"category": "field_category_not_offered"}, (
        problem
    )
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count(WorkOrder.id))) == 0

    # HD's own agent takes orders in them; the HQ agent in the shared ones as before
    hd_agent = await sign_in(aiohttp_client, client, "1101")
    for body in (
        {"workflow": "fault_repair", "category": "hd_tree", "form": FAULT, "submit": False},
        {
            "workflow": "fault_repair",
            "category": "fault",
            "subcategory": "fault_tree",
            "form": FAULT,
            "submit": False,
        },
        {"workflow": "consult", "category": "consult", "form": CONSULT},
    ):
        status, order = await hd_agent.call("POST", "/api/orders", body)
        assert status == 201, order
        assert order["category"] == body["category"]
    status, order = await agent.call(
        "POST", "/api/orders", {"workflow": "consult", "category": "consult", "form": CONSULT}
    )
    assert status == 201, order
