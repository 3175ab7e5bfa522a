"""停电查询 for my own area without an area code: few callers know their area's code, so a caller
ringing from a number registered on a customer presses # alone and hears the outages of that
customer's bureau (SelfServiceHooks.home_area; ticketing's: the site of the customer on the
number). A withheld caller, or a number registered in no bureau or in more than one, keys in a
code as before; keyed codes still work for everyone."""

from __future__ import annotations

import datetime as dt

import pytest

from cti.bus import InProcessBus
from hotline.selfservice import ticketing_hooks
from ivr import SelfServiceHooks
from ticketing.knowledge import publish_notice
from ticketing.models import Customer, CustomerPhone

from .conftest import FakeChannel
from .test_notice_voice import book, publish  # noqa: F401  (book: a fixture)
from .test_route import Hooks, run, services

MINE = "13800138000"  # FakeChannel's number


class Home(Hooks):
    def __init__(self, areas: dict[str, str]) -> None:
        super().__init__()
        self.areas = areas

    async def home_area(self, caller: str) -> str:
        self.asked.append(("home", caller))
        return self.areas.get(caller, "")


@pytest.fixture
async def bus():
    bus = InProcessBus()
    yield bus
    await bus.close()


async def call(agi_server, bus, tmp_path, keys: str, callerid: str = MINE, areas=None):
    home = Home({MINE: "0101"} if areas is None else areas)
    hooks = SelfServiceHooks(outage_lookup=home.outage, home_area=home.home_area, timeout=0.5)
    ch = await run(
        agi_server, services(bus, home, tmp_path, self_service=hooks), FakeChannel(keys, callerid=callerid)
    )
    return ch, home


async def test_hash_alone_tells_the_outages_of_the_area_registered_for_the_number(agi_server, bus, tmp_path):
    ch, home = await call(agi_server, bus, tmp_path, "1#0")
    assert home.asked == [("home", MINE), ("outage", "0101")]
    assert "hotline/enter-area-home" in ch.played() and ["SAY", "NUMBER", "1", ""] in ch.commands
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:1/outage:1/top:0"


async def test_a_keyed_code_still_works_for_a_caller_with_a_number(agi_server, bus, tmp_path):
    _, home = await call(agi_server, bus, tmp_path, "10101#0", areas={MINE: "9999"})
    assert home.asked == [("outage", "0101")]


async def test_a_withheld_caller_is_asked_for_a_code_and_hash_alone_is_wrong(agi_server, bus, tmp_path):
    ch, home = await call(agi_server, bus, tmp_path, "1#0101#0", callerid="anonymous")
    assert home.asked == [("outage", "0101")]
    played = ch.played()
    assert "hotline/enter-area-home" not in played and played.count("hotline/enter-area") == 2
    assert "hotline/invalid" in played


async def test_a_number_in_no_one_area_is_told_so_and_asked_nothing_else(agi_server, bus, tmp_path):
    ch, home = await call(agi_server, bus, tmp_path, "1#0", areas={})
    assert home.asked == [("home", MINE)]  # no outage lookup on a guess
    assert "hotline/no-home-area" in ch.played()
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:1/outage:no_home_area/top:0"


async def test_ticketing_finds_the_bureau_of_the_customer_on_the_number(book):  # noqa: F811
    sessions, demo = book
    await publish(
        sessions, demo, area="越秀区北京路一带", starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    async with sessions() as session:
        for i, (site, phone) in enumerate(
            [("440106", "13900000001"), ("440106", "13900000002"), ("440304", "13900000002")]
        ):
            customer = Customer(account_no=f"88000{i}", name=f"客户{i}", site_id=demo.sites[site].id)
            customer.phones = [CustomerPhone(number=phone, raw=phone)]
            session.add(customer)
        await session.commit()
    hooks = ticketing_hooks(sessions)
    assert await hooks.home_area("13900000001") == "440106"
    (told,) = await hooks.outage_lookup(await hooks.home_area("13900000001"))
    assert told.area == "越秀区北京路一带"
    assert await hooks.home_area("13900000002") == ""  # customers of two bureaus: not guessed
    assert await hooks.home_area("13900000009") == ""


async def test_a_code_tells_the_sites_notices_and_those_naming_it_as_an_area(book):  # noqa: F811
    """440106 is the 天河区供电所's code and 天河区's: a 广州市供电局 notice naming 天河区 is that
    caller's outage as much as the 供电所's own. Only the 供电所's was told (the site's code was
    tried first, an area's only when it found nothing); another 供电所's is not told."""
    sessions, demo = book
    now = dt.datetime.now(dt.UTC)
    tianhe = [{"kind": "district", "name": "天河区", "code": "440106"}]
    async with sessions() as session:
        for site, area, areas, hours in (
            ("440106", "天河区中山路一带", [], 1),
            ("440100", "天河区全区", tianhe, 2),
            ("440104", "越秀区北京路一带", [], 3),
        ):
            await publish_notice(
                session,
                demo.users["3001"],
                site_id=demo.sites[site].id,
                area=area,
                reason="计划检修",
                affected_areas=areas,
                starts_at=now - dt.timedelta(hours=hours),
                ends_at=now + dt.timedelta(hours=5),
            )
        await session.commit()
    told = await ticketing_hooks(sessions).outage_lookup("440106")
    assert [o.area for o in told] == ["天河区全区", "天河区中山路一带"]  # the earliest first
    assert [o.area for o in await ticketing_hooks(sessions).outage_lookup("440100")] == [
        "越秀区北京路一带",
        "天河区全区",
        "天河区中山路一带",
    ]
