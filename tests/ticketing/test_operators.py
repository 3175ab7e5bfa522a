"""Operator rules: department, creator's manager, a field naming a person, batches and scope."""

from sqlalchemy import select

from ticketing import create_order, submit_step
from ticketing.models import Assignment
from ticketing.sites import create_department
from ticketing.users import create_user
from ticketing.workflow.store import import_definition


def flow(batches, *, fields=None):
    return {
        "key": "ops",
        "name": "ops",
        "fields": fields or {"负责人": {"type": "user"}},
        "nodes": [
            {"id": "start", "type": "create", "fields": {"负责人": "editable"}, "exits": [{"to": "work"}]},
            {"id": "work", "type": "realize", "operators": {"batches": batches}, "exits": [{"to": "done"}]},
            {"id": "done", "type": "archive"},
        ],
    }


async def holders(session, order):
    rows = await session.scalars(
        select(Assignment.user_id).where(Assignment.order_id == order.id, Assignment.state == "pending")
    )
    return set(rows)


async def test_department_manager_field_user_and_batches(session, seeded):
    u, hq, gz = seeded.users, seeded.sites["HQ"], seeded.sites["440100"]
    ops = await create_department(session, "OPS", "运维部", site=hq)
    boss = await create_user(session, "4001", "运维经理", "abc12345", roles=["team_leader"], site_id=hq.id)
    worker = await create_user(
        session,
        "4002",
        "运维员",
        "abc12345",
        roles=["handler"],
        site_id=hq.id,
        department_id=ops.id,
        manager_id=boss.id,
    )

    await import_definition(session, flow([[{"department": "OPS"}]]))
    order = await create_order(session, u["1001"], workflow="ops", site_id=gz.id)
    assert await holders(session, order) == {worker.id}

    # the creator's manager (1001's manager is the team leader 2001)
    await import_definition(session, flow([[{"creator_manager": True}]]))
    order = await create_order(session, u["1001"], workflow="ops", site_id=gz.id)
    assert await holders(session, order) == {u["2001"].id}
    order = await create_order(session, worker, workflow="ops", site_id=gz.id)
    assert await holders(session, order) == {boss.id}

    # a form field naming a person (工号)
    await import_definition(session, flow([[{"field_user": "负责人"}], [{"role": "supervisor"}]]))
    order = await create_order(session, u["1001"], workflow="ops", site_id=gz.id, form={"负责人": "5102"})
    assert await holders(session, order) == {u["5102"].id}
    # nobody named: the second batch wins
    order = await create_order(session, u["1001"], workflow="ops", site_id=gz.id)
    assert await holders(session, order) == {u["3001"].id}

    # role rules only match people whose data scope covers the order's site
    await import_definition(session, flow([[{"role": "handler"}]]))
    order = await create_order(session, u["1001"], workflow="ops", site_id=seeded.sites["440300"].id)
    assert await holders(session, order) == {u["5201"].id, u["5202"].id, worker.id}  # worker: HQ scope
    await submit_step(session, u["5201"], order)
    assert not order.is_open
