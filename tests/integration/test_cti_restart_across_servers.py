"""A bridge restarted while another Asterisk server's bridge publishes on the same bus takes back
only its own server's agents and calls, and the part of a call another server relayed to it.

Two real Asterisk servers (the shared one, ``main``; the private second one of
``test_serve_servers``, ``second``, systemname ``hotline2``, with the 工号 ``8*``), each with its
bridge in this process on one bus, as ``hotline serve --role all`` runs them; a bridge is restarted
by stopping it and starting a new one on that bus (its Asterisk runs on). The bus carries both
servers' events and no server tag on an agent's: a restarted bridge used to take the other
server's agents and calls as its own, signing those agents out and ending those calls on the bus
because its Asterisk did not have them, and the seat's leg of a call relayed to it over the trunk
as a call of its own (docs/decisions/0007).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from pathlib import Path

import pytest
import yaml
from test_serve_servers import SECOND_NAME, SECOND_ROOT, second_asterisk, stories_lock  # noqa: F401
from test_serve_servers_trunk import _install, _with_sip_ports, trunks_in_place

from cti.ami import AmiActionError, AmiClient
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.call_events import AgentStateChanged, CallAnswered, CallEnded, CallOffered, CallStarted
from cti.events import Event

pytestmark = pytest.mark.asterisk

QUEUE = "cti-a"
CALLER = "13987650003"
CALLER_SECONDS = "120"  # hotline-sim-caller: the caller stays this long unless hung up
MAIN_AGENT = f"7{random.randint(0, 9999):04d}"
SECOND_AGENT = f"8{random.randint(0, 9999):04d}"


def _seat(agent: str) -> str:
    return f"Local/{agent}@hotline-sim-phone/n"


def _on_second(agent_id: str) -> bool:
    """The seats of ``second``, as its ``asterisk_servers`` entry lists them (``agents: ['8*']``)."""
    return agent_id.startswith("8")


class TwoServers:
    """Both servers' bridges on one bus, every event kept, and an AMI link to each Asterisk
    standing in for the callers and the phones."""

    def __init__(self, asterisk, second_port: int) -> None:
        self.bus = InProcessBus()
        self.events: list[Event] = []
        common = dict(
            ami_host="127.0.0.1", ami_user=asterisk.username, ami_secret=asterisk.secret, keepalive=1.0
        )
        self.settings = {
            "main": CtiSettings(
                ami_port=asterisk.port, asterisk_root=str(asterisk.root), system_name="", **common
            ),
            "second": CtiSettings(
                ami_port=second_port, asterisk_root=str(SECOND_ROOT), system_name=SECOND_NAME, **common
            ),
        }
        self.serves = {"main": lambda agent_id: not _on_second(agent_id), "second": _on_second}
        self.bridges: dict[str, CtiBridge] = {}
        self.nets = {
            name: AmiClient("127.0.0.1", s.ami_port, asterisk.username, asterisk.secret)
            for name, s in self.settings.items()
        }

    async def start(self) -> None:
        async def record(event: Event) -> None:
            self.events.append(event)

        self.sub = self.bus.subscribe(record)
        for net in self.nets.values():
            await net.start()
            await net.wait_connected(10)
        await self._clear_leftovers()
        for name in self.settings:
            await self.start_bridge(name)

    async def start_bridge(self, name: str) -> CtiBridge:
        bridge = self.bridges[name] = CtiBridge(self.settings[name], self.bus, serves=self.serves[name])
        await bridge.start()
        await bridge.wait_connected(10)
        await bridge.flush()
        return bridge

    async def restart(self, name: str) -> int:
        """``name``'s bridge dies (its model with it; the bus and its Asterisk stay) and a new one
        starts and resyncs: the bus's last seq before the new bridge."""
        for bridge in self.bridges.values():
            await bridge.flush()
        await self.bridges[name].stop()
        cut = max(e.seq for e in await self.bus.replay(0, 100_000))
        await self.start_bridge(name)
        await asyncio.sleep(1.0)  # its resync's corrections, and anything the other bridge says
        for bridge in self.bridges.values():
            await bridge.flush()
        return cut

    async def _clear_leftovers(self) -> None:
        """Members a crashed earlier run left in the queue."""
        for net in self.nets.values():
            for f in await net.action_list("QueueStatus", Queue=QUEUE):
                if f.name == "QueueMember":
                    with contextlib.suppress(AmiActionError):
                        await net.action("QueueRemove", Queue=QUEUE, Interface=f.get("Location"))

    async def stop(self) -> None:
        for bridge in self.bridges.values():
            with contextlib.suppress(Exception):
                await bridge.stop()
        for net in self.nets.values():
            for agent in (MAIN_AGENT, SECOND_AGENT):
                with contextlib.suppress(Exception):
                    await net.action("QueueRemove", Queue=QUEUE, Interface=_seat(agent))
                for family, key in (("hotline-sim", f"ring-{agent}"), ("hotline-sim", f"talk-{agent}")):
                    with contextlib.suppress(Exception):
                        await net.action("DBDel", Family=family, Key=key)
                with contextlib.suppress(Exception):
                    await net.action("DBDel", Family="hotline-seat", Key=agent)
            with contextlib.suppress(Exception):
                await net.action(
                    "Hangup",
                    Channel=f"/^(Local/({MAIN_AGENT}|{SECOND_AGENT}|{CALLER_SECONDS})@|PJSIP/trunk-)/",
                )
            await net.stop()
        await self.sub.close()

    # -- the phones and the callers ----------------------------------------------------------
    async def ready_agent(self, name: str, agent: str) -> None:
        """``agent``'s seat on server ``name``: its phone answers after a second and holds the
        line; signed into the queue and ready."""
        net = self.nets[name]
        await net.action("DBPut", Family="hotline-sim", Key=f"ring-{agent}", Val="1")
        await net.action("DBPut", Family="hotline-sim", Key=f"talk-{agent}", Val="hold")
        bridge = self.bridges[name]
        assert (await bridge.login(agent, _seat(agent), {QUEUE: 0})).ok
        assert (await bridge.ready(agent)).ok

    async def call_in(self, name: str) -> None:
        await self.nets[name].action(
            "Originate",
            Channel=f"Local/{CALLER_SECONDS}@hotline-sim-caller/n",
            Context="hotline-queue",
            Exten=QUEUE,
            Priority=1,
            CallerID=f'"Caller" <{CALLER}>',
            Async="true",
        )

    # -- watching ----------------------------------------------------------------------------
    def of(self, event_type: type[Event], /, after: int = 0, **match: object) -> list[Event]:
        return [
            e
            for e in self.events
            if isinstance(e, event_type)
            and e.seq > after
            and all(getattr(e, k) == v for k, v in match.items())
        ]

    async def wait_for(self, event_type: type[Event], /, timeout: float = 15.0, **match: object) -> Event:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(event_type, **match)
            if found:
                return found[0]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {event_type.__name__} {match} within {timeout}s")


@pytest.fixture
async def servers(asterisk, second_asterisk, stories_lock):  # noqa: F811 - the fixtures imported above
    both = TwoServers(asterisk, second_asterisk)
    try:
        await both.start()
        yield both
    finally:
        await both.stop()


@pytest.fixture
async def trunks(servers, asterisk, tmp_path):
    """The trunks between the two Asterisks (``hotline-asterisk start`` with both servers listed,
    each with its SIP port), taken out again after; ``trunks()`` puts one back that another test
    session's start of the shared Asterisk took out (it installs the configs without them)."""
    config = tmp_path / "hotline.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "asterisk_servers": [
                    {"name": "main", "ami_host": "127.0.0.1", "ami_port": asterisk.port, "default": True},
                    {
                        "name": "second",
                        "ami_host": "127.0.0.1",
                        "ami_port": servers.settings["second"].ami_port,
                        "agents": ["8*"],
                        "system_name": SECOND_NAME,
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    roots = {"main": Path(asterisk.root), "second": SECOND_ROOT}
    await asyncio.to_thread(_with_sip_ports, config, roots)

    async def in_place() -> None:
        await trunks_in_place(servers.nets, roots, config)

    try:
        for root in roots.values():
            await asyncio.to_thread(_install, root, config)
        await in_place()
        yield in_place
    finally:
        for root in roots.values():
            await asyncio.to_thread(_install, root, None)


async def test_a_restarted_bridge_leaves_the_other_servers_agents_and_calls_alone(servers):
    """``main``'s bridge restarts while the agent on ``second`` talks with a caller there: the
    agent is not signed out, the call not ended, and neither is in ``main``'s model; ``main``'s
    own agent is taken back as before."""
    await servers.ready_agent("main", MAIN_AGENT)
    await servers.ready_agent("second", SECOND_AGENT)
    await servers.call_in("second")
    answered = await servers.wait_for(CallAnswered, agent_id=SECOND_AGENT)
    assert answered.call_id.startswith(f"{SECOND_NAME}-")
    await servers.wait_for(AgentStateChanged, agent_id=SECOND_AGENT, state="talking")

    cut = await servers.restart("main")

    assert not servers.of(AgentStateChanged, after=cut, agent_id=SECOND_AGENT)
    assert not servers.of(CallEnded, after=cut)
    main = servers.bridges["main"]
    assert main.agent(SECOND_AGENT) is None
    assert answered.call_id not in {call["call_id"] for call in main.calls()}
    # its own agent: still ready, nothing said again
    assert main.agent(MAIN_AGENT)["state"] == "ready"
    assert not servers.of(AgentStateChanged, after=cut, agent_id=MAIN_AGENT)
    # the other bridge still has its agent on the call, which ends as that bridge says
    second = servers.bridges["second"]
    assert (second.agent(SECOND_AGENT)["state"], second.agent(SECOND_AGENT)["call_id"]) == (
        "talking",
        answered.call_id,
    )
    assert (await second.hangup(SECOND_AGENT)).ok
    ended = await servers.wait_for(CallEnded, call_id=answered.call_id)
    assert [leg[0] for leg in ended.legs] == [SECOND_AGENT]
    assert len(servers.of(CallEnded, call_id=answered.call_id)) == 1


async def test_a_restarted_bridge_takes_the_seats_leg_of_a_relayed_call_as_that_call(servers, trunks):
    """A caller answered on ``main`` is handed to the agent on ``second`` over the trunk (转接), and
    ``second``'s bridge restarts while they talk: the seat is still on that call (its id, its
    caller), no call of the seat's own leg is started or ended, and the hang-up ends ``second``'s
    part as a relayed record with its agent's leg, ``main`` the call's own record, once."""
    await servers.ready_agent("main", MAIN_AGENT)
    await servers.ready_agent("second", SECOND_AGENT)
    await servers.call_in("main")
    call_id = (await servers.wait_for(CallAnswered, agent_id=MAIN_AGENT)).call_id
    await servers.wait_for(AgentStateChanged, agent_id=MAIN_AGENT, state="talking")
    await asyncio.sleep(0.2)  # both legs bridged
    await trunks()
    result = await servers.bridges["main"].transfer(MAIN_AGENT, "agent", SECOND_AGENT, server="second")
    assert result.ok, result
    await servers.wait_for(CallAnswered, agent_id=SECOND_AGENT, call_id=call_id)
    await servers.wait_for(AgentStateChanged, agent_id=SECOND_AGENT, state="talking")

    cut = await servers.restart("second")

    second = servers.bridges["second"]
    seat = second.agent(SECOND_AGENT)
    assert (seat["state"], seat["call_id"]) == ("talking", call_id)
    (call,) = second.calls()
    assert (call["call_id"], call["caller"], call["relayed"], call["agent_id"]) == (
        call_id,
        CALLER,
        "blind",
        SECOND_AGENT,
    )
    assert not servers.of(CallEnded, after=cut)
    assert not servers.of(CallStarted, after=cut)
    assert not servers.of(CallOffered, after=cut) and not servers.of(CallAnswered, after=cut)
    assert not servers.of(AgentStateChanged, after=cut, agent_id=SECOND_AGENT)

    assert (await second.hangup(SECOND_AGENT)).ok
    part = await servers.wait_for(CallEnded, call_id=call_id, relayed=True)
    assert [leg[0] for leg in part.legs] == [SECOND_AGENT]
    # the caller's leg on main hung up with the trunk: main's record of the call, its agent's leg
    record = await servers.wait_for(CallEnded, call_id=call_id, relayed=False)
    assert (record.caller, [leg[0] for leg in record.legs]) == (CALLER, [MAIN_AGENT])
    await asyncio.sleep(0.5)
    # one record of the call, one part from second; none of a call of the seat's own leg
    assert len(servers.of(CallEnded, call_id=call_id)) == 2
    assert not [e for e in servers.of(CallEnded, after=cut) if e.call_id != call_id]
