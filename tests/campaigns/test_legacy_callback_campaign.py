"""A queue's callback campaign opened before the per-line campaigns (4264abd: named
``队列回呼 service``, opened before migration 0028 with office hours) is left as it was: no
migration sets its hours (docs/campaigns.md, Sources: its callers may have rung either line, and
which line is 24×7 is routing.yaml's, not the database's). It takes no new request; a 95598
caller asking now is in the round-the-clock campaign and called on a Saturday night, while the
old campaign's caller waits for its working-day hours (Monday morning), still dialled."""

import datetime as dt

from campaigns import sources, store
from ticketing.models import Campaign

from .test_callback_hours import ROUTING, SATURDAY_NIGHT, _callback
from .test_store_and_dialer import Clock, FakeTelephony, bus, dialer_for  # noqa: F401

MONDAY_MORNING = dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.UTC)  # Mon 30 Nov 09:30 in Shanghai


async def test_an_old_callback_campaign_keeps_its_hours_and_takes_no_new_request(sm, bus):  # noqa: F811
    hours = sources.staffed_hours(ROUTING)
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        # as a release before 4264abd opened it (and 0028 left it: every_day false, no windows)
        old = await store.create_campaign(s, name="队列回呼 service", queue="service", kind="callback")
        await store.set_status(s, old, "start")
        await store.add_contact(
            s, old, "13800000009", source_key="callback:1789990000.1", priority_at=SATURDAY_NIGHT
        )
        new = await sources.add_callback(
            s, _callback("1790000000.1", "95598", "service", "13800000001"), hours
        )
        assert new.campaign_id != old.id
        assert (await s.get(Campaign, old.id)).every_day is False  # nothing set its hours
    phone, clock = FakeTelephony({"service": ["1001", "1002"]}), Clock()
    clock.utc = SATURDAY_NIGHT
    dialer = dialer_for(sm, phone, bus, clock)
    await dialer.tick()
    assert [n for _, n, _ in phone.placed] == ["13800000001"]  # the old campaign's caller waits
    phone.ready = {"service": ["1002"]}
    clock.utc = MONDAY_MORNING
    clock.advance(5)
    await dialer.tick()
    assert [n for _, n, _ in phone.placed] == ["13800000001", "13800000009"]
