"""Several Asterisk servers behind one platform (real Redis, stand-in bridges).

Each server has its own active bridge (its own lock and command list, named by its
AMI address) publishing on the one bus. A web process's ``RemoteBridge`` (built by
``hotline.runtime.remote_bridge`` from ``asterisk_servers``) sends each agent's
commands to the bridge of the server their seat is on, shows every server's agents,
queues and spies, and refuses at once, ``no_active_bridge``, the commands of the
agents of a server whose bridge is down, the others' still going through.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import pytest
import redis.asyncio as aioredis

from cti.call_events import AgentStateChanged, AmiConnectionChanged
from cti.commands import CommandResult
from cti.redis_bus import RedisBus
from cti.remote import CommandServer, Unanswered, bridge_handlers, keys_for
from hotline.config import load_settings
from hotline.runtime import remote_bridge, server_prefix

REDIS_URL = "redis://127.0.0.1:6379/0"
SERVERS = """
- {name: gz, ami_host: 127.0.0.1, ami_port: 15038, agents: ["5100-5199"], system_name: gz}
- {name: sz, ami_host: 127.0.0.1, ami_port: 15039, default: true, system_name: sz}
"""


class SiteBridge:
    """A bridge of one server: what it was asked, and its agents' states on the shared bus."""

    def __init__(self, bus, queue: str, spy: str) -> None:
        self.bus, self.queue, self.spy = bus, queue, spy
        self.states: dict[str, str] = {}
        self.seen: list[tuple] = []

    async def _move(self, agent_id: str, state: str) -> CommandResult:
        previous = self.states.get(agent_id, "logged_out")
        self.states[agent_id] = state
        await self.bus.publish(
            AgentStateChanged(agent_id=agent_id, state=state, previous=previous, seconds_in_previous=0.0)
        )
        return CommandResult.done(state=state)

    async def login(self, agent_id, seat, skills):
        self.seen.append(("login", agent_id))
        return await self._move(agent_id, "not_ready")

    async def ready(self, agent_id):
        self.seen.append(("ready", agent_id))
        return await self._move(agent_id, "ready")

    def __getattr__(self, name):
        async def other(*args):
            self.seen.append((name, *args))
            return CommandResult.done()

        return other

    def agents(self):
        return [
            {"agent_id": a, "seat": f"PJSIP/{a}", "skills": {self.queue: 0}, "state": s}
            for a, s in self.states.items()
        ]

    def queues(self):
        members = [
            {"interface": f"PJSIP/{a}", "agent_id": a, "paused": s != "ready"} for a, s in self.states.items()
        ]
        return [{"queue": self.queue, "waiting": 0, "members": members}]

    def calls(self):
        return []

    def spies(self):
        return [
            {
                "spy_id": self.spy,
                "agent_id": next(iter(self.states), ""),
                "supervisor": "3001",
                "mode": "listen",
            }
        ]


@pytest.fixture
async def settings(tmp_path):
    prefix = f"test:servers:{uuid.uuid4().hex[:10]}"
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except Exception:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield load_settings(
        env={
            "HOTLINE_DATA_DIR": str(tmp_path),
            "HOTLINE_BUS_URL": REDIS_URL,
            "HOTLINE_REDIS_PREFIX": prefix,
            "HOTLINE_ASTERISK_SERVERS": SERVERS,
        }
    )
    keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@contextlib.asynccontextmanager
async def active_bridge(settings, server, bridge):
    """A server's active bridge: its lock held, its command server taking requests."""
    redis = aioredis.Redis.from_url(REDIS_URL)
    prefix = server_prefix(settings, server)
    _, lock = keys_for(prefix)
    await redis.set(lock, f"test:{server.name}", px=60_000)
    commands = CommandServer(redis, prefix, bridge_handlers(bridge), poll=0.1)
    await commands.start()
    await bridge.bus.publish(AmiConnectionChanged(connected=True, server=server.address))
    try:
        yield
    finally:
        await commands.stop()
        await redis.delete(lock)  # stopped: the lock goes with it (a dead one would expire)
        await redis.aclose()


async def until(condition, within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_each_agent_reaches_the_bridge_of_their_server_and_one_down_stops_only_its_agents(settings):
    gz, sz = settings.servers
    assert (settings.server_of("5101"), settings.server_of("5201"), settings.server_of("1001")) == (
        gz,
        sz,
        sz,
    )
    bus_gz = RedisBus(REDIS_URL, stream=f"{settings.redis_prefix}:events", block_ms=50)
    bus_sz = RedisBus(REDIS_URL, stream=f"{settings.redis_prefix}:events", block_ms=50)
    web_bus = RedisBus(REDIS_URL, stream=f"{settings.redis_prefix}:events", block_ms=50)
    at_gz, at_sz = SiteBridge(bus_gz, "gz-service", "spy-gz"), SiteBridge(bus_sz, "sz-service", "spy-sz")
    remote = remote_bridge(settings, web_bus, timeout=2.0, holder_poll=0.1)
    sz_up = active_bridge(settings, sz, at_sz)
    try:
        async with active_bridge(settings, gz, at_gz):
            await sz_up.__aenter__()
            await remote.start()
            await until(lambda: remote.connected_for("5101") and remote.connected_for("5201"))

            assert (await remote.login("5101", "PJSIP/5101", {"gz-service": 0})).ok
            assert (await remote.login("5201", "PJSIP/5201", {"sz-service": 0})).ok
            assert (await remote.ready("1001")).ok  # no range names 1001: the default server's
            assert at_gz.seen == [("login", "5101")]
            assert at_sz.seen == [("login", "5201"), ("ready", "1001")]

            # the supervisor's view: both servers' agents, queues and (from both presents) spies
            await until(lambda: {a["agent_id"] for a in remote.agents()} >= {"5101", "5201"})
            await remote.refresh()
            assert {q["queue"] for q in remote.queues()} == {"gz-service", "sz-service"}
            assert {s["spy_id"] for s in remote.spies()} == {"spy-gz", "spy-sz"}
            assert (await remote.spy_stop("spy-gz", "3001")).ok  # the spy's agent's server ends it
            assert at_gz.seen[-1] == ("spy_stop", "spy-gz", "3001")

            # sz's bridge goes away: its agents are refused at once, gz's are not affected
            await sz_up.__aexit__(None, None, None)
            sz_up = None
            await until(lambda: not remote.connected_for("5201"))
            started = time.monotonic()
            refused = await remote.ready("5201")
            assert (refused.ok, refused.reason, refused.data) == (False, "no_active_bridge", {"server": "sz"})
            assert time.monotonic() - started < 0.5  # not the 2 s a request waits for an answer
            assert ("ready", "5201") not in at_sz.seen
            assert remote.connected_for("5101") and remote.connected  # the console takes commands
            assert (await remote.ready("5101")).ok
            assert at_gz.seen[-1] == ("ready", "5101")
            assert {s["server"]: s["active"] for s in remote.servers()} == {"gz": True, "sz": False}
            # the dialer's preview dial and skip (campaigns.remote) take the same way
            with pytest.raises(Unanswered) as dial:
                await remote.client.request("preview_dial", "5201", 1)
            assert dial.value.reason == "no_active_bridge"
            assert (await remote.client.request("ready", "5101"))["ok"] is True
            assert at_gz.seen[-1] == ("ready", "5101")
    finally:
        if sz_up is not None:
            await sz_up.__aexit__(None, None, None)
        await remote.stop()
        for bus in (bus_gz, bus_sz, web_bus):
            await bus.close()


async def test_one_server_keeps_the_keys_and_behaviour_of_before(settings):
    """No asterisk_servers: one route at the keys the web processes used before (ami_host:ami_port)."""
    single = load_settings(
        env={
            "HOTLINE_DATA_DIR": str(settings.data_dir),
            "HOTLINE_BUS_URL": REDIS_URL,
            "HOTLINE_REDIS_PREFIX": "p",
        }
    )
    (server,) = single.servers
    assert server_prefix(single, server) == "p:cti:127.0.0.1:5038"
    web_bus = RedisBus(REDIS_URL, stream=f"{settings.redis_prefix}:events", block_ms=50)
    remote = remote_bridge(single, web_bus)
    try:
        assert not remote.several
        assert remote.route_of("5101") is remote.route_of("1001")
        assert remote.lock_key == "p:cti:127.0.0.1:5038:lock"
    finally:
        await remote.redis.aclose()
        await web_bus.close()


async def test_a_queue_both_servers_have_is_one_row_with_the_members_of_both(settings):
    gz, sz = settings.servers
    buses = [RedisBus(REDIS_URL, stream=f"{settings.redis_prefix}:events", block_ms=50) for _ in range(3)]
    at_gz, at_sz = SiteBridge(buses[0], "95598", "spy-gz"), SiteBridge(buses[1], "95598", "spy-sz")
    remote = remote_bridge(settings, buses[2], timeout=2.0, holder_poll=0.1)
    try:
        async with active_bridge(settings, gz, at_gz), active_bridge(settings, sz, at_sz):
            await remote.start()
            await until(lambda: remote.connected_for("5101") and remote.connected_for("5201"))
            assert (await remote.login("5101", "PJSIP/5101", {"95598": 0})).ok
            assert (await remote.login("5201", "PJSIP/5201", {"95598": 0})).ok
            assert await remote.refresh()  # both presents, each naming only its own members
            (queue,) = remote.queues()
            assert sorted(m["agent_id"] for m in queue["members"]) == ["5101", "5201"]
    finally:
        await remote.stop()
        for bus in buses:
            await bus.close()
