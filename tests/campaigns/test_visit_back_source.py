"""The visit-back campaign's source: orders due a visit-back with none recorded, nothing else."""

import datetime as dt

from sqlalchemy import select

from campaigns import sources, store
from ticketing.models import Assignment, CampaignContact, SurveyResult, WorkflowDefinition, WorkOrder
from ticketing.seed import seed_defaults
from ticketing.users import create_user

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


async def test_only_orders_due_a_visit_back_and_not_visited_back_are_called(sm):
    async with sm.begin() as s:
        await seed_defaults(s)
        # each order on its category's workflow: a category without dimensions of its own is
        # visited back with its workflow's category's, and a 协调单 is (below)
        ids = dict((await s.execute(select(WorkflowDefinition.key, WorkflowDefinition.id))).all())
        workflows = {"fault": "fault_repair", "consult": "consult", "complaint": "complaint"}
        orders = {}
        for n, (number, category, node, is_open) in enumerate(
            [
                ("GZ-due", "fault", "done", False),  # closed without a visit-back (its step switched off)
                ("GZ-visited", "fault", "done", False),  # its 满意度回访 step was done
                ("GZ-surveyed", "fault", "done", False),  # surveyed on the order page
                ("GZ-waiting", "fault", "visit", True),  # waiting at the 满意度回访 step
                ("ZX-consult", "consult", "done", False),  # a one-step consult: no visit-back
                ("TS-complaint", "complaint", "done", False),  # a complaint: no visit-back
            ]
        ):
            orders[number] = WorkOrder(
                number=number,
                category=category,
                status="x",
                caller_number=f"1390000000{n}",
                closed_at=None if is_open else NOW - dt.timedelta(hours=n + 1),
                node_entered_at=NOW - dt.timedelta(hours=n + 1),
                is_open=is_open,
                workflow_id=ids[workflows[category]],
                workflow_key=workflows[category],
                workflow_version=1,
                current_node=node,
            )
        s.add_all(orders.values())
        await s.flush()
        leader_id = (await create_user(s, "2901", "班长", "secret123", roles=["team_leader"])).id
        s.add(Assignment(order_id=orders["GZ-visited"].id, node="visit", user_id=leader_id, state="done"))
        s.add(SurveyResult(order_id=orders["GZ-surveyed"].id, answers={"综合评价": "满意"}, satisfied=True))
        visits = await store.create_campaign(s, name="满意度回访", queue="service", kind="visit_back")
        assert await sources.refresh(s, visits, NOW) == 2
        rows = list(
            await s.scalars(
                select(CampaignContact)
                .where(CampaignContact.campaign_id == visits.id)
                .order_by(CampaignContact.priority_at)
            )
        )
    assert [r.data["order"] for r in rows] == ["GZ-waiting", "GZ-due"]  # who became due first is called first
    assert rows[0].expires_at == NOW - dt.timedelta(hours=4) + dt.timedelta(days=3)


async def test_a_coordination_order_is_visited_back_with_the_fault_flows_dimensions(sm):
    """协调单 has no 满意度回访 dimensions of its own: it is called like the 故障报修 it runs on;
    a category that has none and whose workflow's has none (信息咨询 on consult) is not."""
    async with sm.begin() as s:
        await seed_defaults(s)
        ids = dict((await s.execute(select(WorkflowDefinition.key, WorkflowDefinition.id))).all())
        for n, (number, category, workflow) in enumerate(
            [("XT-coordination", "coordination", "fault_repair"), ("CX-query", "query", "consult")]
        ):
            s.add(
                WorkOrder(
                    number=number,
                    category=category,
                    status="x",
                    caller_number=f"1390000001{n}",
                    closed_at=NOW - dt.timedelta(hours=1),
                    node_entered_at=NOW - dt.timedelta(hours=1),
                    is_open=False,
                    workflow_id=ids[workflow],
                    workflow_key=workflow,
                    workflow_version=1,
                    current_node="done",
                )
            )
        await s.flush()
        visits = await store.create_campaign(s, name="满意度回访", queue="service", kind="visit_back")
        assert await sources.refresh(s, visits, NOW) == 1
        [row] = await s.scalars(select(CampaignContact).where(CampaignContact.campaign_id == visits.id))
    assert row.data == {"order": "XT-coordination", "category": "coordination"}
