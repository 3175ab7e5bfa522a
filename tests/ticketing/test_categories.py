"""The seeded 95598 category tree, per-site additions, disabling instead of deleting."""

import pytest
from sqlalchemy import select

from ticketing.categories import add_category, category_tree, disable_category
from ticketing.errors import ActionRefused, Forbidden
from ticketing.models import Category


async def test_seeded_tree_and_site_overrides(session, seeded):
    tree = await category_tree(session)
    codes = [t["code"] for t in tree]
    assert codes[:4] == ["query", "consult", "fault", "service"]
    service = next(t for t in tree if t["code"] == "service")
    assert [c["name"] for c in service["children"]] == ["高压新装", "低压新装", "批量新装", "变更用电"]
    complaint = next(t for t in tree if t["code"] == "complaint")
    assert [c["name"] for c in complaint["children"]][:3] == ["一类投诉", "二类投诉", "三类投诉"]

    admin, agent = seeded.users["9001"], seeded.users["1001"]
    with pytest.raises(Forbidden):
        await add_category(session, agent, "fault_tree", "树障", parent_code="fault")
    gz = seeded.sites["440100"].id
    await add_category(session, admin, "fault_tree", "树障", parent_code="fault", site_id=gz)
    with pytest.raises(ActionRefused):
        await add_category(session, admin, "fault_tree", "树障", parent_code="fault", site_id=gz)
    here = next(t for t in await category_tree(session, gz) if t["code"] == "fault")
    elsewhere = next(
        t for t in await category_tree(session, seeded.sites["440300"].id) if t["code"] == "fault"
    )
    assert "树障" in [c["name"] for c in here["children"]]
    assert "树障" not in [c["name"] for c in elsewhere["children"]]

    meter = await session.scalar(select(Category).where(Category.code == "fault_meter"))
    await disable_category(session, admin, meter)
    fault = next(t for t in await category_tree(session) if t["code"] == "fault")
    assert "计量装置故障" not in [c["name"] for c in fault["children"]]
    assert await session.get(Category, meter.id) is not None  # kept for old orders and reports
