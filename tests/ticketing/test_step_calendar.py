"""A step's own ``sla.calendar`` (到达现场: 24x7) decides its time limit, not the workflow's.

A crew dispatched on Friday evening must be on site within 2 hours by the clock; the 派工
step before it keeps counting in business hours (Friday evening → Monday morning).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.ticketing.conftest import fault_on_business_hours
from ticketing import SlaWorker, WorkflowInvalid, create_order, submit_step
from ticketing.models import Notification, Timer, WorkflowDefinition
from ticketing.seed import SEEDS
from ticketing.workflow import store
from ticketing.workflow.definition import parse, parse_yaml

SH = ZoneInfo("Asia/Shanghai")


def at(d, hh, mm=0):
    return dt.datetime(2026, 11, d, hh, mm, tzinfo=SH)


def fault_yaml() -> str:
    """The seeded 故障报修 on business hours (the seed counts round the clock), its 到达现场 24x7."""
    text = (SEEDS / "fault_repair.yaml").read_text(encoding="utf-8")
    assert "\ncalendar: 24x7\n" in text
    return text.replace("\ncalendar: 24x7\n", "\ncalendar: business\n")


def test_the_step_calendar_is_parsed():
    definition = parse_yaml(fault_yaml())
    assert definition.calendar == "business"
    assert definition.node("onsite").sla.calendar == "24x7"
    assert definition.node("dispatch").sla.calendar == ""  # the workflow's


def test_an_unknown_step_calendar_is_refused_at_import_but_a_stored_version_still_loads():
    body = parse_yaml(fault_yaml()).raw
    body = {**body, "nodes": [dict(n) for n in body["nodes"]]}
    onsite = next(n for n in body["nodes"] if n["id"] == "onsite")
    onsite["sla"] = {**onsite["sla"], "calendar": "24/7"}
    with pytest.raises(WorkflowInvalid) as invalid:
        parse(body)
    assert [p[0] for p in invalid.value.problems] == ["unknown_calendar"]
    assert "onsite" in invalid.value.problems[0][1]
    # a version imported before the check: it ran on the workflow's calendar, and still does
    assert parse(body, stored=True).node("onsite").sla.calendar == ""


async def test_friday_evening_dispatch_counts_each_step_on_its_own_calendar(sm, session, seeded):
    await fault_on_business_hours(session)
    agent, gz1 = seeded.users["1001"], seeded.users["5101"]
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        now=at(27, 17, 33),  # Friday, after business hours
    )
    await submit_step(session, gz1, order, opinion="收到", now=at(27, 17, 40))
    # 派工 (business hours): its hour starts on Monday morning
    assert order.current_node == "dispatch"
    assert order.due_at == at(30, 9, 30)
    await submit_step(
        session,
        gz1,
        order,
        form={"抢修人员": "张师傅", "派工时间": "2026-11-27T17:45"},
        now=at(27, 17, 45),
    )
    # 到达现场 (24x7): two hours by the clock, on Friday evening
    assert order.current_node == "onsite"
    assert order.due_at == at(27, 19, 45)
    timers = list(
        await session.scalars(select(Timer).where(Timer.order_id == order.id, Timer.state == "pending"))
    )
    assert [(t.node, t.payload["kind"], t.due_at.astimezone(SH)) for t in timers] == [
        ("onsite", "overrun", at(27, 19, 45))
    ]
    await session.commit()

    worker = SlaWorker(sm)
    assert await worker.run_due(at(27, 19, 44)) == 0
    assert await worker.run_due(at(27, 19, 45)) == 1  # the overrun, on Friday evening
    sms = list(
        await session.scalars(
            select(Notification).where(Notification.order_id == order.id, Notification.channel == "sms")
        )
    )
    assert sms and all("已超期" in n.body for n in sms)


async def test_the_seeded_stored_version_honours_the_step_calendar(session, seeded):
    # installations keep their seeded version: the definition is parsed from the stored body
    row = await session.scalar(select(WorkflowDefinition).where(WorkflowDefinition.key == "fault_repair"))
    definition = await store.definition_for(session, row.id)
    assert definition.node("onsite").sla.calendar == "24x7"
