"""The websocket gateway: session auth, the snapshot first, live pushes, acks and refusals."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket

import pytest
from sqlalchemy import text

import agent_ui.work
from agent_ui import create_app
from cti.call_events import AcwHoldChanged, AgentStateChanged, AmiConnectionChanged
from tests.agent_ui.conftest import login
from tests.agent_ui.conftest import next_message as _next


async def test_a_new_socket_gets_the_whole_present_first(client):
    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        snap = await _next(ws, "snapshot")
        assert snap["user"]["staff_no"] == "1001"
        assert snap["ami"]["connected"] is False  # no bridge: say so, never guess
        assert snap["pause_reasons"][:2] == ["小休", "用餐"]


async def test_asterisk_connection_changes_reach_the_page_header(client, world):
    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        await world.bus.publish(AmiConnectionChanged(connected=True, server="127.0.0.1:5038"))
        assert (await _next(ws, "ami"))["connected"] is True
        await world.bus.publish(AmiConnectionChanged(connected=False, reason="connection refused"))
        msg = await _next(ws, "ami")
        assert msg["connected"] is False and msg["reason"] == "connection refused"


async def test_agent_state_goes_to_that_agent_and_to_team_leaders_only(aiohttp_client, aiohttp_server, world):
    from agent_ui import create_app

    server = await aiohttp_server(create_app(world.services))
    agent, handler, leader = [await aiohttp_client(server) for _ in range(3)]
    await login(agent, "1001")
    await login(handler, "2001")
    await login(leader, "3001")
    async with agent.ws_connect("/ws") as a, handler.ws_connect("/ws") as h, leader.ws_connect("/ws") as lead:
        for ws in (a, h, lead):
            await _next(ws, "snapshot")
        await world.bus.publish(
            AgentStateChanged(agent_id="1001", state="ready", previous="not_ready", seconds_in_previous=3.0)
        )
        await world.bus.publish(AmiConnectionChanged(connected=True))
        assert (await _next(a, "agent_state"))["event"]["state"] == "ready"
        assert (await _next(lead, "agent_state"))["event"]["agent_id"] == "1001"
        # the handler's next message is the broadcast: the agent's state never reached it
        first = json.loads((await asyncio.wait_for(h.receive(), 3)).data)
        assert first["type"] == "ami"


async def test_an_acw_hold_reaches_every_tab_of_its_agent_and_nobody_else(
    aiohttp_client, aiohttp_server, world
):
    """The bar of each of the agent's tabs says live why the 话后处理 outlasts its limit (the form
    holding it may be in the other tab); no other seat, not even a team leader's, is told."""
    server = await aiohttp_server(create_app(world.services))
    agent, leader = [await aiohttp_client(server) for _ in range(2)]
    await login(agent, "1001")
    await login(leader, "3001")
    async with agent.ws_connect("/ws") as a1, agent.ws_connect("/ws") as a2, leader.ws_connect("/ws") as lead:
        for ws in (a1, a2, lead):
            await _next(ws, "snapshot")
        for held in (True, False):
            await world.bus.publish(AcwHoldChanged(agent_id="1001", call_id="c1", held=held))
            for ws in (a1, a2):
                event = (await _next(ws, "acw_hold"))["event"]
                assert (event["agent_id"], event["call_id"], event["held"]) == ("1001", "c1", held)
        await world.bus.publish(AcwHoldChanged(agent_id="3001", call_id="c9", held=True))
        assert (await _next(lead, "acw_hold"))["event"]["call_id"] == "c9"  # the leader's own seat's
        await world.bus.publish(AmiConnectionChanged(connected=True))
        for ws in (a1, a2):
            # the next message after the holds is the broadcast: 3001's hold never reached 1001
            assert json.loads((await asyncio.wait_for(ws.receive(), 3)).data)["type"] == "ami"


async def test_commands_are_refused_with_a_reason_when_asterisk_is_unreachable(client):
    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        await ws.send_json({"id": 1, "cmd": "ready"})
        msg = await _next(ws, "refused")
        assert msg["id"] == 1 and msg["error_id"] == "cti.unavailable"
        assert "Asterisk" in msg["message"]


async def test_a_handler_may_not_send_seat_commands(client):
    await login(client, "2001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        await ws.send_json({"id": 5, "cmd": "pause", "args": {"reason": "小休"}})
        msg = await _next(ws, "refused")
        assert (msg["id"], msg["error_id"]) == (5, "role.forbidden")


async def test_malformed_and_unknown_commands_are_refused_not_dropped(client):
    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        await ws.send_str("not json")
        assert (await _next(ws, "refused"))["error_id"] == "request.invalid"
        await ws.send_json({"id": 2, "cmd": "selfdestruct"})
        assert (await _next(ws, "refused"))["error_id"] == "command.unknown"
        await ws.send_json({"id": 3, "cmd": "ping"})
        assert (await _next(ws, "ack"))["id"] == 3


async def test_a_foreign_page_cannot_open_the_socket_with_our_cookie(client):
    await login(client, "1001")
    resp = await client.get("/ws", headers={"Origin": "https://evil.example", "Upgrade": "websocket"})
    assert resp.status == 403
    assert (await resp.json())["error_id"] == "origin.invalid"


async def test_a_slow_tab_is_resynced_instead_of_fed_a_backlog(client, world):
    from agent_ui.gateway import OUTBOUND_LIMIT
    from agent_ui.services import GATEWAY

    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        hub = client.app[GATEWAY]
        (tab,) = hub.clients
        for i in range(OUTBOUND_LIMIT * 3):
            tab.send({"type": "noise", "i": i})
        # Twice over, but the browser is reading: the snapshot was only slow, so no drop.
        assert tab.resyncs == 2 and not tab.dropped
        assert tab.queue.qsize() <= OUTBOUND_LIMIT
        # what arrives after the overflow is a fresh snapshot, not the whole backlog
        await _next(ws, "snapshot")


class _StalledTab(asyncio.Protocol):
    """A browser tab that completes the websocket handshake and then never reads again."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.upgraded: asyncio.Future[bytes] = loop.create_future()
        self.lost: asyncio.Future[Exception | None] = loop.create_future()
        self.head = b""

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.head += data
        if b"\r\n\r\n" in self.head and not self.upgraded.done():
            self.transport.pause_reading()  # from here on the kernel buffers fill up
            self.upgraded.set_result(self.head.split(b"\r\n", 1)[0])

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)


async def _open_stalled_tab(client) -> _StalledTab:
    host, port = client.server.host, client.server.port
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window fills quickly
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, port))
    _, tab = await loop.create_connection(_StalledTab, sock=sock)
    cookie = "; ".join(f"{c.key}={c.value}" for c in client.session.cookie_jar)
    key = base64.b64encode(os.urandom(16)).decode()
    tab.transport.write(
        f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n"
        f"Cookie: {cookie}\r\n\r\n".encode()
    )
    assert b" 101 " in await asyncio.wait_for(tab.upgraded, 3)
    return tab


async def _until(condition, within: float = 5.0) -> None:
    async def wait() -> None:
        while not condition():  # noqa: ASYNC110 (polling the gateway's own state)
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), within)


async def test_a_tab_that_stops_reading_delays_nobody_and_is_dropped_when_hopelessly_behind(client, world):
    from agent_ui.gateway import OUTBOUND_LIMIT
    from agent_ui.services import GATEWAY

    await login(client, "3001")
    hub = client.app[GATEWAY]
    stalled = await _open_stalled_tab(client)
    await _until(lambda: len(hub.clients) == 1)
    (slow,) = hub.clients
    slow.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        (fast,) = hub.clients - {slow}
        pad = "x" * 4000
        published = 0
        while not slow.dropped:
            assert published < 20 * OUTBOUND_LIMIT, "the stalled tab was never dropped"
            await world.bus.publish(AmiConnectionChanged(connected=True, reason=f"{published}:{pad}"))
            published += 1
            if published % 50 == 0:
                await world.bus.drain()
        await world.bus.drain()
        # It got one resync first, then was cut when it fell behind by a second whole queue.
        assert slow.resyncs == 1
        await _until(lambda: hub.clients == {fast})
        # Meanwhile the reading tab got every message, in order.
        got = [int((await _next(ws, "ami"))["reason"].split(":")[0]) for _ in range(published)]
        assert got == list(range(published))
        assert not fast.dropped and fast.resyncs == 0
    stalled.transport.resume_reading()
    await asyncio.wait_for(stalled.lost, 5)  # the stalled tab's connection is gone


async def test_one_tab_gets_its_messages_in_order_whether_written_directly_or_queued(client):
    from agent_ui.gateway import SharedMessage
    from agent_ui.services import GATEWAY

    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        (tab,) = client.app[GATEWAY].clients
        writes: list[bytes] = []
        write = tab.transport.write

        def spy(data: bytes) -> None:
            writes.append(data)
            write(data)

        tab.transport.write = spy
        direct = 0
        try:
            for i in range(300):
                if i % 7 == 0:
                    tab.send({"type": "seq", "i": i})  # a message for this tab alone: always queued
                else:
                    before = len(writes)
                    tab.send(SharedMessage({"type": "seq", "i": i}))  # direct when nothing waits
                    direct += len(writes) > before  # the writer task cannot run inside send()
                if i % 3 == 0:
                    await asyncio.sleep(0)  # let the writer drain now and then
            got = [(await _next(ws, "seq"))["i"] for _ in range(300)]
        finally:
            del tab.transport.write
        assert got == list(range(300))
        assert 0 < direct < 300 - 300 // 7  # both paths were taken


async def test_a_busy_queue_reaches_the_tabs_as_its_latest_counters_at_a_bounded_rate(client, world):
    from agent_ui.gateway import QUEUE_INTERVAL
    from cti.call_events import QueueUpdated

    await login(client, "3001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        for waiting in range(1, 11):  # ten changes in a burst, as a busy queue makes them
            await world.bus.publish(
                QueueUpdated(
                    queue="service", waiting=waiting, longest_wait=0.0, agents_ready=1, agents_logged_in=2
                )
            )
        first = await _next(ws, "queue")
        latest = await _next(ws, "queue", within=QUEUE_INTERVAL + 2)
        assert first["event"]["waiting"] == 1  # the first change goes out at once
        assert latest["event"]["waiting"] == 10  # then the present, not the eight in between
        with contextlib.suppress(TimeoutError):
            extra = await _next(ws, "queue", within=QUEUE_INTERVAL * 2)
            raise AssertionError(f"a stale update followed: {extra}")
        # another queue has its own pace
        await world.bus.publish(
            QueueUpdated(queue="fault", waiting=3, longest_wait=0.0, agents_ready=0, agents_logged_in=1)
        )
        assert (await _next(ws, "queue", within=QUEUE_INTERVAL))["event"]["queue"] == "fault"


async def test_the_pop_shows_the_customer_the_bridge_found_without_a_second_lookup(
    client, world, monkeypatch
):
    from agent_ui import work
    from cti.call_events import CallOffered

    class BridgeWithLookup:
        customer_lookup = object()  # the bridge looks callers up itself
        connected = True

    async def no_lookup(*_args, **_kwargs):
        raise AssertionError("the gateway looked the caller up again")

    monkeypatch.setattr(world.services, "bridge", BridgeWithLookup(), raising=False)
    monkeypatch.setattr(work, "lookup_for_screen_pop", no_lookup)
    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        found = {
            "matches": [{"account_no": "9900001", "name": "桥接查到"}],
            "open_orders": [],
            "interactions": [],
        }
        await world.bus.publish(
            CallOffered(call_id="k1", agent_id="1001", caller="13900000001", customer=found)
        )
        pop = await _next(ws, "screen_pop")
        assert pop["pop"]["matches"][0]["name"] == "桥接查到" and pop["pop"]["caller"] == "13900000001"
        # an unknown caller (the bridge found nothing) pops at once with the number alone
        await world.bus.publish(CallOffered(call_id="k2", agent_id="1001", caller="13900000002"))
        pop = await _next(ws, "screen_pop")
        assert pop["pop"]["matches"] == [] and pop["event"]["call_id"] == "k2"


class _Wire:
    """A tab's socket for the fan-out tests: every frame written, in one log shared by all tabs."""

    def __init__(self, log: list[tuple[int, bytes]], tab: int) -> None:
        self.log, self.tab, self.closing = log, tab, False

    def write(self, data: bytes) -> None:
        self.log.append((self.tab, data))

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return self.closing


def _tabs(count: int):
    from agent_ui import roles
    from agent_ui.auth import CurrentUser
    from agent_ui.gateway import Client, Gateway

    class Socket:
        closed = False

    log: list[tuple[int, bytes]] = []
    gateway = Gateway(None, None)  # type: ignore[arg-type]  # only its fan-out is exercised
    for tab in range(count):
        user = CurrentUser(id=tab, staff_no=f"{7000 + tab}", name="坐席", roles=(roles.AGENT,))
        gateway.add(Client(Socket(), _Wire(log, tab), user, "zh"))  # type: ignore[arg-type]
    return gateway, log


async def test_a_message_for_many_tabs_is_written_a_slice_per_loop_turn_so_other_work_goes_on():
    from agent_ui.gateway import FAN_OUT_SLICE

    gateway, log = _tabs(FAN_OUT_SLICE * 4 + 10)
    tabs = len(gateway.clients)
    meanwhile: list[int] = []
    gateway._broadcast({"type": "ami", "connected": True, "reason": ""})
    assert len(log) == FAN_OUT_SLICE  # the first slice at once, not every tab
    asyncio.get_running_loop().call_soon(lambda: meanwhile.append(len(log)))  # e.g. an AMI read
    for _ in range(10):
        await asyncio.sleep(0)
    assert meanwhile and meanwhile[0] < tabs  # it ran before the fan-out was over
    assert sorted(tab for tab, _ in log) == list(range(tabs))  # then every tab got it, once


async def test_a_tab_still_owed_a_fan_out_gets_it_before_anything_sent_to_it_later():
    from agent_ui.gateway import FAN_OUT_SLICE, SharedMessage

    gateway, log = _tabs(FAN_OUT_SLICE * 3)
    last = max(gateway.clients, key=lambda c: c.user.id)  # not in the first slice of the set's order
    first = SharedMessage({"type": "queue", "n": 1})
    gateway._fan_out(first, sorted(gateway.clients, key=lambda c: c.user.id))
    pop = SharedMessage({"type": "screen_pop", "n": 2})
    last.send(pop)  # e.g. a pop for this agent, before the fan-out's slice reached the tab
    second = SharedMessage({"type": "queue", "n": 3})
    gateway._fan_out(second, sorted(gateway.clients, key=lambda c: c.user.id))
    for _ in range(10):
        await asyncio.sleep(0)
    frames = [data for tab, data in log if tab == last.user.id]
    assert frames == [first.frame, pop.frame, second.frame]  # in order, each once
    for tab in range(len(gateway.clients) - 1):
        assert [data for t, data in log if t == tab] == [first.frame, second.frame]
    assert not any(client.owed for client in gateway.clients)


async def test_events_reach_exactly_the_tabs_they_concern_and_closed_tabs_are_forgotten():
    from types import SimpleNamespace

    from agent_ui import roles
    from agent_ui.auth import CurrentUser
    from agent_ui.gateway import Client

    gateway, log = _tabs(5)  # agents 7000-7004, one tab each

    class Socket:
        closed = False

    lead = Client(Socket(), _Wire(log, 90), CurrentUser(90, "9000", "组长", (roles.TEAM_LEADER,)), "zh")
    second_tab = Client(Socket(), _Wire(log, 91), CurrentUser(1, "7001", "坐席", (roles.AGENT,)), "zh")
    by_user = {c.user.id: c for c in gateway.clients}
    for tab in (lead, second_tab):
        gateway.add(tab)  # type: ignore[arg-type]
    gateway.watch(by_user[3], [42, 43])

    def reached() -> set[int]:
        tabs = {tab for tab, _ in log}
        log.clear()
        return tabs

    gateway._to_agent("7001", {"type": "agent_state"}, watchers=True)
    assert reached() == {1, 91, 90}  # both tabs of agent 7001 and the team leader
    gateway._to_agent("7001", {"type": "call"}, watchers=False)
    assert reached() == {1, 91}
    gateway._route_ticketing(SimpleNamespace(name="OrderRouted"), {"handlers": ["7004"], "order_id": 42})
    assert reached() == {4, 3}  # the handler, and the tab showing order 42
    gateway.remove(by_user[3])
    gateway.remove(second_tab)  # type: ignore[arg-type]
    gateway._route_ticketing(SimpleNamespace(name="OrderRouted"), {"handlers": [], "order_id": 42})
    assert reached() == set()
    assert 42 not in gateway._by_order and 43 not in gateway._by_order
    assert gateway.clients_of_agent("7001") == {by_user[1]}
    gateway.remove(by_user[1])
    assert "7001" not in gateway._by_staff_no


async def test_a_seat_is_sent_its_own_agent_and_its_queues_counters_not_every_member(
    aiohttp_client, aiohttp_server, world
):
    """With 500 agents on a queue, an agent's snapshot holds its own agent and the queue's
    counters (the member list, about 60 KB, is the wallboard's); a team leader gets it all."""
    import time

    from agent_ui import create_app
    from cti.agents import READY, Agent
    from cti.mirror import BridgeMirror
    from cti.queues import Member, Queue

    agents = [Agent(f"{7000 + n}", f"PJSIP/{7000 + n}", {"fault": 0}, READY) for n in range(499)]
    agents.append(Agent("1001", "PJSIP/1001", {"fault": 0}, READY))
    queue = Queue("fault", waiting={"call-1": time.time() - 5})
    for agent in agents:
        queue.members[agent.interface] = Member(agent.interface, agent.agent_id)
        queue.ready.add(agent.interface)
    mirror = BridgeMirror(world.bus)  # what the console's process mirrors from the bridge
    mirror.fill({"agents": [a.snapshot() for a in agents], "queues": [queue.snapshot(time.time())]})
    world.services.bridge = mirror
    server = await aiohttp_server(create_app(world.services))
    agent, leader = [await aiohttp_client(server) for _ in range(2)]
    await login(agent, "1001")
    await login(leader, "3001")
    async with agent.ws_connect("/ws") as a, leader.ws_connect("/ws") as lead:
        raw = (await asyncio.wait_for(a.receive(), 3)).data
        seat = json.loads(raw)
        assert seat["type"] == "snapshot"
        assert seat["agent"]["agent_id"] == "1001" and seat["agent"]["skills"] == {"fault": 0}
        [counters] = seat["queues"]
        assert (counters["queue"], counters["waiting"], counters["agents_ready"]) == ("fault", 1, 500)
        assert counters["agents_logged_in"] == 500 and counters["longest_wait"] >= 5
        assert "members" not in counters and "waiting_calls" not in counters and "agents" not in seat
        assert len(raw) < 4_000
        board = await _next(lead, "snapshot")
        assert len(board["queues"][0]["members"]) == 500 and len(board["agents"]) == 500
        assert board["queues"][0]["waiting_calls"] == ["call-1"]


def _ringing_mirror(bus, offered_to: tuple[str, ...] = ("1001",)):
    """The console's mirror of a call from 13912345678 that went through the IVR into ``fault``
    and now rings each seat of ``offered_to`` (no one has answered)."""
    import time

    from cti.call_events import CallOffered, CallQueued, CallStarted
    from cti.mirror import BridgeMirror

    now = time.time()
    mirror = BridgeMirror(bus)
    mirror.apply(CallStarted(call_id="r1", direction="inbound", caller="13912345678", started_at=now - 20))
    mirror.apply(CallQueued(call_id="r1", queue="fault", queued_at=now - 12))
    for agent in offered_to:
        mirror.apply(
            CallOffered(
                call_id="r1",
                agent_id=agent,
                caller="13912345678",
                queue="fault",
                ivr_path=("top:6", "faults:1"),
                waited=10.0,
                offered_at=now - 2,
            )
        )
        mirror.apply(
            AgentStateChanged(
                agent_id=agent, state="ringing", previous="ready", seconds_in_previous=30.0, call_id="r1"
            )
        )
    return mirror, now


async def _snapshot_calls(client) -> list[dict]:
    async with client.ws_connect("/ws") as ws:
        return (await _next(ws, "snapshot"))["calls"]


async def test_a_reload_while_the_phone_rings_pops_the_offered_call_again(client, world):
    mirror, now = _ringing_mirror(world.bus)
    world.services.bridge = mirror
    await login(client, "1001")
    [call] = await _snapshot_calls(client)
    # what the pop showed: the caller, the queue and its wait from queued_at, the IVR path
    assert (call["call_id"], call["caller"], call["queue"]) == ("r1", "13912345678", "fault")
    assert call["queued_at"] == pytest.approx(now - 12) and not call["answered_at"]
    assert call["ivr_path"] == ["top:6", "faults:1"]
    assert [step["value"] for step in call["ivr_steps"]] == ["top:6", "faults:1"]


@pytest.mark.parametrize("ending", ["ring_timeout", "caller_hung_up", "colleague_answered"])
async def test_an_offer_that_ended_is_not_popped_again_after_a_reload(client, world, ending):
    import time

    from cti.call_events import CallAnswered, CallEnded

    mirror, now = _ringing_mirror(world.bus, offered_to=("1001", "3001"))
    world.services.bridge = mirror
    if ending == "ring_timeout":  # the queue's timeout: 未接, and the caller waits on for the next seat
        mirror.apply(
            AgentStateChanged(
                agent_id="1001", state="not_ready", previous="ringing", seconds_in_previous=5.0, reason="未接"
            )
        )
    elif ending == "caller_hung_up":
        mirror.apply(
            CallEnded(call_id="r1", direction="inbound", outcome="abandoned_ringing", caller="13912345678")
        )
        for agent in ("1001", "3001"):
            mirror.apply(
                AgentStateChanged(agent_id=agent, state="ready", previous="ringing", seconds_in_previous=3.0)
            )
    else:
        mirror.apply(
            CallAnswered(call_id="r1", agent_id="3001", queue="fault", answered_at=time.time(), waited=12.0)
        )
        mirror.apply(
            AgentStateChanged(
                agent_id="3001", state="talking", previous="ringing", seconds_in_previous=3.0, call_id="r1"
            )
        )
        mirror.apply(
            AgentStateChanged(agent_id="1001", state="ready", previous="ringing", seconds_in_previous=3.0)
        )
    await login(client, "1001")
    assert await _snapshot_calls(client) == []


async def test_a_reload_in_after_call_work_pops_the_call_being_written_up_until_it_is_done(client, world):
    """话后处理: the call has ended, but the seat's pop (caller, IVR path, wait) and its intake form
    are still about it; once the agent is done (ready) a reload shows no call."""
    import time

    from cti.call_events import CallAnswered, CallEnded

    mirror, now = _ringing_mirror(world.bus)
    world.services.bridge = mirror
    mirror.apply(CallAnswered(call_id="r1", agent_id="1001", queue="fault", answered_at=now - 1, waited=11.0))
    mirror.apply(
        AgentStateChanged(
            agent_id="1001", state="talking", previous="ringing", seconds_in_previous=1.0, call_id="r1"
        )
    )
    mirror.apply(
        CallEnded(
            call_id="r1",
            direction="inbound",
            outcome="answered",
            caller="13912345678",
            queue="fault",
            agent_id="1001",
            ivr_path=("top:6", "faults:1"),
            queued_at=now - 12,
            answered_at=now - 1,
            ended_at=time.time(),
            waited=11.0,
        )
    )
    mirror.apply(
        AgentStateChanged(
            agent_id="1001",
            state="after_call_work",
            previous="talking",
            seconds_in_previous=1.0,
            reason="话后处理",
            call_id="r1",
        )
    )
    assert mirror.calls() == []  # over for the wallboard
    await login(client, "1001")
    [call] = await _snapshot_calls(client)
    assert (call["call_id"], call["caller"], call["queue"], call["ended"]) == (
        "r1",
        "13912345678",
        "fault",
        True,
    )
    assert call["answered_at"] == pytest.approx(now - 1) and call["waited"] == 11.0
    assert [step["value"] for step in call["ivr_steps"]] == ["top:6", "faults:1"]

    mirror.apply(
        AgentStateChanged(
            agent_id="1001", state="ready", previous="after_call_work", seconds_in_previous=20.0, call_id=""
        )
    )
    assert await _snapshot_calls(client) == []


async def test_a_socket_closed_while_its_snapshot_is_read_leaves_no_transaction_open(
    aiohttp_client, world, monkeypatch
):
    """The snapshot's work counts are read in the socket's writer, which a closing socket cancels;
    a query cut short there kept its transaction (on SQLite, the write lock: every later sign-in
    waited 30 s for "database is locked" and a 500)."""
    real_counts = agent_ui.work.counts
    reading = asyncio.Event()

    async def slow_counts(db, user):
        reading.set()
        # a query that takes a while, as a busy database's would (the socket closes meanwhile)
        slow = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000000) SELECT count(*) FROM n"
        await db.execute(text(slow))
        return await real_counts(db, user)

    monkeypatch.setattr(agent_ui.work, "counts", slow_counts)
    agent = await aiohttp_client(create_app(world.services))
    await login(agent, "1001")
    ws = await agent.ws_connect("/ws")
    await asyncio.wait_for(reading.wait(), 3)
    await ws.close()
    monkeypatch.setattr(agent_ui.work, "counts", real_counts)
    # signing in writes (the account's last sign-in); another console does at once, as before
    other = await aiohttp_client(create_app(world.services))
    await asyncio.wait_for(login(other, "3001"), 10)
    async with other.ws_connect("/ws") as ws:
        assert (await _next(ws, "snapshot", within=10))["work"] is not None


async def test_stop_waits_for_its_cancelled_tasks_to_unwind_before_the_database_closes(client):
    """The app's shutdown closes the database after the gateway stops: a task of the gateway
    cancelled inside a database session (the session check runs every few seconds) unwinds
    through its rollback, and left to do it later it waited on a closed connection for good,
    the event loop's own shutdown with it (a 300 s hang at a test's teardown)."""
    from agent_ui.services import GATEWAY

    gateway = client.server.app[GATEWAY]
    unwound = asyncio.Event()

    async def in_a_database_session() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0.05)  # the rollback's round trip to the database's thread
            unwound.set()

    gateway._spawn(in_a_database_session())
    await asyncio.sleep(0)
    await gateway.stop()
    assert unwound.is_set()
