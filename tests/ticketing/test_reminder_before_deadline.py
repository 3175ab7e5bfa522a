"""Reminders speak of the deadline truthfully: the seeded complaint's 处理 reminds before its
deadline (a 重大 complaint is not 即将超期 7 working days early), a reminder at or after the
limit is refused at import (stored versions keep loading, the reminder left out), and the
staff's notices carry Chinese subjects: 【即将超期】 / 【已超期】 / 【时限提醒】 + number + title."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ticketing import SlaWorker, approve, create_order
from ticketing.errors import WorkflowInvalid
from ticketing.models import Notification, Timer, WorkflowDefinition
from ticketing.users import create_user
from ticketing.workflow import store
from ticketing.workflow.definition import parse

SH = ZoneInfo("Asia/Shanghai")


def at(m, d, hh, mm=0):
    return dt.datetime(2026, m, d, hh, mm, tzinfo=SH)


def flow(reminders: list, limit: dict | None = None, key: str = "remind_me") -> dict:
    return {
        "key": key,
        "name": "提醒",
        "calendar": "business",
        "fields": {"标题": {"type": "text"}},
        "title": ["标题"],
        "nodes": [
            {"id": "start", "type": "create", "fields": {"标题": "editable"}, "exits": [{"to": "work"}]},
            {
                "id": "work",
                "type": "realize",
                "operators": {"batches": [[{"user": "5101"}]]},
                "sla": {
                    **(limit or {"limit": "1h"}),
                    "reminders": reminders,
                    "overrun": {"notify": {"current_handlers": True}, "channels": ["screen", "email"]},
                },
                "exits": [{"to": "done"}],
            },
            {"id": "done", "type": "archive"},
        ],
    }


def problems(data: dict) -> list[tuple[str, str | None, str | None]]:
    with pytest.raises(WorkflowInvalid) as refused:
        parse(data)
    return [(p[0], p.where.get("node"), p.where.get("value")) for p in refused.value.problems]


def test_a_reminder_at_or_after_the_limit_is_refused():
    assert problems(flow([{"after": "2h"}])) == [("reminder_after_limit", "work", "after: 2h")]
    assert problems(flow([{"after": "1h"}])) == [("reminder_after_limit", "work", "after: 1h")]
    assert problems(flow([{"before": "1h"}])) == [("reminder_after_limit", "work", "before: 1h")]
    assert problems(flow([{"after": "10m", "before": "10m"}]))[0][0] == "bad_reminder"
    assert problems(flow([{"notify": {"current_handlers": True}}]))[0][0] == "bad_reminder"
    # one that fits some of limit_by's limits reminds those orders only
    parse(flow([{"before": "1d"}], {"limit_by": {"field": "标题", "values": {"a": "1h", "b": "7d"}}}))
    parse(flow([{"after": "45m"}, {"before": "15m"}]))
    # a version stored before the rules keeps loading (a stray before: beside after: was ignored)
    assert parse(flow([{"after": "2h"}]), stored=True).node("work").sla.reminders[0].offset == "2h"
    stray = parse(flow([{"after": "45m", "before": "5m"}]), stored=True).node("work").sla.reminders[0]
    assert (stray.offset, stray.before) == ("45m", False)


async def entered_complaint(session, seeded, severity: str):
    boss = await create_user(
        session, "2100", "部门经理", "abc12345", roles=["team_leader"], site_id=seeded.sites["HQ"].id
    )
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="complaint",
        site_id=seeded.sites["440100"].id,
        now=at(11, 25, 9),
        form={
            "类别1": "一类",
            "所属区域": "440100",
            "标题": "抢修慢",
            "投诉内容": "等了三小时",
            "严重程度": severity,
        },
    )
    await approve(session, boss, order, now=at(11, 25, 9, 30))  # 处理 from Wed 25 Nov 09:30
    await session.commit()
    return order


async def reminders_due(session, order, node: str = "handle") -> list[dt.datetime]:
    rows = await session.scalars(
        select(Timer.due_at)
        .where(Timer.order_id == order.id, Timer.node == node, Timer.kind == "remind")
        .order_by(Timer.due_at)
    )
    found = list(rows)
    await session.commit()  # SQLite: the worker's session writes next
    return found


async def test_a_major_complaint_is_reminded_before_its_deadline_not_after_30_minutes(sm, session, seeded):
    order = await entered_complaint(session, seeded, "重大")
    assert order.due_at == at(12, 4, 9, 30)  # 7 working days
    # a working day before, 15 working minutes before, and the overrun
    assert await reminders_due(session, order) == [at(12, 3, 9, 30), at(12, 4, 9, 15), at(12, 4, 9, 30)]
    worker = SlaWorker(sm)
    assert await worker.run_due(at(11, 25, 10, 30)) == 0  # nothing 30 minutes (or an hour) in
    assert await worker.run_due(at(12, 3, 9, 30)) == 1
    note = await session.scalar(
        select(Notification).where(Notification.order_id == order.id, Notification.kind == "reminder")
    )
    assert note.subject == f"【即将超期】{order.number} 抢修慢"
    assert note.body == f"工单 {order.number} 处理即将超期（时限 2026-12-04 09:30），状态：处理中"


async def test_a_general_complaint_hears_15_minutes_before_its_hour(sm, session, seeded):
    order = await entered_complaint(session, seeded, "一般")
    assert order.due_at == at(11, 25, 10, 30)
    # the day-before reminder does not fit a 1 h limit: left out
    assert await reminders_due(session, order) == [at(11, 25, 10, 15), at(11, 25, 10, 30)]
    worker = SlaWorker(sm)
    assert await worker.run_due(at(11, 25, 10, 15)) == 1
    assert await worker.run_due(at(11, 25, 10, 30)) == 1
    notes = list(
        await session.scalars(
            select(Notification)
            .where(Notification.order_id == order.id, Notification.kind.in_(("reminder", "overrun")))
            .order_by(Notification.id)
        )
    )
    subjects = {(n.channel, n.subject, n.urgency) for n in notes}
    assert (("screen", f"【即将超期】{order.number} 抢修慢", "high")) in subjects
    overrun = [n for n in notes if n.kind == "overrun"]
    assert overrun and {n.subject for n in overrun} == {f"【已超期】{order.number} 抢修慢"}
    assert {n.channel for n in overrun} >= {"screen", "email"}
    assert all("处理已超期（时限 2026-11-25 10:30）" in n.body for n in overrun)


async def test_an_early_after_reminder_names_the_deadline_and_a_late_one_is_left_out(sm, session, seeded):
    data = flow(
        [{"after": "30m"}, {"after": "3d"}],
        {"limit_by": {"field": "标题", "values": {"急": "1h"}}, "limit": "7d"},
    )
    # stored before the rule (an import now refuses the 3d of a 1h limit)
    session.add(WorkflowDefinition(key="remind_me", version=1, name="提醒", body=data, source=""))
    await session.flush()
    store._cache.clear()
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="remind_me",
        site_id=seeded.sites["440100"].id,
        form={"标题": "慢"},
        now=at(11, 25, 9, 30),
    )
    await session.commit()
    assert order.due_at == at(12, 4, 9, 30)
    worker = SlaWorker(sm)
    assert await worker.run_due(at(11, 25, 10, 0)) == 1
    # said as what it is, in the subject, the 提醒 list's kind and the pop-up's
    note = await session.scalar(
        select(Notification).where(Notification.order_id == order.id, Notification.kind == "deadline")
    )
    assert note.subject == f"【时限提醒】{order.number} 慢"
    assert "即将超期" not in note.body and "2026-12-04 09:30" in note.body
    urgent = await create_order(
        session,
        seeded.users["1001"],
        workflow="remind_me",
        site_id=seeded.sites["440100"].id,
        form={"标题": "急"},
        now=at(11, 25, 9, 30),
    )
    await session.commit()
    # 30m (at half the hour: 即将超期) and the overrun; not the 3d
    assert await reminders_due(session, urgent, "work") == [at(11, 25, 10, 0), at(11, 25, 10, 30)]
    assert await worker.run_due(at(11, 25, 10, 0)) == 1
    note = await session.scalar(
        select(Notification).where(Notification.order_id == urgent.id, Notification.kind == "reminder")
    )
    assert note.subject == f"【即将超期】{urgent.number} 急"
