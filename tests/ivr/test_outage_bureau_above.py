"""A notice entered at the 局 covers its 供电所 (QA-10: a customer of 越秀区供电所 pressing # heard
「没有停电信息」 of the 广州市供电局's planned outage, found by keying 440100): the IVR's lookup by a
site's code, and the console's 供电局 search alike, tell the notices of the sites above it, unless
their affected areas say where (coded areas: only the sites they name)."""

from __future__ import annotations

import datetime as dt

from hotline.selfservice import ticketing_hooks
from ticketing.knowledge import publish_notice, search_notices
from ticketing.models import Customer, CustomerPhone

from .test_notice_voice import book  # noqa: F401  (book: a fixture)

TIANHE = [{"kind": "district", "name": "天河区", "code": "440106"}]
STREET = [{"kind": "street", "name": "人民路", "code": ""}]


async def test_a_bureau_notice_is_told_to_its_outlets_callers_unless_its_areas_say_where(book):  # noqa: F811
    sessions, demo = book
    now = dt.datetime.now(dt.UTC)
    async with sessions() as session:
        for hours, site, area, areas in (
            (1, "440100", "白云区人民路计划检修", []),  # the 局's, the 停电范围 text alone
            (2, "440100", "人民路沿线", STREET),  # named areas without a code: no place said
            (3, "440100", "天河区全区", TIANHE),  # coded: 天河's, not 越秀's
            (4, "440104", "越秀区北京路一带", []),
            (5, "440106", "天河区中山路一带", []),
        ):
            await publish_notice(
                session,
                demo.users["3001"],
                site_id=demo.sites[site].id,
                area=area,
                affected_areas=areas,
                starts_at=now + dt.timedelta(hours=hours),
                ends_at=now + dt.timedelta(hours=hours + 4),
            )
        customer = Customer(account_no="880001", name="陈雨", site_id=demo.sites["440104"].id)
        customer.phones = [CustomerPhone(number="13100000001", raw="13100000001")]
        session.add(customer)
        await session.commit()
    hooks = ticketing_hooks(sessions)
    yuexiu = ["白云区人民路计划检修", "人民路沿线", "越秀区北京路一带"]
    # "#" alone: the customer's 供电所, and what its 局 published for it
    assert [o.area for o in await hooks.outage_lookup(await hooks.home_area("13100000001"))] == yuexiu
    tianhe = ["白云区人民路计划检修", "人民路沿线", "天河区全区", "天河区中山路一带"]
    assert [o.area for o in await hooks.outage_lookup("440106")] == tianhe
    # the 局 itself: its own and all its outlets', as before
    assert len(await hooks.outage_lookup("440100")) == 5
    # the console's 供电局 search: the same rule
    async with sessions() as session:
        found = await search_notices(
            session, start=now, end=now + dt.timedelta(days=1), site_code="440104", now=now
        )
    assert [n.area for n in found] == yuexiu
