"""A queue callback is called in the hours the line the caller rang is staffed (QA: the press-9
callback campaign opened with no windows, so on a 24×7 95598 line it waited for Monday's office
hours after promising 尽快给您回电); a campaign may call on every day; a callback from an
office-hours line waits for its hours."""

import datetime as dt
from pathlib import Path

from campaigns import rules, sources, store
from cti.calendar import WorkCalendar
from cti.routing_config import load_routing
from ivr.events import CallbackRequested
from tests.campaigns.test_store_and_dialer import Clock, FakeTelephony, bus, dialer_for  # noqa: F401
from ticketing.models import Campaign

ROUTING = load_routing(
    Path(__file__).resolve().parents[2] / "deploy" / "routing.yaml", calendar=WorkCalendar.china()
)
SATURDAY_NIGHT = dt.datetime(2026, 11, 27, 19, 30, tzinfo=dt.UTC)  # Sat 28 Nov 03:30 in Shanghai


def _callback(call_id: str, dnis: str, queue: str, caller: str) -> CallbackRequested:
    return CallbackRequested(call_id=call_id, caller=caller, dnis=dnis, queue=queue, entered_at=1_790_000_000)


async def test_a_callback_from_the_24x7_line_is_called_at_once_on_a_rest_day_night(sm, bus):  # noqa: F811
    hours = sources.staffed_hours(ROUTING)
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        contact = await sources.add_callback(
            s, _callback("1790000000.1", "95598", "service", "13800000001"), hours
        )
        campaign = await s.get(Campaign, contact.campaign_id)
        assert (campaign.every_day, campaign.windows, campaign.status) == (True, [], "running")
        office = await sources.add_callback(
            s, _callback("1790000000.2", "4008200000", "aftersales", "13800000002"), hours
        )
        aftersales = await s.get(Campaign, office.campaign_id)
        assert (aftersales.every_day, aftersales.windows) == (False, ["08:00-18:00"])
    phone, clock = FakeTelephony({"service": ["1001"], "aftersales": ["1002"]}), Clock()
    clock.utc = SATURDAY_NIGHT
    await dialer_for(sm, phone, bus, clock).tick()
    assert [n for _, n, _ in phone.placed] == ["13800000001"]  # the office line's waits for Monday 08:00


def test_every_day_opens_rest_days_and_holidays_in_the_windows():
    china = WorkCalendar.china()
    saturday_noon = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)
    assert not rules.may_call(rules.calling_calendar(china, ["09:00-20:00"]), saturday_noon)
    assert rules.may_call(rules.calling_calendar(china, ["09:00-20:00"], every_day=True), saturday_noon)
    assert not rules.may_call(rules.calling_calendar(china, ["13:00-20:00"], every_day=True), saturday_noon)
    national_day = dt.datetime(2026, 10, 1, 4, 0, tzinfo=dt.UTC)
    assert rules.may_call(rules.calling_calendar(china, [], every_day=True), national_day)
