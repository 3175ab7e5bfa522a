"""The production process model on the real Asterisk: separate processes, Redis and PostgreSQL.

Two ``hotline serve --role cti`` processes (one active, one standby) and one
``--role web``: an agent signs in from the web process's websocket, a call's
screen-pop reaches that websocket, and when the active bridge is killed
(SIGKILL: no lock given back) the standby takes over within the lock's
period and the agent's next command goes through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import random
import signal
import sys
import time

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis
from serve_processes import PG_ADMIN, REDIS_URL, Processes, demo_deployment, sign_in, wait_http

from cti.ami import AmiClient

QUEUE = "cti-a"  # the CTI stories' queue: their lock keeps other calls out of it meanwhile
STORIES_LOCK = "/tmp/hotline-cti-stories.lock"
DEMO_AGENT = "1001"  # a demo agent (password demo1234), renamed below: a running demo may use 1001's phone
AGENT = f"7{random.randint(0, 9999):04d}"  # the 工号 it gets here, and its simulated phone's extension
SEAT = f"Local/{AGENT}@hotline-sim-phone/n"
CALLER = "13987654321"


#: the seats of the simulated phones the demo's agents sign in on
SIM_SEATS = "Local/{staff_no}@hotline-sim-phone/n"


@pytest.fixture
async def deployment(tmp_path, asterisk):
    """Redis keys and a PostgreSQL database of its own, seeded with the demo agents."""
    async with _deployment(tmp_path, asterisk) as taken:
        yield taken


@contextlib.asynccontextmanager
async def _deployment(tmp_path, asterisk):
    """``deployment``: everything it takes is given back however its setup or the test ends (an
    error, a skip, a timeout), each thing once taken: the CTI stories' lock above all, or every
    story after it waits for ever."""
    async with contextlib.AsyncExitStack() as stack:
        lock = stack.enter_context(open(STORIES_LOCK, "w"))  # noqa: ASYNC230, SIM115
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        stack.callback(fcntl.flock, lock, fcntl.LOCK_UN)
        deployed = await demo_deployment(
            stack, tmp_path, "procs", HOTLINE_SEAT_PATTERN=SIM_SEATS, HOTLINE_CTI_LOCK_SECONDS="2"
        )
        db = await asyncpg.connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{deployed.database}")
        try:
            await db.execute(
                "UPDATE users SET staff_no = $1, skills = $2 WHERE staff_no = $3",
                AGENT,
                json.dumps({QUEUE: 0}),
                DEMO_AGENT,
            )
        finally:
            await db.close()
        ami = AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret)
        await ami.start()
        stack.push_async_callback(ami.stop)
        stack.push_async_callback(_forget_agent, ami)
        await ami.wait_connected(10)
        await ami.action("DBPut", Family="hotline-sim", Key=f"ring-{AGENT}", Val="1")
        await ami.action("DBPut", Family="hotline-sim", Key=f"talk-{AGENT}", Val="4")
        procs = Processes(deployed.env, tmp_path)
        stack.callback(procs.stop_all)
        yield procs, ami, deployed.base, f"{deployed.prefix}:cti:127.0.0.1:{asterisk.port}:lock"


async def _forget_agent(ami: AmiClient) -> None:
    """The agent's seat out of the stories' queue and its simulated phone's settings gone."""
    with contextlib.suppress(Exception):
        await ami.action("QueueRemove", Queue=QUEUE, Interface=SEAT)
    for family, key in (
        ("hotline-sim", f"ring-{AGENT}"),
        ("hotline-sim", f"talk-{AGENT}"),
        ("hotline-seat", AGENT),
    ):
        with contextlib.suppress(Exception):
            await ami.action("DBDel", Family=family, Key=key)


@pytest.mark.parametrize("failure", [RuntimeError("connection reset"), OSError("connection refused")])
async def test_the_stories_lock_is_given_back_when_the_deployments_setup_fails(
    tmp_path, monkeypatch, failure
):
    """A setup that fails once it holds the CTI stories' lock (here PostgreSQL refusing: an
    error, or the skip for PostgreSQL being down) gives the lock back: the next story gets it."""
    path = tmp_path / "stories.lock"
    monkeypatch.setattr(sys.modules[__name__], "STORIES_LOCK", str(path))

    async def refuse(*args, **kwargs):
        raise failure

    monkeypatch.setattr(asyncpg, "connect", refuse)
    with pytest.raises(BaseException) as raised:  # noqa: PT011 - the error, or pytest's skip
        async with _deployment(tmp_path, None):
            pass
    assert raised.value is failure or "PostgreSQL unavailable" in str(raised.value)
    with open(path, "w") as other:  # noqa: ASYNC230 - the next story, not waiting: the lock is free
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError while still held
        fcntl.flock(other, fcntl.LOCK_UN)


class Console:
    """One agent's browser tab on the web process: everything that came down the socket, commands up."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict] = []
        self.ids = iter(range(1, 1000))
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            self.messages.append(msg.json())

    def mark(self) -> int:
        return len(self.messages)

    async def wait(self, want, within: float, since: int = 0) -> dict:
        """The first message from ``since`` on that ``want`` accepts (waiting for it at most ``within`` s)."""
        deadline = time.monotonic() + within
        while True:
            for body in self.messages[since:]:
                if want(body):
                    return body
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen within {within} s; last messages: {self.messages[-8:]}")
            await asyncio.sleep(0.02)

    async def command(self, cmd: str, within: float = 10.0, **args) -> dict:
        ref = next(self.ids)
        await self.ws.send_json({"id": ref, "cmd": cmd, "args": args})
        return await self.wait(lambda b: b.get("id") == ref and b["type"] in ("ack", "refused"), within)

    async def close(self) -> None:
        await self.ws.close()
        await self.reader


def _connected(body: dict) -> bool | None:
    if body.get("type") == "ami":
        return body["connected"]
    if body.get("type") == "snapshot":
        return body["ami"]["connected"]
    return None


async def test_web_and_cti_processes_sign_in_pop_and_fail_over(deployment):
    procs, ami, base, lock_key = deployment
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        active = procs.start("serve", "--role", "cti")
        async with asyncio.timeout(30):
            while not await redis.exists(lock_key):
                assert active.poll() is None, procs.logs()
                await asyncio.sleep(0.1)
        standby = procs.start("serve", "--role", "cti")
        procs.start("serve", "--role", "web")
        await wait_http(base, procs)

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await sign_in(http, base, AGENT)
            console = Console(await http.ws_connect(f"{base}/ws"))
            # the bridge in the other process is connected to Asterisk, and the web process knows it
            await console.wait(lambda b: _connected(b) is True, within=20)

            # 就绪: the web process signs the seat in and makes it ready, through the active bridge
            ack = await console.command("ready")
            assert ack["type"] == "ack", ack
            assert ack["result"]["state"] == "ready"
            await console.wait(
                lambda b: b.get("type") == "agent_state" and b["event"]["state"] == "ready", 10
            )
            members = await ami.action_list("QueueStatus", Queue=QUEUE)
            assert any(
                f.get("Name") == AGENT and f.get("Paused") == "0" for f in members if f.name == "QueueMember"
            )

            # a caller in the agent's queue: the screen-pop reaches this web process's socket
            await ami.action(
                "Originate",
                Channel="Local/08@hotline-sim-caller/n",
                Context="hotline-queue",
                Exten=QUEUE,
                Priority=1,
                CallerID=f'"Caller" <{CALLER}>',
                Async="true",
            )
            pop = await console.wait(lambda b: b.get("type") == "screen_pop", within=15)
            assert pop["event"]["agent_id"] == AGENT
            assert pop["event"]["caller"] == CALLER

            # the active bridge dies without a word: the standby takes the lock when it expires
            mark = console.mark()
            active.send_signal(signal.SIGKILL)
            await asyncio.to_thread(active.wait)
            killed = time.monotonic()
            down = await console.wait(lambda b: _connected(b) is False, within=10, since=mark)
            await console.wait(lambda b: _connected(b) is True, within=15, since=console.messages.index(down))
            assert time.monotonic() - killed < 12
            assert standby.poll() is None
            # the new bridge rebuilt the agent from the bus and Asterisk: its commands go through it
            # (refused as on a call while the call it took over is still on)
            deadline = time.monotonic() + 15
            while (ack := await console.command("pause", reason="小休"))["type"] != "ack":
                assert ack["error_id"] == "pause.on_call" and time.monotonic() < deadline, ack
                await asyncio.sleep(0.5)
            assert ack["result"]["state"] == "not_ready"
            ack = await console.command("logout")
            assert ack["type"] == "ack", ack
            await console.close()
    finally:
        await redis.aclose()
