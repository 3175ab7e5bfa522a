"""The wallboard's queues count the callers waiting to be called back (待回拨: they pressed 9 to
keep their place; QA: the board showed who waited in the queue, but nobody who chose a callback,
so a supervisor could not see a backlog of promised calls). Through the real path: the IVR's
``CallbackRequested`` stored by ``CallbackListener`` in the queue's callback campaign, the dialer
calling one back and its attempt ending unanswered; only the board's viewers get it."""

from __future__ import annotations

import contextlib
import datetime as dt

import aiohttp
from sqlalchemy import select

from campaigns import sources, store
from ivr.events import CallbackRequested
from tests.agent_ui.conftest import PASSWORD, login
from tests.agent_ui.test_seat_asterisk import Tab
from tests.campaigns.test_callback_hours import ROUTING
from tests.campaigns.test_store_and_dialer import Clock, FakeTelephony, dialer_for
from ticketing.models import CampaignContact


def _pressed_9(n: int, queue: str = "service", dnis: str = "95598") -> CallbackRequested:
    return CallbackRequested(
        call_id=f"cb-{n}", caller=f"1380000000{n}", dnis=dnis, queue=queue, entered_at=1_790_000_000 + n
    )


async def _callbacks(tab: Tab, wanted: dict[str, int], within: float = 5.0) -> dict:
    """The board's next ``today`` whose 待回拨 are ``wanted`` (those before it skipped); sooner
    than the boards' 15 s refresh: the news brings it."""
    while True:
        today = (await tab.next("board_today", within=within))["today"]
        if today["callbacks"] == wanted:
            return today


async def test_the_board_counts_the_callers_waiting_for_a_callback_per_queue(client, world):
    sessions = world.services.sessionmaker
    sources.CallbackListener(sessions, hours=sources.staffed_hours(ROUTING)).subscribe(world.bus)
    await login(client, "3001")
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        today = (await tab.wallboard())["today"]
        assert (today["callbacks"], today["callbacks_total"]) == ({}, 0)

        # two 95598 callers and a 400 caller of the complaint queue press 9
        for event in (_pressed_9(1), _pressed_9(2), _pressed_9(3, "complaint", "4008200000")):
            await world.bus.publish(event)
        today = await _callbacks(tab, {"service": 2, "complaint": 1})
        assert today["callbacks_total"] == 3
        await world.bus.publish(_pressed_9(1))  # a replayed request adds nobody (counted below)

        # the dialer calls the first 95598 caller back (round the clock): no longer waiting
        phone, clock = FakeTelephony({"service": ["1001"]}), Clock()
        clock.utc = dt.datetime.now(dt.UTC)
        dialer = dialer_for(sessions, phone, world.bus, clock)
        await dialer.tick()
        [(_, number, call_id)] = phone.placed
        assert number == "13800000001"
        assert (await _callbacks(tab, {"service": 1, "complaint": 1}))["callbacks_total"] == 2
        # unanswered: back to wait for its retry
        await dialer.on_outcome(call_id, "no_answer")
        assert (await _callbacks(tab, {"service": 2, "complaint": 1}))["callbacks_total"] == 3


async def test_only_the_boards_viewers_are_told(client, world):
    sources.CallbackListener(world.services.sessionmaker).subscribe(world.bus)
    await login(client, "1001")  # an agent: no wallboard, so no 待回拨
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        snapshot = await tab.next("snapshot")
        refused = await tab.command("wallboard")
        assert (refused["type"], refused["error_id"]) == ("refused", "role.forbidden")
        await world.bus.publish(_pressed_9(4))
        await world.bus.publish(_pressed_9(5))
        try:
            pushed = await tab.next("board_today", within=2.0)
        except TimeoutError:
            pushed = None
        assert pushed is None
        assert all("callbacks" not in q for q in snapshot["queues"])
        assert all(m["type"] not in ("board", "board_today") for m in tab.seen)


async def _quiet(tab: Tab, for_s: float = 1.5) -> None:
    """No board_today pending or still coming (the news before has been told)."""
    tab.seen = [m for m in tab.seen if m.get("type") != "board_today"]
    while True:
        try:
            await tab.next("board_today", within=for_s)
        except TimeoutError:
            return


@contextlib.asynccontextmanager
async def _signed_in(client, staff_no: str):
    """Another user's browser on the same console: an HTTP session and its CSRF header."""
    base = str(client.make_url("/")).rstrip("/")
    async with aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        state = await (await http.get("/api/session")).json()
        resp = await http.post(
            "/api/session",
            json={"staff_no": staff_no, "password": PASSWORD},
            headers={"X-CSRF-Token": state["csrf"]},
        )
        assert resp.status == 200, await resp.text()
        yield http, {"X-CSRF-Token": (await resp.json())["csrf"]}


async def test_a_result_recorded_by_hand_and_a_campaigns_status_are_counted_at_once(client, world):
    # QA: an agent's 稍后再打 put the caller back to wait, and an admin's 结束 let them go, but the
    # boards' 待回拨 moved only at their 15 s refresh: neither published anything.
    sessions = world.services.sessionmaker
    sources.CallbackListener(sessions, hours=sources.staffed_hours(ROUTING)).subscribe(world.bus)
    async with sessions.begin() as session:
        await store.ensure_dispositions(session)
    await login(client, "3001")  # the supervisor watching the board
    async with (
        client.ws_connect("/ws") as ws,
        _signed_in(client, "1001") as (agent, agent_csrf),
        _signed_in(client, "9001") as (admin, admin_csrf),
    ):
        tab = Tab(ws)
        await tab.next("snapshot")
        await tab.wallboard()
        for event in (_pressed_9(6), _pressed_9(7)):
            await world.bus.publish(event)
        await _callbacks(tab, {"service": 2})

        # 1001 calls the first back and they answer: no longer waiting
        phone, clock = FakeTelephony({"service": ["1001"]}), Clock()
        clock.utc = dt.datetime.now(dt.UTC)
        dialer = dialer_for(sessions, phone, world.bus, clock)
        await dialer.tick()
        [(_, number, call_id)] = phone.placed
        await dialer.on_outcome(call_id, "answered")
        await _callbacks(tab, {"service": 1})
        async with sessions() as session:
            contact = await session.scalar(select(CampaignContact).where(CampaignContact.number == number))

        # the customer asks to be called later (稍后再打), 1001 records it: waiting again, told now
        resp = await agent.post(
            f"/api/campaign-contacts/{contact.id}/disposition",
            json={"code": "call_later"},
            headers=agent_csrf,
        )
        assert resp.status == 200, await resp.text()
        await _callbacks(tab, {"service": 2})

        # 暂停 and 启动 again: still waiting, counted again now all the same
        for action in ("pause", "start"):
            await _quiet(tab)
            resp = await admin.post(f"/api/campaigns/{contact.campaign_id}/{action}", headers=admin_csrf)
            assert resp.status == 200, await resp.text()
            await _callbacks(tab, {"service": 2}, within=5.0)

        # 结束: nobody waits for that campaign's calls any more
        resp = await admin.post(f"/api/campaigns/{contact.campaign_id}/finish", headers=admin_csrf)
        assert resp.status == 200, await resp.text()
        today = await _callbacks(tab, {})
        assert today["callbacks_total"] == 0


async def test_a_waiting_caller_put_on_the_do_not_call_list_still_waits(client, world):
    # QA #12: the do-not-call list stops calls the customer did not ask for; a caller waiting
    # for the callback they asked for (IVR 9) stays in 待回拨 when their number is listed (it
    # used to be dropped, never called back, nobody told). The list's news still refreshes the
    # boards at once (``DncChanged``), and they count the caller still waiting.
    sessions = world.services.sessionmaker
    sources.CallbackListener(sessions, hours=sources.staffed_hours(ROUTING)).subscribe(world.bus)
    await login(client, "3001")
    async with client.ws_connect("/ws") as ws, _signed_in(client, "9001") as (leader, csrf):
        tab = Tab(ws)
        await tab.next("snapshot")
        await tab.wallboard()
        for event in (_pressed_9(8), _pressed_9(9)):
            await world.bus.publish(event)
        await _callbacks(tab, {"service": 2})

        await _quiet(tab)
        resp = await leader.post(
            "/api/campaigns-dnc", json={"number": "138-0000-0008", "reason": "客户要求不再回访"}, headers=csrf
        )
        assert resp.status == 201, await resp.text()
        today = (await tab.next("board_today", within=5.0))["today"]  # well before the 15 s refresh
        assert (today["callbacks"], today["callbacks_total"]) == ({"service": 2}, 2)
        async with world.services.sessionmaker() as s:
            listed = await s.scalar(select(CampaignContact).where(CampaignContact.number == "13800000008"))
        assert listed.state == "pending"

        # taken off the list again: nothing was held back, so nothing to restore
        resp = await leader.delete("/api/campaigns-dnc/13800000008", headers=csrf)
        assert resp.status == 200 and (await resp.json())["restored"] == 0
