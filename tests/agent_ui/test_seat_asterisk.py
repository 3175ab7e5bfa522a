"""The seat over the websocket against the real Asterisk: ready, pause, a real call's
screen-pop, a refusal while on the call, hang-up, 下班."""

from __future__ import annotations

import asyncio
import fcntl
import json
import random

import pytest
from sqlalchemy import select

from cti.ami import AmiClient
from cti.bridge import CtiBridge, CtiSettings
from tests.agent_ui.conftest import PASSWORD, login
from ticketing import users
from ticketing.models import Site

pytestmark = pytest.mark.asterisk
QUEUE = "ui-a"


async def call_in(net, caller: str = "13800138000", stay: int = 30) -> None:
    """A caller queued in ui-a who hangs up by themselves ``stay`` s after being answered."""
    await net.action(
        "Originate",
        Channel=f"Local/{QUEUE}@hotline-queue/n",
        Context="hotline-sim-caller",
        Exten=str(stay),
        Priority=1,
        CallerID=f'"Zhang" <{caller}>',
        Variable=[f"__HOTLINE_QUEUE={QUEUE}"],
        Async="true",
    )


class Tab:
    """One browser tab's socket: commands with ids, and a backlog of pushes to search."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ids = iter(range(1, 10_000))
        self.seen: list[dict] = []

    async def next(self, type_: str, within: float = 8.0, **match) -> dict:
        async def wait() -> dict:
            for msg in self.seen:
                if _matches(msg, type_, match):
                    self.seen.remove(msg)
                    return msg
            while True:
                msg = json.loads((await self.ws.receive()).data)
                if _matches(msg, type_, match):
                    return msg
                self.seen.append(msg)

        return await asyncio.wait_for(wait(), within)

    async def command(self, cmd: str, **args) -> dict:
        ref = next(self.ids)
        await self.ws.send_json({"id": ref, "cmd": cmd, "args": args})

        async def answer() -> dict:
            while True:
                msg = json.loads((await self.ws.receive()).data)
                if msg.get("id") == ref and msg["type"] in ("ack", "refused"):
                    return msg
                self.seen.append(msg)

        return await asyncio.wait_for(answer(), 10)

    async def wallboard(self) -> dict:
        """The wallboard asked for on this tab (its ack asserted): the board it is sent."""
        assert (await self.command("wallboard"))["type"] == "ack"
        return await self.next("board")


def _matches(msg: dict, type_: str, match: dict) -> bool:
    if msg.get("type") != type_:
        return False
    event = msg.get("event") or {}
    return all(event.get(k) == v for k, v in match.items())


#: the console's queue is shared by every run on this machine (other checkouts, CI):
#: one seat story at a time, or one run's clean-up takes another run's agent out mid-call
LOCK_PATH = "/tmp/hotline-ui-a.lock"


@pytest.fixture
async def seat(asterisk, world, client):
    lock = open(LOCK_PATH, "w")  # noqa: ASYNC230, SIM115 (a lock file held for the story)
    await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
    try:
        async for value in _seat(asterisk, world, client):
            yield value
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


async def _seat(asterisk, world, client):
    staff_no = f"6{random.randint(1000, 9999)}"
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site.id).where(Site.code == "HQ"))
        await users.create_user(
            db, staff_no, "真坐席", PASSWORD, roles=["agent"], must_change_password=False, site_id=hq
        )
    net = AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret)
    await net.start()
    await net.wait_connected(10)
    # the console's own queue: leftovers of earlier runs must not take our calls
    for frame in await net.action_list("QueueStatus", Queue=QUEUE):
        if frame.get("Event") == "QueueMember":
            await net.action(
                "QueueRemove", Queue=QUEUE, Interface=frame.get("Location") or frame.get("Interface")
            )
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{staff_no}", Val="1")
    await net.action("DBPut", Family="hotline-sim", Key=f"talk-{staff_no}", Val="hold")
    settings = CtiSettings(
        ami_host=asterisk.host,
        ami_port=asterisk.port,
        ami_user=asterisk.username,
        ami_secret=asterisk.secret,
        asterisk_root=str(asterisk.root),
        keepalive=1.0,
        replay_history=False,
    )
    bridge = CtiBridge(settings, world.bus)
    await bridge.start()
    await bridge.wait_connected(10)
    world.services.bridge = bridge
    world.services.seat_pattern = "Local/{staff_no}@hotline-sim-phone/n"
    world.services.default_skills = {QUEUE: 0}
    await login(client, staff_no)
    yield staff_no, net, bridge
    try:
        await net.action("QueueRemove", Queue=QUEUE, Interface=f"Local/{staff_no}@hotline-sim-phone/n")
    except Exception:
        pass
    await bridge.stop()
    await net.stop()


async def order_to_call_back(client, net, staff_no: str) -> dict:
    """A saved 咨询 order of 13800138000 (its JSON), for the seat to call the customer back from;
    the seat's simulated phone answers at once and talks 2 s."""
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{staff_no}", Val="0")
    await net.action("DBPut", Family="hotline-sim", Key=f"talk-{staff_no}", Val="2")
    state = await (await client.get("/api/session")).json()
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "回访"},
            "submit": False,
            "caller_number": "13800138000",
        },
        headers={"X-CSRF-Token": state["csrf"]},
    )
    order = await resp.json()
    assert resp.status == 201, order
    return order


async def test_an_agent_goes_ready_takes_a_real_call_and_ends_the_shift(client, seat):
    staff_no, net, bridge = seat
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        snap = await tab.next("snapshot")
        assert snap["ami"]["connected"] is True
        assert snap["agent"] is None  # not signed into any queue yet

        assert (await tab.command("ready"))["type"] == "ack"
        await tab.next("agent_state", state="ready", agent_id=staff_no)

        ack = await tab.command("pause", reason="小休")
        assert ack["type"] == "ack"
        await tab.next("agent_state", state="not_ready", reason="小休")
        bad = await tab.command("pause", reason="睡觉")
        assert bad["type"] == "refused" and bad["error_id"] == "pause.reason_unknown"
        assert (await tab.command("ready"))["type"] == "ack"
        await tab.next("agent_state", state="ready")

        await call_in(net)
        pop = await tab.next("screen_pop", within=10)
        assert pop["event"]["caller"].endswith("13800138000")
        assert pop["event"]["queue"] == QUEUE
        assert pop["pop"]["caller"].endswith("13800138000")
        await tab.next("call", event="CallAnswered", within=10)

        refused = await tab.command("pause", reason="小休")
        assert refused["type"] == "refused" and refused["error_id"] == "pause.on_call"
        assert "通话" in refused["message"]
        # 下班 and signing out wait for the call: the agent would have nothing left to end it with
        refused = await tab.command("logout")
        assert refused["type"] == "refused" and refused["error_id"] == "logout.on_call", refused
        result = await bridge.logout(staff_no)  # the bridge refuses it too, whoever asks
        assert (result.ok, result.reason) == (False, "agent_on_call")
        state = await (await client.get("/api/session")).json()
        kept = await client.delete("/api/session", headers={"X-CSRF-Token": state["csrf"]})
        assert kept.status == 409 and (await kept.json())["error_id"] == "logout.on_call"
        assert (await (await client.get("/api/session")).json())["user"]["staff_no"] == staff_no
        assert bridge.agent(staff_no)["state"] == "talking"

        held = await tab.command("hold")
        assert held["type"] == "ack", held
        await tab.next("agent_state", state="on_hold", within=10)
        resumed = await tab.command("unhold")
        assert resumed["type"] == "ack", resumed
        await tab.next("agent_state", state="talking", within=10)
        # 99999 typed alone is a phone number (no 工号); said to be a 工号, there is no such seat
        busy = await tab.command("transfer", target="99999", kind="agent")
        assert busy["type"] == "refused" and busy["error_id"] == "unknown_target"

        assert (await tab.command("hangup"))["type"] == "ack"
        await tab.next("call", event="CallEnded", within=10)

        assert (await tab.command("logout"))["type"] == "ack"
        await tab.next("agent_state", state="logged_out", within=10)

    # a reconnecting tab gets the present, not a stale screen
    async with client.ws_connect("/ws") as ws:
        snap = await Tab(ws).next("snapshot")
        assert snap["agent"]["state"] == "logged_out"
        assert snap["calls"] == []


async def test_calling_the_customer_back_from_an_order_puts_the_call_on_its_timeline(client, seat):
    staff_no, net, bridge = seat
    order = await order_to_call_back(client, net, staff_no)
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        assert (await tab.command("ready"))["type"] == "ack"
        refused = await tab.command("dial", number="13800138000", order_id=999_999)
        assert refused["type"] == "refused" and refused["error_id"] == "not_found"
        ack = await tab.command("dial", number="13800138000", order_id=order["id"])
        assert ack["type"] == "ack", ack
        assert ack["result"]["call_id"]
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    calls = [e for e in view["timeline"] if e["kind"] == "call"]
    assert calls and calls[0]["direction"] == "outbound" and calls[0]["number"] == "13800138000"


async def test_signing_out_of_the_console_ends_the_shift_in_every_queue(client, seat):
    staff_no, net, bridge = seat
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        assert (await tab.command("ready"))["type"] == "ack"
        await tab.next("agent_state", state="ready")
    state = await (await client.get("/api/session")).json()
    resp = await client.delete("/api/session", headers={"X-CSRF-Token": state["csrf"]})
    assert resp.status == 200
    assert bridge.agent(staff_no)["state"] == "logged_out"
    members = [
        f
        for f in await net.action_list("QueueStatus", Queue=QUEUE)
        if f.get("Event") == "QueueMember" and staff_no in (f.get("Location") or "")
    ]
    assert members == []
