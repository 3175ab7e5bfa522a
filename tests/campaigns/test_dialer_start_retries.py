"""A dialer whose start fails (the database down, a race on the 结果代码' unique index) says so
in the log, shows it is not running, and tries again until it works: campaigns never stop
dialing without a word (callbacks promised to callers stay promised)."""

import asyncio
import contextlib
import logging

from sqlalchemy.exc import OperationalError

from campaigns.dialer import Dialer
from cti.bus import InProcessBus
from cti.calendar import WorkCalendar
from tests.campaigns.dialer_outage import DialerStartRefused
from tests.campaigns.test_store_and_dialer import Clock, FakeTelephony, _until, add, new_campaign


async def test_a_failed_start_is_logged_shown_and_tried_again_until_the_dialer_dials(sm, monkeypatch, caplog):
    bus = InProcessBus()
    cid = await new_campaign(sm)
    await add(sm, cid, "13800000001")
    outage = DialerStartRefused(monkeypatch)
    phone, clock = FakeTelephony({"camp-a": ["1001"]}), Clock()
    d = Dialer(
        sm,
        phone,
        bus,
        calendar=WorkCalendar.china(),
        clock=lambda: clock.mono,
        now=lambda: clock.utc,
        tick=0.01,
    )
    caplog.set_level(logging.ERROR, logger="campaigns.dialer")
    running = asyncio.create_task(d.run())
    try:
        await _until(lambda: outage.tries >= 3)  # tried again, and again, not given up
        assert not running.done()
        status = d.status()
        assert status["running"] is False
        assert "db down" in status["error"]
        assert not phone.placed
        failures = [r for r in caplog.records if r.name == "campaigns.dialer" and r.exc_info]
        assert len(failures) >= 2  # each failure logged, with its traceback
        assert "start failed" in failures[0].getMessage()
        assert isinstance(failures[0].exc_info[1], OperationalError)

        outage.down = False  # the database is back: the dialer starts and works the campaign
        await _until(lambda: phone.placed)
        assert [(a, n) for a, n, _ in phone.placed] == [("1001", "13800000001")]
        assert d.status() == {"running": True, "error": ""}
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert d.status()["running"] is False  # stopped
