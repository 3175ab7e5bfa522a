"""A voided order (作废: invalid or a duplicate) is closed without anything done for its caller:
the visit-back campaign does not call about it."""

import datetime as dt

from sqlalchemy import select

from campaigns import sources, store
from ticketing.models import CampaignContact, WorkflowDefinition, WorkOrder
from ticketing.seed import seed_defaults

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


async def test_a_voided_order_is_not_visited_back(sm):
    async with sm.begin() as s:
        await seed_defaults(s)
        workflow_id = await s.scalar(
            select(WorkflowDefinition.id).where(WorkflowDefinition.key == "fault_repair")
        )
        for n, (number, status, node) in enumerate(
            [("GZ-done", "已回访", "done"), ("GZ-dup", "已作废", "confirm")]
        ):
            s.add(
                WorkOrder(
                    number=number,
                    category="fault",
                    status=status,
                    caller_number=f"1390000000{n}",
                    closed_at=NOW - dt.timedelta(hours=n + 1),
                    node_entered_at=NOW - dt.timedelta(hours=n + 2),
                    is_open=False,
                    workflow_id=workflow_id,
                    workflow_key="fault_repair",
                    workflow_version=1,
                    current_node=node,
                )
            )
        visits = await store.create_campaign(s, name="满意度回访", queue="service", kind="visit_back")
        assert await sources.refresh(s, visits, NOW) == 1
        numbers = await s.scalars(
            select(CampaignContact.data).where(CampaignContact.campaign_id == visits.id)
        )
    assert [d["order"] for d in numbers] == ["GZ-done"]
