"""A CTI bridge on the real Asterisk, plus a 'phone network' to drive it.

``Story`` owns an in-process bus that records every event, a ``CtiBridge``
connected to the real Asterisk, and a second AMI connection standing in for
callers and phones (simulated with the hotline-sim-* dialplan contexts).
Agents get random 5-digit extensions so parallel test runs never share one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import random
import socket
import time
from collections.abc import Callable

from cti.ami import AmiClient
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.call_events import AgentStateChanged, CallAnswered
from cti.events import Event

QUEUE_A, QUEUE_B = "cti-a", "cti-b"
LOCK_PATH = "/tmp/hotline-cti-stories.lock"


def agi_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4573), timeout=0.2):
            return True
    except OSError:
        return False


def seat(ext: str) -> str:
    return f"Local/{ext}@hotline-sim-phone/n"


async def ready_agents(story: Story, *talks: str, queue: str = QUEUE_A) -> list[str]:
    """New agents, one per ``talks`` (their phones' talk time), signed into ``queue`` and ready."""
    agents = []
    for talk in talks:
        agent = await story.new_agent(talk=talk)
        assert (await story.bridge.login(agent, seat(agent), {queue: len(agents)})).ok
        assert (await story.bridge.ready(agent)).ok
        agents.append(agent)
    return agents


async def answered_by(story: Story, agent: str) -> str:
    """The call id of the call ``agent`` answers, once both legs are bridged."""
    answered = await story.wait_for(CallAnswered, agent_id=agent)
    await story.bridge.flush()
    await asyncio.sleep(0.1)  # both legs bridged
    return answered.call_id


async def consulting(story: Story) -> tuple[str, str, str]:
    """Two ready agents on held phones: a call in QUEUE_A answered by the first, who then consults
    the second (咨询转接), and the second's seat answers: (first, second, call id)."""
    first, second = await ready_agents(story, "hold", "hold")
    await story.bridge.pause(second, "小休")  # so the queue offers the call to `first`
    await story.call_in(QUEUE_A, stay=20)
    call_id = await answered_by(story, first)
    await story.bridge.ready(second)
    assert (await story.bridge.consult(first, "agent", second)).ok
    await story.wait_for(AgentStateChanged, agent_id=second, state="talking")
    return first, second, call_id


class Story:
    def __init__(
        self,
        asterisk,
        *,
        lookup=None,
        acw_seconds: float = 0.0,
        seat_ring_seconds: int = 30,
        bus: InProcessBus | None = None,
    ) -> None:
        self.asterisk = asterisk
        self.bus = bus or InProcessBus()
        self.events: list[Event] = []
        self.sub = None
        self.settings = CtiSettings(
            ami_host=asterisk.host,
            ami_port=asterisk.port,
            ami_user=asterisk.username,
            ami_secret=asterisk.secret,
            asterisk_root=str(asterisk.root),
            acw_seconds=acw_seconds,
            seat_ring_seconds=seat_ring_seconds,
            keepalive=1.0,
        )
        self.lookup = lookup
        self.bridge: CtiBridge | None = None
        self.net = AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret)
        self.agents: list[str] = []
        base = random.randint(1000, 8999)
        self._exts = iter(f"7{base + i:04d}"[:5] for i in range(100))

    async def __aenter__(self) -> Story:
        async def record(event: Event) -> None:
            self.events.append(event)

        # The stories count every call in cti-a/cti-b: one story at a time on this
        # machine, even when two test runs overlap.
        self._lock = open(LOCK_PATH, "w")  # noqa: ASYNC230 (a lock file, opened once)
        await asyncio.to_thread(fcntl.flock, self._lock, fcntl.LOCK_EX)
        try:
            self.sub = self.bus.subscribe(record)
            await self.net.start()
            await self.net.wait_connected(10)
            await self._clear_leftovers()
            await self.start_bridge()
        except BaseException:
            # No __aexit__ follows a failed __aenter__: the lock must not stay held by this
            # process, or its next story (the rerun of this one) waits on it for ever.
            with contextlib.suppress(Exception):
                await self._clean_up()
            self._unlock()
            raise
        return self

    def _unlock(self) -> None:
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()

    async def _clear_leftovers(self) -> None:
        """Members and calls a crashed earlier run left in our queues."""
        for f in await self.net.action_list("QueueStatus"):
            if f.name == "QueueMember" and f.get("Queue") in (QUEUE_A, QUEUE_B):
                try:
                    await self.net.action("QueueRemove", Queue=f["Queue"], Interface=f.get("Location"))
                except Exception:
                    pass
        for f in await self.net.action_list("CoreShowChannels"):
            if f.get("ApplicationData").startswith((QUEUE_A, QUEUE_B)) or f.get("Exten") in (
                QUEUE_A,
                QUEUE_B,
            ):
                try:
                    await self.net.action("Hangup", Channel=f["Channel"])
                except Exception:
                    pass

    async def start_bridge(self) -> CtiBridge:
        self.bridge = CtiBridge(self.settings, self.bus, customer_lookup=self.lookup)
        await self.bridge.start()
        await self.bridge.wait_connected(10)
        await self.bridge.flush()
        return self.bridge

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._clean_up()
        finally:  # whatever failed above, the next story (a rerun in this process too) may start
            self._unlock()

    async def _clean_up(self) -> None:
        # The bridge stops first: the cleanup below (members removed, as from the CLI)
        # would otherwise sign the agents out on the record the story just asserts on.
        if self.bridge is not None:
            await self.bridge.stop()
        for agent_id in self.agents:
            for queue in (QUEUE_A, QUEUE_B):
                try:
                    await self.net.action("QueueRemove", Queue=queue, Interface=seat(agent_id))
                except Exception:
                    pass
            for family, key in (
                ("hotline-sim", f"ring-{agent_id}"),
                ("hotline-sim", f"talk-{agent_id}"),
                ("hotline-seat", agent_id),
            ):
                try:
                    await self.net.action("DBDel", Family=family, Key=key)
                except Exception:
                    pass
        await self.net.stop()
        if self.sub is not None:
            await self.sub.close()

    # -- the phone network ----------------------------------------------------
    async def new_agent(self, *, ring: str = "0", talk: str = "3") -> str:
        ext = next(self._exts)
        await self.phone(ext, ring=ring, talk=talk)
        self.agents.append(ext)
        return ext

    async def phone(self, ext: str, *, ring: str = "0", talk: str = "3") -> None:
        await self.net.action("DBPut", Family="hotline-sim", Key=f"ring-{ext}", Val=ring)
        await self.net.action("DBPut", Family="hotline-sim", Key=f"talk-{ext}", Val=talk)

    async def call_in(
        self,
        queue: str,
        *,
        caller: str = "13800138000",
        name: str = "Caller",
        stay: int = 10,
        dnis: str = "",
        variables: tuple[str, ...] = (),
    ) -> float:
        """An inbound call; through hotline-inbound (DNIS) when no AGI server would reroute it."""
        sent = time.time()
        common = {"Priority": 1, "CallerID": f'"{name}" <{caller}>', "Async": "true"}
        if dnis and not agi_is_up():
            # hotline-inbound answers at once, then the caller's end runs hotline-sim-caller.
            await self.net.action(
                "Originate",
                Channel=f"Local/{dnis}@hotline-inbound/n",
                Context="hotline-sim-caller",
                Exten=f"{stay:02d}",  # the context matches _X. (two digits at least)
                Variable=[f"__HOTLINE_QUEUE={queue}", *variables],
                **common,
            )
        else:
            # Straight into the queue (an AGI server of another test cannot reroute it):
            # the caller's end answers first and hangs up after ``stay`` seconds.
            await self.net.action(
                "Originate",
                Channel=f"Local/{stay:02d}@hotline-sim-caller/n",
                Context="hotline-queue",
                Exten=queue,
                **({"Variable": list(variables)} if variables else {}),
                **common,
            )
        return sent

    # -- watching --------------------------------------------------------------
    def of(self, event_type: type[Event], /, **match: object) -> list[Event]:
        return [
            e
            for e in self.events
            if isinstance(e, event_type) and all(getattr(e, k) == v for k, v in match.items())
        ]

    async def wait_for(
        self,
        event_type: type[Event],
        /,
        timeout: float = 10.0,  # noqa: ASYNC109
        where: Callable[[Event], bool] | None = None,
        **match: object,
    ) -> Event:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.of(event_type, **match) if where is None or where(e)]
            if found:
                return found[0]
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"no {event_type.__name__} {match} within {timeout}s; saw {[e.name for e in self.events][-30:]}"
        )

    def agent_states(self, agent_id: str) -> list[tuple[str, str]]:
        from cti.call_events import AgentStateChanged

        return [(e.state, e.reason) for e in self.of(AgentStateChanged, agent_id=agent_id)]
