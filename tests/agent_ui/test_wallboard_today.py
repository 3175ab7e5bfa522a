"""The wallboard's queue figures are for 今日, as the 今天 reports count them: the board carries them
with its period (from the stored calls, so a restarted bridge or web process still shows the
day's), and ``board_today`` brings them again within a second or two of a call's end."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator

import pytest

from agent_ui.board_today import day_start
from cti.call_events import CallAnswered, CallEnded, CallOffered, QueueUpdated
from tests.agent_ui.conftest import login
from tests.agent_ui.test_seat_asterisk import Tab
from ticketing.calls import CallLinker


def _call(call_id: str, queued: float, wait: float, talk: float) -> list:
    answered, ended = queued + wait, queued + wait + talk
    return [
        CallOffered(
            call_id=call_id, agent_id="1001", caller="13800001111", queue="fault", offered_at=answered - 1
        ),
        CallAnswered(call_id=call_id, agent_id="1001", queue="fault", answered_at=answered),
        CallEnded(
            call_id=call_id,
            direction="inbound",
            outcome="answered",
            caller="13800001111",
            queue="fault",
            agent_id="1001",
            started_at=queued - 5,
            queued_at=queued,
            answered_at=answered,
            ended_at=ended,
        ),
    ]


@contextlib.asynccontextmanager
async def supervisors_wallboard(client) -> AsyncIterator[tuple[Tab, dict]]:
    """Supervisor 3001 signed in with the wallboard open on /ws: (the tab, to hear what the board
    is sent next; the board as it opened)."""
    await login(client, "3001")
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        yield tab, await tab.wallboard()


async def _a_call_today(world) -> tuple[CallLinker, float]:
    """One call stored today two minutes ago (waited 10 s, talked 30 s): (the linker that stored
    it, now). Skipped in the day's first five minutes: the call would be yesterday's."""
    now = time.time()
    if now - day_start(dt.datetime.now(dt.UTC), world.services.site_timezone).timestamp() < 300:
        pytest.skip("the site's day began less than five minutes ago: the calls would be yesterday's")
    linker = CallLinker(world.services.sessionmaker)
    for event in _call("today-1", now - 120, 10.0, 30.0):
        await linker.handle(event)
    return linker, now


async def test_the_board_carries_todays_figures_and_follows_a_calls_end(client, world):
    # stored before the board opens, as after a restart: waited 10 s, talked 30 s
    linker, now = await _a_call_today(world)
    async with supervisors_wallboard(client) as (tab, board):
        today = board["today"]
        assert today["period"] == "today" and today["tz"] == world.services.site_timezone
        assert today["start"] == day_start(dt.datetime.now(dt.UTC), today["tz"]).timestamp()
        fault = today["queues"]["fault"]
        assert (fault["offered"], fault["answered"], fault["abandoned"]) == (1, 1, 0)
        assert fault["asa"] == 10.0 and fault["aht"] == 30.0 and fault["service_level"] == 1.0
        assert fault["abandon_rate"] == 0.0
        assert today["total"]["offered"] == 1
        # a second call ends: waited 30 s (outside the 20 s), talked 50 s
        events = _call("today-2", now - 90, 30.0, 50.0)
        for event in events:
            await linker.handle(event)
        await world.bus.publish(events[-1])
        while True:
            again = (await tab.next("board_today", within=5))["today"]
            fault = again["queues"]["fault"]
            if fault["offered"] == 2:
                break
        assert again["period"] == "today"
        assert (fault["answered"], fault["asa"], fault["aht"], fault["service_level"]) == (2, 20.0, 40.0, 0.5)
        assert again["total"]["answered"] == 2


class _Bridge:
    """A bridge with one call in progress: answered in fault after 8 s."""

    connected = True

    def __init__(self) -> None:
        self.live: list[dict] = []

    def agents(self) -> list[dict]:
        return []

    def queues(self) -> list[dict]:
        return []

    def calls(self) -> list[dict]:
        return self.live

    def agent(self, agent_id: str) -> None:
        return None


async def test_a_call_answered_counts_on_the_board_from_its_answer(client, world):
    bridge = _Bridge()
    world.services.bridge = bridge
    _, now = await _a_call_today(world)
    async with supervisors_wallboard(client) as (tab, board):
        fault = board["today"]["queues"]["fault"]
        assert (fault["offered"], fault["answered"]) == (1, 1)
        bridge.live = [
            {"call_id": "live-1", "direction": "inbound", "queue": "fault", "queued_at": now - 20,
             "answered_at": now - 12, "waited": 8.0, "agent_id": "1001"}
        ]  # fmt: skip
        await world.bus.publish(
            QueueUpdated(queue="fault", waiting=0, longest_wait=0.0, agents_ready=0, agents_logged_in=1)
        )
        while True:
            again = (await tab.next("board_today", within=5))["today"]
            fault = again["queues"]["fault"]
            if fault["offered"] == 2:
                break
        # its wait counts for ASA at once, its handle time for AHT once it has ended
        assert (fault["answered"], fault["asa"], fault["aht"], fault["service_level"]) == (2, 9.0, 30.0, 1.0)
        assert (again["total"]["offered"], again["total"]["answered"]) == (2, 2)
