"""QA #12: a caller on the 免打扰 (do-not-call) list who presses 9 in the IVR (预约回电, at the
menu or while queued) was promised a callback and then dropped (``callback from … not queued:
dnc``), nobody told. The list stops calls the customer did not ask for (visit-backs, imported
lists, missed calls); a callback they have just asked for is queued and dialled, whether the
number was listed before the request or after it. The never-dial rule for service numbers
stays (test_never_dial_numbers)."""

import datetime as dt

import pytest
from sqlalchemy import select

from campaigns import sources, store
from campaigns.events import CallbackQueued
from ivr.events import CallbackRequested
from tests.campaigns.test_store_and_dialer import (
    NOW,
    Clock,
    FakeTelephony,
    add,
    bus,  # noqa: F401 (the fixture)
    collect,
    contacts,
    dialer_for,
    new_campaign,
)
from ticketing.models import Campaign

LISTED = "13100000001"


def always(queue: str, dnis: str) -> tuple[bool, list[str]]:
    return True, []  # 95598: staffed round the clock


def request(source: str, n: int) -> CallbackRequested:
    entered = NOW.timestamp() - 600 + n
    return CallbackRequested(
        call_id=f"{entered}.{n}",
        caller=LISTED if n == 0 else f"1310000000{n + 1}",
        dnis="95598",
        queue="service",
        entered_at=entered,
        requested_at=entered + 30,
        source=source,
    )


@pytest.mark.parametrize("source", ["ivr", "queue"])  # 9 at the main menu, 9 while waiting
async def test_a_listed_caller_who_asks_for_a_callback_is_queued_and_called_back(sm, bus, source):  # noqa: F811
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        await store.add_dnc(s, LISTED, "客户要求不再回访")
    queued = collect(bus, CallbackQueued)
    listener = sources.CallbackListener(sm, always)
    listener.bus = bus  # what subscribe sets; the request handled as the bus would hand it over
    await listener.handle(request(source, 0))
    await bus.drain()
    assert [e.state for e in queued] == ["pending"]  # the wallboards' 待回拨 count it
    async with sm() as s:
        campaign = await s.scalar(select(Campaign).where(Campaign.kind == "callback"))
    assert (await contacts(sm, campaign.id))[LISTED].state == "pending"

    phone = FakeTelephony({"service": ["1001"]})
    await dialer_for(sm, phone, bus, Clock()).tick()
    assert [(agent, number) for agent, number, _ in phone.placed] == [("1001", LISTED)]


async def test_listing_a_number_keeps_its_callback_but_holds_back_its_visit_back(sm, bus):  # noqa: F811
    visits = await new_campaign(sm, name="满意度回访", queue="service", kind="visit_back")
    await add(sm, visits, LISTED)
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        callback = await sources.add_callback(s, request("queue", 0), always)
        other = await sources.add_callback(s, request("ivr", 1), always)
        assert (callback.state, other.state) == ("pending", "pending")
        # the team leader lists the number after the caller asked: the visit-back is held back
        assert not (await store.put_dnc(s, LISTED, "客户要求不再回访")).already_listed
    assert (await contacts(sm, visits))[LISTED].state == "dnc"
    assert (await contacts(sm, callback.campaign_id))[LISTED].state == "pending"
    async with sm() as s:
        assert await store.callbacks_waiting(s, NOW + dt.timedelta(minutes=1)) == {"service": 2}

    phone = FakeTelephony({"service": ["1001", "1002"]})
    await dialer_for(sm, phone, bus, Clock()).tick()
    # the listed caller asked first, so is called first (the campaign's pace: one call a tick)
    assert [number for _, number, _ in phone.placed] == [LISTED]
