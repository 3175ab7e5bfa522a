"""The campaigns page says when this process's dialer is not running (its start failed and is
being retried): a supervisor sees that no campaign dials, rather than 进行中 with nothing happening."""

import asyncio
import contextlib

from campaigns.dialer import Dialer
from cti.calendar import WorkCalendar
from tests.agent_ui.conftest import login
from tests.campaigns.dialer_outage import DialerStartRefused
from tests.campaigns.test_store_and_dialer import FakeTelephony, _until


async def test_the_campaigns_api_and_page_say_the_dialer_is_not_running(client, world, monkeypatch):
    outage = DialerStartRefused(monkeypatch)
    dialer = Dialer(
        world.services.sessionmaker, FakeTelephony({}), world.bus, calendar=WorkCalendar.china(), tick=0.01
    )
    world.services.dialer = dialer
    await login(client, "3001")  # a supervisor
    running = asyncio.create_task(dialer.run())
    try:
        await _until(lambda: dialer.error)
        listed = await (await client.get("/api/campaigns")).json()
        # the supervisor learns it is down, not the database's own words
        assert listed["dialer"] == {"running": False, "error": ""}
        page = await (await client.get("/campaigns")).text()
        assert 'id="camp-dialer-down"' in page
        assert "外呼拨号器未在运行" in page
        assert "db down" not in page
        await login(client, "9001")  # an admin reads why
        listed = await (await client.get("/api/campaigns")).json()
        assert listed["dialer"]["running"] is False
        assert "db down" in listed["dialer"]["error"]

        outage.down = False
        await _until(lambda: dialer.running)
        listed = await (await client.get("/api/campaigns")).json()
        assert listed["dialer"] == {"running": True, "error": ""}
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_a_console_without_a_dialer_does_not_claim_one(client):
    await login(client, "3001")
    listed = await (await client.get("/api/campaigns")).json()
    # no dialer wired in: nothing to ask (a web process asks the cti process's dialer's
    # heartbeat, test_campaign_dialer_elsewhere)
    assert listed["dialer"] is None
