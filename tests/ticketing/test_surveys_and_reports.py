"""Visit-back surveys and reports on known data."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ticketing import ActionRefused, create_order, submit_step
from ticketing.models import OrderLink, WorkOrder
from ticketing.reports import (
    complaint_causes,
    cycle_time_by_step,
    cycle_time_by_workflow,
    orders_by,
    overdue,
    satisfaction,
    to_csv,
    top_handlers,
)
from ticketing.surveys import dimensions_for, record_survey

SH = ZoneInfo("Asia/Shanghai")


def at(d, hh, mm=0):
    return dt.datetime(2026, 11, d, hh, mm, tzinfo=SH)


def wall(when):
    """A datetime field's value (the browser's datetime-local) for ``when``: the times a
    handler types are after the call and not ahead of the clock."""
    return when.astimezone(SH).strftime("%Y-%m-%dT%H:%M")


HAPPY = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "满意", "综合评价": "满意"}


async def fault(session, seeded, now, *, close=False, visit=False, survey=HAPPY):
    """A 广州 fault order; ``visit``: repaired, waiting at the team leader's 满意度回访 step;
    ``close``: visited back too (``survey`` recorded, the step taking its level from it)."""
    u = seeded.users
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        now=now,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
    )
    if close or visit:
        await submit_step(session, u["5101"], order, now=now + dt.timedelta(minutes=10))
        await submit_step(
            session,
            u["5101"],
            order,
            form={"抢修人员": "张", "派工时间": wall(now + dt.timedelta(minutes=20))},
            now=now + dt.timedelta(minutes=20),
        )
        await submit_step(
            session,
            u["5101"],
            order,
            form={"到达时间": wall(now + dt.timedelta(minutes=50)), "产权": "客户"},
            now=now + dt.timedelta(minutes=50),
        )
        await submit_step(
            session,
            u["5101"],
            order,
            form={"完成时间": wall(now + dt.timedelta(hours=2)), "处理描述": "好了"},
            now=now + dt.timedelta(hours=2),
        )
    if close:
        await record_survey(session, u["2001"], order, survey)
        await submit_step(session, u["2001"], order, now=now + dt.timedelta(hours=3))
    return order


async def test_survey_dissatisfied_spawns_linked_complaint(session, seeded):
    order = await fault(session, seeded, at(24, 9), visit=True)
    dims = await dimensions_for(session, order.site_id, "fault")
    assert [d.name for d in dims] == ["服务技能", "服务礼仪", "抢修时效", "综合评价"]
    leader = seeded.users["2001"]
    with pytest.raises(ActionRefused) as refused:
        await record_survey(session, leader, order, {"服务技能": "棒"})
    assert refused.value.details["problems"]["服务技能"] == "survey_bad_answer"
    good = await record_survey(
        session,
        leader,
        order,
        {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "满意", "综合评价": "非常满意"},
    )
    assert good.satisfied and good.follow_up_order_id is None
    with pytest.raises(ActionRefused) as again:  # one visit-back per order: the first answer stands
        await record_survey(
            session,
            leader,
            order,
            {"服务技能": "不满意", "服务礼仪": "满意", "抢修时效": "满意", "综合评价": "满意"},
        )
    assert again.value.error_id == "survey_recorded"
    order = await fault(session, seeded, at(24, 10), visit=True)
    bad = await record_survey(
        session,
        leader,
        order,
        {"服务技能": "满意", "服务礼仪": "不满意", "抢修时效": "满意", "综合评价": "不满意"},
        remark="态度不好",
    )
    assert not bad.satisfied
    complaint = await session.get(WorkOrder, bad.follow_up_order_id)
    assert complaint.category == "complaint"
    assert complaint.form["投诉内容"] == "态度不好\n回访不满意（服务礼仪：不满意、综合评价：不满意）"
    link = await session.scalar(select(OrderLink).where(OrderLink.to_order_id == complaint.id))
    assert link.from_order_id == order.id and order.is_open  # the step is still to be submitted
    summary = await satisfaction(session)
    assert summary["total"] == 2 and summary["satisfied"] == 1
    assert summary["by_dimension"]["服务礼仪"] == {"满意": 1, "不满意": 1}


async def test_reports_on_known_data(session, seeded):
    for day in (23, 24):
        await fault(session, seeded, at(day, 9), close=True)
    await fault(session, seeded, at(25, 9))
    u = seeded.users
    await create_order(
        session,
        u["1002"],
        workflow="complaint",
        site_id=seeded.sites["440100"].id,
        now=at(25, 10),
        form={"类别1": "二类", "所属区域": "440100", "标题": "t", "投诉内容": "c", "严重程度": "重大"},
    )
    assert dict(await orders_by(session, "category")) == {"fault": 3, "complaint": 1}
    assert dict(await orders_by(session, "status")) == {"已回访": 2, "已流转": 1, "待审核": 1}
    assert dict(await orders_by(session, "site")) == {"广州市供电局": 4}
    handlers = dict(await orders_by(session, "handler"))
    assert handlers[u["5101"].name] == 1 and handlers[u["2001"].name] == 1
    assert dict(await orders_by(session, "category", start=at(25, 0))) == {"fault": 1, "complaint": 1}
    late = await overdue(session, now=at(25, 10, 59))
    assert len(late) == 1 and late[0].status == "已流转"  # 30 minutes to acknowledge, long gone
    # and the complaint's review (报事审核: one working hour from 10:00)
    assert sorted(o.status for o in await overdue(session, now=at(25, 12))) == ["已流转", "待审核"]
    [(key, closed, hours)] = await cycle_time_by_workflow(session)
    assert (key, closed, hours) == ("fault_repair", 2, 3.0)
    steps = dict((n, m) for n, _, m in await cycle_time_by_step(session, "fault_repair"))
    assert steps["confirm"] == 10.0 and steps["onsite"] == 30.0
    # the steps of the orders received in the period: the 25th's has done only its first
    assert [n for n, _, _ in await cycle_time_by_step(session, "fault_repair", start=at(25, 0))] == ["accept"]
    assert await cycle_time_by_step(session, "fault_repair", end=at(23, 0)) == []
    top = await top_handlers(session)
    assert top[0][0] == "5101" and top[0][2] == 8
    assert await complaint_causes(session) == [("二类", "重大", 1)]
    text = to_csv(["类别", "数量"], await orders_by(session, "category"))
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["类别", "数量"],
        ["fault", "3"],
        ["complaint", "1"],
    ]


async def test_site_specific_dimensions_replace_the_defaults(session, seeded):
    from ticketing.surveys import add_dimension

    gz = seeded.sites["440100"].id
    await add_dimension(
        session,
        seeded.users["9001"],
        "fault",
        "到场速度",
        [{"label": "快", "satisfied": True}, {"label": "慢", "satisfied": False}],
        site_id=gz,
    )
    assert [d.name for d in await dimensions_for(session, gz, "fault")] == ["到场速度"]
    assert len(await dimensions_for(session, seeded.sites["440300"].id, "fault")) == 4


async def test_reports_respect_the_viewers_sites(session, seeded):
    u = seeded.users
    await fault(session, seeded, at(25, 9))
    await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440300"].id,
        now=at(25, 9),
        form={"故障地址": "福田路1号", "所属供电局": "440300"},
    )
    assert dict(await orders_by(session, "site")) == {"广州市供电局": 1, "深圳市供电局": 1}
    assert dict(await orders_by(session, "site", viewer=u["5201"])) == {"深圳市供电局": 1}
    assert [o.site_id for o in await overdue(session, now=at(25, 12), viewer=u["5101"])] == [
        seeded.sites["440100"].id
    ]
    assert len(await overdue(session, now=at(25, 12), viewer=u["3001"])) == 2  # HQ sees all


async def test_two_surveys_of_one_order_submitted_at_once_store_one(db_url, engine, session, seeded):
    """A double click, or two tabs: both submissions read "no survey yet" before either is
    committed. The database keeps the first; the second is the same refusal as a later one."""
    import asyncio

    from sqlalchemy import func, text

    from ticketing import db, load_order
    from ticketing.models import SurveyResult

    order = await fault(session, seeded, at(24, 9), visit=True)
    await session.commit()
    leader = seeded.users["2001"]
    happy = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "满意", "综合评价": "满意"}
    engines = [db.create_engine(db_url), db.create_engine(db_url)]

    async def second_tab():
        async with db.sessionmaker(engines[1]).begin() as s:
            theirs = await load_order(s, leader, order.id)
            await record_survey(s, leader, theirs, {**happy, "综合评价": "不满意"})

    async def waiting_on_the_first() -> bool:
        if engine.dialect.name != "postgresql":
            # SQLite: the second transaction waits for the write lock (BEGIN IMMEDIATE), so it
            # reads after the first commits; only PostgreSQL lets both pass the read
            await asyncio.sleep(0.2)
            return True
        async with engine.connect() as conn:
            return bool(
                await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            )

    try:
        async with db.sessionmaker(engines[0])() as first:
            mine = await load_order(first, leader, order.id)
            await record_survey(first, leader, mine, happy)  # stored, not committed yet
            other = asyncio.create_task(second_tab())
            for _ in range(100):
                if other.done() or await waiting_on_the_first():
                    break
                await asyncio.sleep(0.05)
            assert not other.done()  # it passed the read and waits on the first one's row
            await first.commit()
        with pytest.raises(ActionRefused) as refused:
            await other
    finally:
        for e in engines:
            await e.dispose()
    assert refused.value.error_id == "survey_recorded"
    stored = list(await session.scalars(select(SurveyResult).where(SurveyResult.order_id == order.id)))
    assert [r.satisfied for r in stored] == [True]
    assert not await session.scalar(select(func.count(WorkOrder.id)).where(WorkOrder.category == "complaint"))
