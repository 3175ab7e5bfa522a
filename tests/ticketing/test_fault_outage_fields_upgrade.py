"""An installation seeded before 故障报修 showed the outage at the crew's steps and required
故障范围 with 大面积停电 gets that on upgrade, without an admin: migration 0036 stores the seeded
flow plus the changes as a new version, which new orders take; a version an admin imported is
left alone. On both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.ticketing.seeded_upgrade import ADMIN, stored_before, upgraded
from ticketing import FieldErrors, create_order
from ticketing.models import User
from ticketing.seed import workflow_source
from ticketing.workflow import store
from ticketing.workflow.definition import parse

OUTAGE = {"地点分类": "visible", "大面积停电": "visible", "故障范围": "visible"}


def seeded_before() -> dict:
    """故障报修 as the seed had it before: none of the three at the crew's steps, 故障范围 merely
    editable at 受理, 派工 showing 处理意见 and 客户满意."""
    source = workflow_source("fault_repair")
    for node in source["nodes"]:
        if node["id"] == "accept":
            node["fields"]["故障范围"] = "editable"
        if node["id"] in ("dispatch", "outsource", "onsite"):
            for name in OUTAGE:
                node["fields"].pop(name)
        if node["id"] == "dispatch":
            node["fields"].update({"客户满意": "visible", "处理意见": "visible"})
    return source


@pytest.mark.parametrize("by_admin", [False, True])
async def test_the_seeded_fault_flow_gets_the_outage_fields_as_a_new_version(empty_db_url, by_admin):
    before = await stored_before(empty_db_url, "0035", seeded_before(), by_admin=by_admin)
    async with upgraded(empty_db_url) as (maker, after):
        if by_admin:
            assert after == before  # an admin's version is theirs
            return
        assert len(after) == len(before) + 1 and after[:-1] == before
        new = parse(after[-1])
        assert new.node("accept").required_when == {"故障范围": {"field": "大面积停电", "eq": True}}
        for step in ("dispatch", "outsource", "onsite"):
            assert {n: new.node(step).permission(n) for n in OUTAGE} == OUTAGE
        assert new.node("dispatch").permission("客户满意") == "hidden"
        assert new.node("dispatch").permission("处理意见") == "hidden"
        # what the seed has now: nothing else of the flow changed
        assert after[-1] == workflow_source("fault_repair")
        async with maker.begin() as s:
            agent = await s.scalar(select(User).where(User.staff_no == ADMIN))
            assert (await store.latest(s, "fault_repair")).version == len(after)
            with pytest.raises(FieldErrors) as refused:
                await create_order(
                    s,
                    agent,
                    workflow="fault_repair",
                    site_id=None,
                    form={"故障地址": "天河路1号", "大面积停电": True},
                    submit=False,
                )
            assert refused.value.problems == {"故障范围": "field_required"}
