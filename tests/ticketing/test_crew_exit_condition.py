"""An exit condition on a crew field (抢修班组): the field holds the snapshot of the crew picked
(``crews.snapshot``, a mapping), so a condition asks only whether a crew was dispatched (empty /
filled): the step editor is offered exactly those for the type, the import refuses a comparison
(``eq`` a crew's id would never match the snapshot), and the engine reads the snapshot as
filled, no crew as empty."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ticketing import ActionRefused, create_order, submit_step
from ticketing import crews as register
from ticketing.errors import WorkflowInvalid
from ticketing.seed import workflow_source
from ticketing.workflow.conditions import TYPE_OPERATORS, evaluate
from ticketing.workflow.definition import parse
from ticketing.workflow.store import import_definition

SH = ZoneInfo("Asia/Shanghai")
CALLED = dt.datetime(2026, 11, 27, 14, 30, tzinfo=SH)


def fault_repair(when: dict) -> dict:
    """The seeded 故障报修 whose 派工 goes to 外委处理 on ``when`` (instead of a 外委单位 named)."""
    data = workflow_source("fault_repair")
    dispatch = next(n for n in data["nodes"] if n["id"] == "dispatch")
    dispatch["exits"] = [{"to": "outsource", "when": when, "name": "外委派工"}, {"to": "onsite"}]
    return data


def test_a_crew_field_is_tested_for_being_there_only():
    assert TYPE_OPERATORS["crew"] == ("empty", "filled")
    with pytest.raises(WorkflowInvalid) as refused:
        parse(fault_repair({"field": "抢修班组", "eq": 3}))
    assert [(p[0], p.where.get("field"), p.where.get("operator")) for p in refused.value.problems] == [
        ("condition_operator_not_for_type", "抢修班组", "eq")
    ]
    assert "(use empty, filled)" in refused.value.problems[0][1]
    with pytest.raises(WorkflowInvalid) as refused:
        parse(fault_repair({"field": "抢修班组", "filled": "是"}))
    assert refused.value.problems[0][0] == "condition_bad_value"
    # a crew as the order keeps it is filled; none picked (never, or the picker cleared) is empty
    shot = {
        "id": 4,
        "name": "天河抢修一班",
        "leader": "张强",
        "phone": "13800001111",
        "vehicle": "",
        "members": "",
    }
    for value, empty in ((shot, False), (4, False), (None, True), ("", True), ({}, True)):
        form = {"抢修班组": value} if value is not None else {}
        assert evaluate({"field": "抢修班组", "empty": True}, form) is empty, value
        assert evaluate({"field": "抢修班组", "filled": True}, form) is not empty, value


async def test_the_engine_routes_on_the_crew_picked(session, seeded):
    u, sites = seeded.users, seeded.sites
    await import_definition(session, fault_repair({"field": "抢修班组", "empty": True}), actor=u["9001"])
    crew = await register.create(
        session, u["9001"], {"name": "天河抢修一班", "site_id": sites["440106"].id, "phones": "13800001111"}
    )
    crew_id = crew.id
    await session.commit()

    async def at_dispatch():
        order = await create_order(
            session,
            u["1001"],
            workflow="fault_repair",
            site_id=sites["440106"].id,
            form={"故障地址": "天河路1号", "所属供电局": "440106"},
            now=CALLED,
        )
        await submit_step(session, u["5101"], order, now=CALLED + dt.timedelta(minutes=5))
        assert order.current_node == "dispatch"
        await session.commit()  # a refused 提交 below is rolled back to here
        return order

    later = CALLED + dt.timedelta(minutes=15)

    async def refused(form: dict, to: str) -> str:
        """A new order at 派工 submitted ``to`` a step with ``form``: the refusal's error id."""
        order = await at_dispatch()
        with pytest.raises(ActionRefused) as refusal:
            await submit_step(session, u["5101"], order, form=dict(form), to=to, now=later)
        await session.rollback()
        return refusal.value.error_id

    # a crew picked (its snapshot in the field): not empty, so 外委派工 contradicts the form
    picked = {"抢修班组": crew_id, "派工时间": "2026-11-27T14:40"}
    assert await refused(picked, "outsource") == "exit_contradicts_form"
    order = await at_dispatch()
    await submit_step(session, u["5101"], order, form=dict(picked), now=later)
    assert order.current_node == "onsite"
    assert order.form["抢修班组"]["id"] == crew_id
    # none picked: the crew field is empty, so 外委派工's condition holds and 到达现场 is refused
    none = {"抢修人员": "张强", "派工时间": "2026-11-27T14:40"}
    assert await refused(none, "onsite") == "exit_contradicts_form"
