"""Orders already at 到达现场 when a step's own calendar started to count (8846a07) kept the
deadline the workflow's business hours gave them: a crew dispatched on Friday at 17:45 was due
on Monday at 10:30. Migration 0021 gives them the step's 24x7 deadline, from when the order
entered the step, and leaves every other timer as it is. On both databases, with the rows the
old code wrote."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.ticketing.conftest import later_columns_lent
from ticketing import db
from ticketing.models import Timer, WorkOrder
from ticketing.seed import workflow_source
from ticketing.sites import create_site
from ticketing.workflow.store import import_definition

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def at(d, hh, mm=0):
    return dt.datetime(2026, 11, d, hh, mm, tzinfo=SH)


OVERRUN = {"kind": "overrun", "to": [{"current_handlers": True}], "channels": ["screen"], "urgency": "high"}
REMINDER = {
    "kind": "reminder",
    "to": [{"current_handlers": True}],
    "channels": ["screen"],
    "urgency": "normal",
}


def fault_with_onsite_reminder() -> dict:
    """The seeded 故障报修 (到达现场: 2 h, 24x7) with a reminder after 90 minutes at 到达现场, the
    rest on business hours as it was seeded when 0021 was written."""
    source = {**workflow_source("fault_repair"), "calendar": "business"}
    onsite = next(n for n in source["nodes"] if n["id"] == "onsite")
    onsite["sla"]["reminders"] = [
        {"after": "90m", "notify": {"current_handlers": True}, "channels": ["screen"]}
    ]
    return source


async def test_orders_at_a_24x7_step_get_its_deadline_from_when_they_entered_it(empty_db_url):
    await db.migrate(empty_db_url, "0020")
    engine = db.create_engine(empty_db_url)
    # order name -> (node, entered, open, its due time, its timers: (kind, payload, due, state))
    friday = at(27, 17, 45)  # after business hours: the old code counted from Monday 08:30
    orders = {
        # the old code's rows: reminder Mon 10:00 and overrun Mon 10:30 instead of Fri 19:15 / 19:45
        "old": (
            "onsite",
            friday,
            True,
            at(30, 10, 30),
            [("remind", REMINDER, at(30, 10), "pending"), ("remind", OVERRUN, at(30, 10, 30), "pending")],
        ),
        # the reminder has fired already (on Monday morning's reading): only the overrun is moved
        "fired": (
            "onsite",
            friday,
            True,
            at(30, 10, 30),
            [("remind", REMINDER, at(30, 10), "fired"), ("remind", OVERRUN, at(30, 10, 30), "pending")],
        ),
        # entered after the fix: its deadline is right already
        "new": (
            "onsite",
            friday,
            True,
            at(27, 19, 45),
            [("remind", REMINDER, at(27, 19, 15), "pending"), ("remind", OVERRUN, at(27, 19, 45), "pending")],
        ),
        # 派工 counts in business hours: nothing to correct
        "dispatch": (
            "dispatch",
            at(27, 17, 40),
            True,
            at(30, 9, 30),
            [
                ("remind", OVERRUN, at(30, 9, 30), "pending"),
                ("action", {"type": "convert"}, at(30, 9, 30), "pending"),
            ],
        ),
        # closed: its leftovers are never fired
        "closed": ("onsite", friday, False, at(30, 10, 30), [("remind", OVERRUN, at(30, 10, 30), "pending")]),
        # a timer nobody's calendar gives from when the order entered the step (set another way): kept
        "other": ("onsite", friday, True, at(28, 9), [("remind", OVERRUN, at(28, 9), "pending")]),
    }
    maker = db.sessionmaker(engine)
    ids = {}
    try:
        async with later_columns_lent(engine):
            async with maker.begin() as s:
                site = await create_site(s, "440100", "广州供电局", kind="bureau")
                workflow = await import_definition(s, fault_with_onsite_reminder())
                for number, (node, entered, is_open, due, timers) in orders.items():
                    order = WorkOrder(
                        number=number,
                        category="fault",
                        status="已派工",
                        site_id=site.id,
                        form={"故障地址": "天河路1号", "所属供电局": "440100"},
                        workflow_id=workflow.id,
                        workflow_key="fault_repair",
                        workflow_version=workflow.version,
                        current_node=node,
                        node_entered_at=entered,
                        due_at=due,
                        is_open=is_open,
                        created_at=entered - dt.timedelta(minutes=15),
                    )
                    s.add(order)
                    await s.flush()
                    ids[number] = order.id
                    s.add_all(
                        Timer(
                            order_id=order.id, node=node, kind=kind, payload=payload, due_at=when, state=state
                        )
                        for kind, payload, when, state in timers
                    )
        await db.migrate(engine)
        async with maker() as s:
            due = {o.number: o.due_at for o in await s.scalars(select(WorkOrder))}
            timers = {
                number: [
                    (t.payload.get("kind", t.kind), t.due_at, t.state)
                    for t in await s.scalars(
                        select(Timer).where(Timer.order_id == order_id).order_by(Timer.id)
                    )
                ]
                for number, order_id in ids.items()
            }
        await db.migrate(engine)  # again: nothing more changes
        async with maker() as s:
            assert {o.number: o.due_at for o in await s.scalars(select(WorkOrder))} == due
    finally:
        await engine.dispose()

    assert due == {
        "old": at(27, 19, 45),
        "fired": at(27, 19, 45),
        "new": at(27, 19, 45),
        "dispatch": at(30, 9, 30),
        "closed": at(30, 10, 30),
        "other": at(28, 9),
    }
    assert timers == {
        "old": [("reminder", at(27, 19, 15), "pending"), ("overrun", at(27, 19, 45), "pending")],
        "fired": [("reminder", at(30, 10), "fired"), ("overrun", at(27, 19, 45), "pending")],
        "new": [("reminder", at(27, 19, 15), "pending"), ("overrun", at(27, 19, 45), "pending")],
        "dispatch": [("overrun", at(30, 9, 30), "pending"), ("action", at(30, 9, 30), "pending")],
        "closed": [("overrun", at(30, 10, 30), "pending")],
        "other": [("overrun", at(28, 9), "pending")],
    }
