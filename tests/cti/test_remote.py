"""Commands to the active bridge over Redis, the bus mirror, and the standby lock (real Redis).

A ``SeatBridge`` stands in for ``CtiBridge`` (no Asterisk here): it keeps
agents in a small state table and publishes ``AgentStateChanged`` like the
bridge does, so what the remote side shows has to come through the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid

import pytest
import redis.asyncio as aioredis

from cti.call_events import (
    AgentStateChanged,
    AmiConnectionChanged,
    CallAnswered,
    CallEnded,
    CallOffered,
    QueueMemberChanged,
)
from cti.commands import CommandResult
from cti.redis_bus import RedisBus
from cti.remote import CommandClient, CommandServer, RemoteBridge, bridge_handlers, keys_for
from cti.standby import ActiveStandby, BridgeLock

REDIS_URL = "redis://127.0.0.1:6379/0"


class SeatBridge:
    def __init__(self, bus) -> None:
        self.bus = bus
        self.states: dict[str, str] = {}
        self.skills: dict[str, dict[str, int]] = {}
        self.seen: list[tuple] = []

    async def _move(self, agent_id: str, state: str) -> CommandResult:
        previous = self.states.get(agent_id, "logged_out")
        self.states[agent_id] = state
        await self.bus.publish(
            AgentStateChanged(
                agent_id=agent_id, state=state, previous=previous, seconds_in_previous=0.0, at=time.time()
            )
        )
        return CommandResult.done(state=state)

    async def login(self, agent_id, seat, skills):
        self.seen.append(("login", agent_id, seat, skills))
        if self.states.get(agent_id, "logged_out") != "logged_out":
            return CommandResult.refused("agent_already_logged_in", f"agent {agent_id} is signed in")
        self.skills[agent_id] = dict(skills)
        for queue, penalty in skills.items():  # as the bridge's queue board tells of a new member
            await self.bus.publish(
                QueueMemberChanged(queue=queue, interface=seat, agent_id=agent_id, penalty=penalty)
            )
        return await self._move(agent_id, "not_ready")

    async def ready(self, agent_id):
        self.seen.append(("ready", agent_id))
        if agent_id not in self.states:
            return CommandResult.refused("unknown_agent", f"no agent {agent_id}")
        return await self._move(agent_id, "ready")

    async def dial(self, agent_id, number, ring_timeout=None):
        self.seen.append(("dial", agent_id, number, ring_timeout))
        return CommandResult.done(call_id="out-1")

    def __getattr__(self, name):  # the other commands: refused, like an agent with no call
        async def refuse(*args):
            self.seen.append((name, *args))
            return CommandResult.refused("agent_not_on_call", "no call")

        return refuse

    def agents(self):
        return [
            {"agent_id": a, "seat": f"PJSIP/{a}", "skills": self.skills.get(a, {}), "state": s}
            for a, s in self.states.items()
        ]

    def queues(self):
        members = [
            {"interface": f"PJSIP/{a}", "agent_id": a, "paused": s != "ready"} for a, s in self.states.items()
        ]
        return [{"queue": "service", "waiting": 0, "members": members}]

    def calls(self):
        return []

    def spies(self):
        return []


@pytest.fixture
async def prefix():
    name = f"test:cti:{uuid.uuid4().hex}"
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except Exception:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield name
    keys = [k async for k in redis.scan_iter(f"{name}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@pytest.fixture
async def bus(prefix):
    b = RedisBus(REDIS_URL, stream=f"{prefix}:events", block_ms=50)
    yield b
    await b.close()


@contextlib.asynccontextmanager
async def serving(prefix: str, handlers):
    redis = aioredis.Redis.from_url(REDIS_URL)
    server = CommandServer(redis, prefix, handlers, poll=0.1)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        await redis.aclose()


@contextlib.asynccontextmanager
async def remote_bridge(prefix: str, wait: float = 2.0):
    # A web process: its own bus connection, its own Redis client.
    web_bus = RedisBus(REDIS_URL, stream=f"{prefix}:events", block_ms=50)
    remote = RemoteBridge(REDIS_URL, web_bus, prefix, timeout=wait, holder_poll=0.1)
    await remote.start()
    try:
        yield remote
    finally:
        await remote.stop()
        await web_bus.close()


async def until(condition, within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_a_command_goes_to_the_active_bridge_and_its_answer_comes_back(prefix, bus):
    bridge = SeatBridge(bus)
    async with serving(prefix, bridge_handlers(bridge)), remote_bridge(prefix) as remote:
        result = await remote.login("1001", "PJSIP/1001", {"service": 0})
        assert result == CommandResult(True, data={"state": "not_ready"})
        assert bridge.seen == [("login", "1001", "PJSIP/1001", {"service": 0})]
        refused = await remote.login("1001", "PJSIP/1001", {"service": 0})
        assert (refused.ok, refused.reason) == (False, "agent_already_logged_in")
        assert (await remote.dial("1001", "13912345678", 25)).data == {"call_id": "out-1"}
        assert bridge.seen[-1] == ("dial", "1001", "13912345678", 25)
        assert (await remote.hangup("1001")).reason == "agent_not_on_call"


async def test_agent_state_in_the_web_process_comes_from_the_bus(prefix, bus):
    bridge = SeatBridge(bus)
    handlers = bridge_handlers(bridge)
    presents = []
    whole_present = handlers["present"]

    async def counted_present():
        presents.append(time.monotonic())
        return await whole_present()

    handlers["present"] = counted_present
    async with serving(prefix, handlers), remote_bridge(prefix) as remote:
        assert remote.agent("1001") is None
        await until(lambda: len(presents) == 1)  # the one the web process asks for at start
        await remote.login("1001", "PJSIP/1001", {"service": 0})
        # the new queue came with the login's events: no second present, and no wait for one
        assert remote.agent("1001")["skills"] == {"service": 0}
        assert [m["agent_id"] for m in remote.queues()[0]["members"]] == ["1001"]
        await remote.ready("1001")
        await until(lambda: (remote.agent("1001") or {}).get("state") == "ready")
        assert remote.queues()[0]["members"][0]["paused"] is False
        assert len(presents) == 1
        # a state changed elsewhere (another web process, Asterisk) shows without a command
        await bridge._move("1001", "not_ready")
        await until(lambda: remote.agent("1001")["state"] == "not_ready")


async def test_a_web_process_started_later_rebuilds_the_present_from_the_bus_history(prefix, bus):
    await bus.publish(AmiConnectionChanged(connected=True, server="ast"))
    await bus.publish(
        AgentStateChanged(agent_id="1002", state="ready", previous="not_ready", seconds_in_previous=1)
    )
    await bus.publish(CallOffered(call_id="c1", agent_id="1002", caller="13900000000", queue="service"))
    await bus.publish(CallAnswered(call_id="c1", agent_id="1002", answered_at=time.time()))
    await bus.publish(CallOffered(call_id="c2", agent_id="1003", caller="13900000001"))
    await bus.publish(CallEnded(call_id="c2", direction="inbound", outcome="abandoned_ringing"))
    async with remote_bridge(prefix) as remote:
        assert remote.agent("1002")["state"] == "ready"
        assert [(c["call_id"], c["agent_id"], c["caller"]) for c in remote.calls()] == [
            ("c1", "1002", "13900000000")
        ]
        assert remote.mirror.ami_connected is True
        assert remote.connected is False  # ... but no bridge holds the lock: nobody would take a command


async def test_the_console_reads_connected_as_of_the_connection_event_it_handles(prefix, bus):
    async with remote_bridge(prefix) as remote:
        assert remote.connected is False  # nobody holds the bridge, nobody said AMI is up
        seen: list[tuple[bool, bool]] = []

        async def console(event):
            seen.append((event.connected, remote.connected))

        sub = remote.console_bus.subscribe(console, types=[AmiConnectionChanged])
        await bus.publish(AmiConnectionChanged(connected=True, server="ast"))  # a bridge just took over
        await bus.publish(AmiConnectionChanged(connected=False, server="ast", reason="lost"))
        await until(lambda: len(seen) == 2)
        assert seen == [(True, True), (False, False)]
        await sub.close()


async def test_the_console_hears_when_the_bridge_is_gone_without_a_word(prefix, bus):
    lock = keys_for(prefix)[1]
    redis = aioredis.Redis.from_url(REDIS_URL)
    await redis.set(lock, "a-bridge", px=10_000)
    await bus.publish(AmiConnectionChanged(connected=True, server="ast"))
    async with remote_bridge(prefix) as remote:
        heard: list[tuple[bool, str, bool]] = []

        async def console(event):
            heard.append((event.connected, event.reason, remote.connected))

        sub = remote.console_bus.subscribe(console, types=[AmiConnectionChanged])
        await until(lambda: remote.connected)
        await redis.delete(lock)  # the holder's lock expired: it died, nobody has taken over yet
        await until(lambda: heard, within=2)
        assert heard == [(False, "no_active_bridge", False)]
        await sub.close()
    await redis.aclose()


async def test_with_no_active_bridge_a_command_is_refused_within_its_timeout(prefix, bus):
    async with remote_bridge(prefix, wait=0.5) as remote:
        started = time.monotonic()
        result = await remote.ready("1001")
        assert time.monotonic() - started < 1.0
        assert (result.ok, result.reason) == (False, "not_connected")
        assert "no active CTI bridge" in result.message
    # taken back: a bridge starting later does not run a command its sender gave up on
    # (only this command: the mirror's own refresh may still be waiting there on a slow machine)
    redis = aioredis.Redis.from_url(REDIS_URL)
    waiting = [json.loads(r)["name"] for r in await redis.lrange(keys_for(prefix)[0], 0, -1)]
    assert "ready" not in waiting, waiting
    await redis.aclose()


async def test_a_command_taken_but_not_answered_in_time_is_refused_as_unknown_outcome(prefix, bus):
    async def slow(agent_id):
        await asyncio.sleep(1.0)
        return CommandResult.done()

    async with serving(prefix, {"hangup": slow}), remote_bridge(prefix, wait=0.3) as remote:
        result = await remote.hangup("1001")
    assert (result.ok, result.reason) == (False, "no_reply")


async def test_a_request_whose_sender_gave_up_is_dropped_not_run(prefix):
    # still in the list past its deadline: sent while the bridge was busy or changing hands
    redis = aioredis.Redis.from_url(REDIS_URL)
    reply = f"{prefix}:reply:late"
    late = {"id": "late", "name": "hangup", "args": ["1001"], "reply": reply, "deadline": time.time() - 1}
    await redis.rpush(keys_for(prefix)[0], json.dumps(late))
    ran: list[str] = []

    async def hangup(agent_id):
        ran.append(agent_id)
        return CommandResult.done()

    async with serving(prefix, {"hangup": hangup}):
        await asyncio.sleep(0.3)
        assert await redis.llen(keys_for(prefix)[0]) == 0  # taken ...
    assert ran == []  # ... and not run: the agent was told it failed
    assert not await redis.exists(reply)
    await redis.aclose()


# -- the lock: one active bridge, a standby ------------------------------------------------------


class Node:
    """One ``--role cti`` process: active while it holds the lock (a log of its terms)."""

    def __init__(self, name: str, prefix: str, log: list[str], ttl: float = 0.6) -> None:
        self.name = name
        self.redis = aioredis.Redis.from_url(REDIS_URL)
        self.lock = BridgeLock(self.redis, keys_for(prefix)[1], ttl=ttl)
        self.log = log
        self.standby = ActiveStandby(self.lock, self._active, poll=0.1)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.standby.run(self.stop))

    @contextlib.asynccontextmanager
    async def _active(self):
        self.log.append(f"{self.name} up")
        try:
            yield
        finally:
            self.log.append(f"{self.name} down")

    async def close(self) -> None:
        self.stop.set()
        await self.task
        await self.redis.aclose()

    async def kill(self) -> None:
        """Gone without a word: no release, no more renewals."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.redis.aclose()


async def test_only_the_lock_holder_is_active_and_the_standby_takes_over_when_it_stops(prefix):
    log: list[str] = []
    first = Node("a", prefix, log, ttl=0.6)
    await asyncio.wait_for(first.standby.active.wait(), 2)
    second = Node("b", prefix, log, ttl=3.0)
    await asyncio.sleep(1.5)  # several of the holder's renewals: the standby keeps waiting
    assert log == ["a up"]
    started = time.monotonic()
    await first.close()
    await asyncio.wait_for(second.standby.active.wait(), 3)
    assert time.monotonic() - started < 1.5  # given back: well before a 3 s lock could have expired
    assert log == ["a up", "a down", "b up"]
    await second.close()
    redis = aioredis.Redis.from_url(REDIS_URL)
    assert not await redis.exists(keys_for(prefix)[1])
    await redis.aclose()


async def test_a_holder_that_dies_without_releasing_loses_the_lock_when_it_expires(prefix):
    log: list[str] = []
    first = Node("a", prefix, log, ttl=1.0)
    await asyncio.wait_for(first.standby.active.wait(), 2)
    second = Node("b", prefix, log, ttl=1.0)
    await first.kill()
    killed = time.monotonic()
    await asyncio.wait_for(second.standby.active.wait(), 5)
    waited = time.monotonic() - killed
    # renewed at most a third of the ttl before it died: the lock lives on 2/3 to 1 ttl
    assert 0.5 < waited < 3.0, waited
    assert second.standby.terms == 1
    await second.close()


async def test_a_holder_whose_lock_was_taken_steps_down(prefix):
    log: list[str] = []
    node = Node("a", prefix, log, ttl=0.6)
    await asyncio.wait_for(node.standby.active.wait(), 2)
    redis = aioredis.Redis.from_url(REDIS_URL)
    await redis.set(keys_for(prefix)[1], "someone-else", px=5000)  # e.g. it hung longer than its ttl
    await until(lambda: log == ["a up", "a down"], within=2)
    assert not node.standby.active.is_set()
    await node.close()
    assert await redis.get(keys_for(prefix)[1]) == b"someone-else"  # not ours to give back
    await redis.aclose()


async def test_the_dialers_preview_actions_reach_the_dialer_beside_the_bridge(prefix):
    from campaigns.remote import DialerUnavailable, RemoteDialer, dialer_handlers

    class Dialer:
        async def preview_dial(self, agent_id, contact_id):
            return (True, f"out-{contact_id}") if agent_id == "1001" else (False, "campaign.not_offered")

        async def preview_skip(self, agent_id, contact_id):
            return agent_id == "1001"

        async def current_offer(self, agent_id):
            # the offer held for the agent, as the card shows it after a reload (None: none)
            return (
                {"event": "CampaignContactOffered", "contact_id": 7, "held_until": 1.5}
                if agent_id == "1001"
                else None
            )

    redis = aioredis.Redis.from_url(REDIS_URL)
    remote = RemoteDialer(CommandClient(redis, prefix, timeout=0.5))
    async with serving(prefix, dialer_handlers(Dialer())):
        assert await remote.preview_dial("1001", 7) == (True, "out-7")
        assert await remote.preview_dial("1002", 7) == (False, "campaign.not_offered")
        assert await remote.preview_skip("1001", 7) is True
        assert await remote.current_offer("1001") == {
            "event": "CampaignContactOffered",
            "contact_id": 7,
            "held_until": 1.5,
        }
        assert await remote.current_offer("1002") is None
    with pytest.raises(DialerUnavailable) as refused:
        await remote.preview_skip("1001", 7)
    assert refused.value.error_id == "cti.unavailable"  # the console shows the phone system unavailable
    await redis.aclose()
