"""A datetime field is stored in one form, the site's wall time to the minute as the browser's
datetime-local sends it, whatever the API was sent: "2026-11-27T12:51:02+00:00" is stored as
"2026-11-27T20:51" (Beijing). It was stored as sent, and the order page then read the UTC
digits as the wall time (12:51 where the print page said 20:51). The time rules still hold,
and a value stored with an offset before this equals its wall time when sent back."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from ticketing import FieldErrors, create_order, submit_step
from ticketing.models import WorkOrder
from ticketing.workflow.engine import save_form
from ticketing.workflow.forms import is_datetime, wall_time

SH = ZoneInfo("Asia/Shanghai")


def at(d, hh, mm=0, ss=0):
    return dt.datetime(2026, 11, d, hh, mm, ss, tzinfo=SH)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-11-27T12:51:02+00:00", "2026-11-27T20:51"),
        ("2026-11-27T12:51:02.123456+00:00", "2026-11-27T20:51"),
        ("2026-11-27T12:51Z", "2026-11-27T20:51"),
        ("2026-11-27T20:51:02+08:00", "2026-11-27T20:51"),
        ("2026-11-27 20:51", "2026-11-27T20:51"),
        ("2026-11-27T20:51:59", "2026-11-27T20:51"),
        ("2026-11-27T20:51", "2026-11-27T20:51"),
    ],
)
def test_every_form_of_a_time_is_the_sites_wall_time(sent, stored):
    assert wall_time(sent, "Asia/Shanghai") == stored


async def _dispatched(session, seeded):
    agent, gz1 = seeded.users["1001"], seeded.users["5101"]
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        now=at(27, 17, 0),
    )
    await submit_step(session, gz1, order, now=at(27, 17, 5))
    return order


async def test_times_sent_with_an_offset_are_stored_as_the_sites_wall_time(session, seeded):
    gz1 = seeded.users["5101"]
    order = await _dispatched(session, seeded)
    # 09:20 UTC is 17:20 in Beijing: after the call, and so stored
    await submit_step(
        session,
        gz1,
        order,
        form={"抢修人员": "张师傅", "派工时间": "2026-11-27T09:20:31.5+00:00"},
        now=at(27, 17, 30),
    )
    assert order.form["派工时间"] == "2026-11-27T17:20"
    # the rules compare the instant: 09:10 UTC (17:10) is before the dispatch at 17:20
    with pytest.raises(FieldErrors) as refused:
        await save_form(session, gz1, order, {"到达时间": "2026-11-27T09:10:00+00:00"})
    assert refused.value.problems == {"到达时间": "field_before_earlier"}
    await save_form(session, gz1, order, {"到达时间": "2026-11-27 17:25:40"})
    assert order.form["到达时间"] == "2026-11-27T17:25"
    await session.commit()
    stored = await session.scalar(select(WorkOrder.form).where(WorkOrder.id == order.id))
    assert (stored["派工时间"], stored["到达时间"]) == ("2026-11-27T17:20", "2026-11-27T17:25")


async def test_a_time_stored_with_an_offset_before_equals_its_wall_time_sent_back(session, seeded):
    gz1 = seeded.users["5101"]
    order = await _dispatched(session, seeded)
    await submit_step(
        session, gz1, order, form={"抢修人员": "张师傅", "派工时间": "2026-11-27T17:20"}, now=at(27, 17, 30)
    )
    # as an earlier version stored it: the API's value with its offset
    legacy = {**order.form, "到达时间": "2026-11-27T09:40:00+00:00"}
    await session.execute(update(WorkOrder).where(WorkOrder.id == order.id).values(form=legacy))
    await session.commit()
    await session.refresh(order)
    # the page sends the whole form back, the time as the site's wall time: no change
    await save_form(session, gz1, order, {"到达时间": "2026-11-27T17:40", "产权": "客户"})
    assert order.form["到达时间"] == "2026-11-27T09:40:00+00:00"
    assert order.form["产权"] == "客户"


@pytest.mark.parametrize(
    "sent", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "9999-12-31T23:00+00:00"]
)
def test_a_time_that_cannot_be_converted_is_not_a_datetime(sent):
    assert not is_datetime(sent)  # wall_time's astimezone would raise OverflowError (a 500)
