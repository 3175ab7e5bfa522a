"""A complaint the visit-back step's ``spawn`` opens is submitted past its create step (登记) as
the dissatisfied survey's is (``surveys.follow_up_complaint``): it runs on its next step's limit
(报事审核, 1 h), not on 登记's. A spawn that says ``submit: false`` keeps it at 登记, on that
step's time limit, as one taken at intake and saved there: the same due time and timers.
(The seeded complaint's 登记 sets no limit; here a version with one, as an admin would import it.)"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.ticketing.test_surveys_and_reports import HAPPY
from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step, complaints_of
from ticketing import create_order, submit_step
from ticketing.models import Timer, WorkOrder
from ticketing.seed import workflow_source
from ticketing.surveys import record_survey
from ticketing.workflow.store import import_definition

SH = ZoneInfo("Asia/Shanghai")


def at(d, hh, mm=0):
    return dt.datetime(2026, 11, d, hh, mm, tzinfo=SH)


async def with_register_limit(session) -> None:
    source = workflow_source("complaint")
    register = next(n for n in source["nodes"] if n["id"] == "register")
    register["sla"] = {
        "limit_by": {"field": "严重程度", "values": {"一般": "2h", "重大": "1d"}},
        "reminders": [{"after": "1h", "notify": {"current_handlers": True}, "channels": ["screen"]}],
        "overrun": {"notify": [{"role": "supervisor"}], "channels": ["screen"], "urgency": "urgent"},
    }
    await import_definition(session, source)


async def deadlines(session, order) -> tuple:
    timers = await session.scalars(
        select(Timer).where(Timer.order_id == order.id, Timer.state == "pending").order_by(Timer.id)
    )
    return order.due_at, [(t.node, t.payload["kind"], t.due_at) for t in timers]


async def test_a_spawned_complaint_runs_on_its_review_limit_as_the_surveys(session, seeded):
    await with_register_limit(session)
    now = at(26, 14)  # Thursday afternoon: 报事审核's working hour → 15:00
    source = await at_visit_step(session, seeded, at(26, 9))
    # satisfied, yet the customer complains (是否投诉): the step spawns the complaint
    await record_survey(session, seeded.users["2001"], source, HAPPY)
    await submit_step(
        session, seeded.users["2001"], source, form={"是否投诉": True, "回访意见": "太慢"}, now=now
    )
    (spawned,) = await complaints_of(session, source)
    assert (spawned.current_node, spawned.workflow_version) == ("review", 2)
    assert await deadlines(session, spawned) == (at(26, 15), [("review", "overrun", at(26, 15))])


async def test_a_spawn_kept_at_register_waits_on_its_limit_as_an_intake_one(session, seeded):
    await with_register_limit(session)
    now = at(26, 14)  # Thursday afternoon: 2 working hours → 16:00
    intake = await create_order(
        session,
        seeded.users["1001"],
        workflow="complaint",
        site_id=seeded.sites["440100"].id,
        form={"类别1": "一类", "严重程度": "一般", "所属区域": "440100"},
        submit=False,
        now=now,
    )
    expected = (at(26, 16), [("register", "reminder", at(26, 15)), ("register", "overrun", at(26, 16))])
    assert await deadlines(session, intake) == expected

    fault = workflow_source("fault_repair")
    visit = next(n for n in fault["nodes"] if n["id"] == "visit")
    visit["spawn"][0]["submit"] = False
    await import_definition(session, fault)
    source = await at_visit_step(session, seeded, at(26, 9))
    await record_survey(session, seeded.users["2001"], source, HAPPY)
    await submit_step(
        session, seeded.users["2001"], source, form={"是否投诉": True, "回访意见": "太慢"}, now=now
    )
    (spawned,) = await complaints_of(session, source)
    assert (spawned.current_node, spawned.workflow_version) == ("register", 2)
    assert await deadlines(session, spawned) == expected


async def test_the_surveys_complaint_runs_on_its_review_limit(session, seeded):
    await with_register_limit(session)
    order = await at_visit_step(session, seeded, at(24, 9))
    result = await record_survey(session, seeded.users["2001"], order, UNHAPPY)
    complaint = await session.get(WorkOrder, result.follow_up_order_id)
    due, timers = await deadlines(session, complaint)
    assert complaint.current_node == "review" and due is not None
    assert [(node, kind) for node, kind, _ in timers] == [("review", "overrun")]
    assert timers[-1][2] == due
