"""An outage's area and reason said on the real Asterisk: a notice published in the ticketing
database is spoken by the upkeep (ivr.notice_voice, the prompts' espeak-ng) into the chroot's
sounds, and a caller who keys in the area's code hears it before the times (Playback finds the
file in the chroot and plays it through: the next prompt waits as long as it lasts). A sound gone by the time it is played (the notice revised
meanwhile) fails quietly: the caller hears the times and stays on the line."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
import uuid
import wave

import pytest
from ivr_harness import FLOWS, ROUTING, ami_fixture, serving, unique_caller
from sqlalchemy import select
from test_ivr_ticket_privacy import MENU, TicketLine

from cti.routing_config import parse_routing
from hotline.selfservice import published_notices, ticketing_hooks
from ivr import IvrServices, SelfServiceHooks, parse_flows
from ivr.notice_voice import NoticeVoices
from recordings import RecordingStore
from ticketing import db
from ticketing.demo import seed_demo
from ticketing.knowledge import publish_notice
from ticketing.models import Site, User
from ticketing.seed import seed_defaults

pytestmark = [
    pytest.mark.asterisk,
    pytest.mark.skipif(
        not (shutil.which("espeak-ng") and shutil.which("ffmpeg")), reason="no espeak-ng/ffmpeg"
    ),
]
__all__ = ["ami_fixture"]

LINE = "95587"
CODE = "7702"  # the affected area's code the caller keys in


class OutageLine(TicketLine):
    voices: NoticeVoices | None = None
    lose_the_file = False

    def services(self) -> IvrServices:
        routing = {**ROUTING, "entries": [*ROUTING["entries"], {"numbers": [LINE], "target": "ivr:outages"}]}
        flows = {
            **FLOWS,
            "flows": {
                "outages": {
                    "start": "top",
                    "menus": {
                        "top": {
                            "prompts": [MENU],
                            "timeout": 5,
                            "retries": 0,
                            "choices": {"1": "outage"},
                            "on_timeout": "hangup",
                            "on_invalid": "hangup",
                        }
                    },
                }
            },
        }
        hooks = ticketing_hooks(self.sessions, self.voices)
        lookup = hooks.outage_lookup

        async def outage_lookup(area: str):
            found = await lookup(area)
            if self.lose_the_file:  # revised between the lookup and the playback
                for path in self.voices.directory.glob("*.wav"):
                    path.unlink()
            return found

        return IvrServices(
            routing=parse_routing(routing),
            flows=parse_flows(flows),
            bus=self.bus,
            hooks=SelfServiceHooks(outage_lookup=outage_lookup),
            store=RecordingStore(self.asterisk.root),
            clock=lambda: dt.datetime.now(dt.UTC),
        )


@pytest.fixture
async def notices(tmp_path):
    url = f"sqlite:///{tmp_path}/outages.db"
    await db.migrate(url)
    engine = db.create_engine(url)
    sessions = db.sessionmaker(engine)
    now = dt.datetime.now(dt.UTC)
    async with sessions() as session:
        await seed_defaults(session)
        demo = await seed_demo(session, customers=0, notices=False)
        notice = await publish_notice(
            session,
            demo.users["3001"],
            site_id=demo.sites["440106"].id,
            area="天河区中山路一带（1-200号）",
            reason="10kV线路计划检修",
            affected_areas=[{"kind": "district", "name": "测试区", "code": CODE}],
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=5),
        )
        await session.commit()
    yield sessions, notice.notice_key
    await engine.dispose()


@pytest.fixture
async def line(ami, asterisk, notices, monkeypatch):
    h = OutageLine(ami, asterisk)
    h.sessions = notices[0]
    h.voices = NoticeVoices(
        asterisk.root / "usr/share/asterisk/sounds", installation=f"test-{uuid.uuid4().hex[:8]}", grace=0
    )
    h.watch_agi(monkeypatch)
    try:
        async with serving(h):
            yield h
    finally:
        await h.voices.sync([])  # the test's files go, as an ended notice's do
        shutil.rmtree(h.voices.directory, ignore_errors=True)


async def ask_for_outages(line: OutageLine, caller: str) -> None:
    await line.call(LINE, caller, stay=60)
    await line.until(caller, "STREAM FILE", MENU)
    await asyncio.sleep(0.5)
    await line.press(caller, "1")
    await line.key_in(caller, "hotline/enter-area", CODE + "#")


async def test_a_caller_hears_the_outages_area_and_reason_before_its_times(line, notices):
    _, key = notices
    await line.voices.sync(await published_notices(line.sessions)())  # the upkeep's pass
    (spoken,) = line.voices.directory.glob(f"{key}-*.wav")
    sound = f"hotline-notices/{line.voices.installation}/{spoken.stem}"
    with wave.open(str(spoken)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds > 3
    caller = unique_caller()
    try:
        await ask_for_outages(line, caller)
        await line.until(caller, "EXEC", "Playback", sound)
        begun = time.monotonic()
        await line.until(caller, "STREAM FILE", "hotline/outage-until")  # the times follow the words
        # Asterisk found the file in its chroot and played it through: the next command waited
        # for it (a sound it cannot open returns at once, as below)
        assert abs((time.monotonic() - begun) - seconds) < 0.8, (time.monotonic() - begun, seconds)
    finally:
        await line.hangup_caller(caller)


async def test_a_sound_gone_before_it_is_played_leaves_the_times(line, notices):
    await line.voices.sync(await published_notices(line.sessions)())
    line.lose_the_file = True
    caller = unique_caller()
    try:
        await ask_for_outages(line, caller)
        await line.until(caller, "EXEC", "Playback")
        begun = time.monotonic()
        await line.until(caller, "STREAM FILE", "hotline/outage-until")
        assert time.monotonic() - begun < 1.0  # nothing played, no hang-up
        await line.until(caller, "SAY DATETIME")
        await line.until(caller, "STREAM FILE", MENU, n=2)  # back at the menu, the call goes on
    finally:
        await line.hangup_caller(caller)


async def test_a_caller_presses_1_for_the_next_outage_on_the_real_asterisk(line, notices):
    """Two outages on the code: the count is 2, the first is read, the caller is asked (the
    installed hotline/outage-next) and 1 reads the second (planned: its start and end)."""
    now = dt.datetime.now(dt.UTC)
    async with line.sessions() as session:
        demo_user = await session.scalar(select(User).where(User.staff_no == "3001"))
        site = await session.scalar(select(Site.id).where(Site.code == "440106"))
        await publish_notice(
            session,
            demo_user,
            site_id=site,
            area="天河区体育西路一带",
            affected_areas=[{"kind": "district", "name": "测试区", "code": CODE}],
            starts_at=now + dt.timedelta(hours=20),
            ends_at=now + dt.timedelta(hours=24),
        )
        await session.commit()
    caller = unique_caller()
    try:
        await ask_for_outages(line, caller)
        await line.until(caller, "SAY NUMBER", "2")
        await line.until(caller, "STREAM FILE", "hotline/outage-until")  # the first, on now
        await line.press_during(caller, "1", "STREAM FILE", "hotline/outage-next")
        await line.until(caller, "STREAM FILE", "hotline/outage-planned")  # the second, planned
        await line.until(caller, "STREAM FILE", "hotline/outage-planned-until")
        assert (line.asterisk.root / "usr/share/asterisk/sounds/zh/hotline/outage-next.wav").is_file()
    finally:
        await line.hangup_caller(caller)
