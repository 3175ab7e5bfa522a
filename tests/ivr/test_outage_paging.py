"""停电查询 says how many outages there are and every one of them can be heard (QA-9: it said
「共有 5 条」 and read 3): each is read in turn, the next when the caller presses 1; anything
else (or nothing) takes them back to the menu, the path saying how many they heard."""

from __future__ import annotations

import datetime as dt

import pytest

from cti.bus import InProcessBus
from hotline.selfservice import ticketing_hooks
from ivr import Outage
from ticketing.knowledge import publish_notice

from .conftest import FakeChannel
from .test_notice_voice import book  # noqa: F401  (book: a fixture)
from .test_route import Hooks, run, services

FIVE = [Outage(area=f"区域{i}", starts_at=1.7e9 + i, ends_at=1.7e9 + 7200 + i * 60) for i in range(5)]


class Five(Hooks):
    async def outage(self, area: str):
        self.asked.append(("outage", area))
        return FIVE


@pytest.fixture
async def bus():
    bus = InProcessBus()
    yield bus
    await bus.close()


def _ends_said(ch: FakeChannel) -> list[int]:
    return [int(c[2]) for c in ch.commands if c[:2] == ["SAY", "DATETIME"]]


async def test_every_outage_counted_is_read_as_the_caller_asks_for_the_next(agi_server, bus, tmp_path):
    ch = await run(agi_server, services(bus, Five(), tmp_path), FakeChannel("10101#11110"))
    assert ["SAY", "NUMBER", "5", ""] in ch.commands
    assert _ends_said(ch) == [int(o.ends_at) for o in FIVE]  # all five, in order
    assert ch.played().count("hotline/outage-next") == 4  # asked between them, not after the last
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:1/outage:5/top:0"


async def test_any_other_key_or_silence_goes_back_to_the_menu(agi_server, bus, tmp_path):
    ch = await run(agi_server, services(bus, Five(), tmp_path), FakeChannel("10101#12.0"))
    assert _ends_said(ch) == [int(o.ends_at) for o in FIVE[:2]]
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:1/outage:5/outage:heard:2/top:0"


async def test_the_hook_gives_every_outage_not_the_first_five(book):  # noqa: F811
    sessions, demo = book
    now = dt.datetime.now(dt.UTC)
    async with sessions() as session:
        for i in range(7):
            await publish_notice(
                session,
                demo.users["3001"],
                site_id=demo.sites["440106"].id,
                area=f"天河区第{i}段",
                starts_at=now + dt.timedelta(hours=i + 1),
                ends_at=now + dt.timedelta(hours=i + 3),
            )
        await session.commit()
    told = await ticketing_hooks(sessions).outage_lookup("440106")
    assert [o.area for o in told] == [f"天河区第{i}段" for i in range(7)]
