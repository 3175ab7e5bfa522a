"""Queue callbacks are dialled in the hours of the line each caller rang, whichever line asked
first (QA F4: a 400 after-hours request opened the queue's one callback campaign with office
hours, so 95598 (24×7) callers who pressed 9 on a Saturday waited for Monday 08:00)."""

import dataclasses
import datetime as dt

from campaigns import sources, store
from ticketing.models import Campaign

from .test_callback_hours import ROUTING, SATURDAY_NIGHT, _callback
from .test_store_and_dialer import Clock, FakeTelephony, bus, dialer_for  # noqa: F401

WEDNESDAY_MORNING = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


async def test_a_24x7_callers_request_is_not_held_to_an_office_lines_hours(sm, bus):  # noqa: F811
    hours = sources.staffed_hours(ROUTING)
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        office = await sources.add_callback(
            s, _callback("1790000000.1", "4008200000", "service", "13800000001"), hours
        )
        late = _callback("1790000000.3", "95598", "service", "13800000003")
        # arrived first, asked second: keeps its place
        early = dataclasses.replace(
            _callback("1790000000.2", "95598", "service", "13800000002"), entered_at=late.entered_at - 60
        )
        first = await sources.add_callback(s, late, hours)
        second = await sources.add_callback(s, early, hours)
        assert first.campaign_id == second.campaign_id != office.campaign_id
        always = await s.get(Campaign, first.campaign_id)
        workdays = await s.get(Campaign, office.campaign_id)
        assert (always.every_day, always.windows, always.queue, always.status) == (
            True,
            [],
            "service",
            "running",
        )
        assert (workdays.every_day, workdays.windows) == (False, ["08:00-18:00"])
        assert always.name != workdays.name  # the page tells them apart
    phone, clock = FakeTelephony({"service": ["1001", "1002", "1003"]}), Clock()
    clock.utc = SATURDAY_NIGHT
    await dialer_for(sm, phone, bus, clock).tick()
    # at once on a Saturday night, the earliest arrival first (one call a second: the pace)
    assert [n for _, n, _ in phone.placed] == ["13800000002"]
    async with sm.begin() as s:  # the next 95598 request joins the same campaign
        again = await sources.add_callback(
            s, _callback("1790000000.4", "95598", "service", "13800000004"), hours
        )
        assert again.campaign_id == first.campaign_id


async def test_when_both_lines_campaigns_call_the_earliest_caller_goes_first(sm, bus):  # noqa: F811
    """Both campaigns of a queue open (a working day's office hours): the one free agent gets the
    caller who rang first, though that caller's campaign was opened second."""
    hours = sources.staffed_hours(ROUTING)
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        await sources.add_callback(
            s, _callback("1790000100.1", "4008200000", "service", "13800000011"), hours
        )
        await sources.add_callback(
            s,
            dataclasses.replace(
                _callback("1790000000.2", "95598", "service", "13800000012"), entered_at=1_789_999_000
            ),
            hours,
        )
    phone, clock = FakeTelephony({"service": ["1001"]}), Clock()
    clock.utc = WEDNESDAY_MORNING
    await dialer_for(sm, phone, bus, clock).tick()
    assert [n for _, n, _ in phone.placed] == ["13800000012"]
