"""A bridge whose Asterisk reports another ``systemname`` than its ``asterisk_servers`` entry:
call ids of two servers could then be equal, so it takes nothing from that Asterisk (no calls,
no commands), says so once in the log and to the consoles (down, the reason given), and takes it
again once the Asterisk it reconnects to reports the configured one."""

from __future__ import annotations

import asyncio
import logging

from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.call_events import AmiConnectionChanged
from cti.events import Event
from tests.cti.test_ami_client import FakeAmi


async def _until(check, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - polled: the bridge has no event for each of these
            await asyncio.sleep(0.02)


async def test_a_wrong_systemname_is_refused_until_the_asterisk_has_the_right_one(caplog):
    fake = FakeAmi()
    await fake.start()
    fake.script["CoreSettings"] = {"Response": "Success", "SystemName": "hotline1"}
    bus = InProcessBus()
    events: list[Event] = []

    async def record(event: Event) -> None:
        events.append(event)

    sub = bus.subscribe(record, types=[AmiConnectionChanged])
    settings = CtiSettings(
        ami_port=fake.port, ami_secret="s3cret", replay_history=False, system_name="hotline2"
    )
    bridge = CtiBridge(settings, bus)
    bridge.ami.backoff_initial, bridge.ami.backoff_max = 0.05, 0.1
    resyncs = []

    async def resync(ami) -> None:  # the fake has no channels or queues to read
        resyncs.append(ami)

    bridge._resync = resync  # type: ignore[method-assign]
    caplog.set_level(logging.ERROR, logger="cti.bridge")
    try:
        await bridge.start()
        await _until(lambda: fake.logins >= 3)  # it tried again, and again refused
        await bus.drain()
        assert not bridge.connected and not resyncs  # nothing was read from that Asterisk
        assert "systemname 'hotline1', configured 'hotline2'" in bridge.misconfigured
        said = [e for e in events if e.server == bridge.ami.server]
        assert said and not any(e.connected for e in said)
        assert said[-1].reason == bridge.misconfigured
        errors = [r for r in caplog.records if "systemname" in r.getMessage()]
        assert len(errors) == 1  # one clear line, not one per attempt
        assert "hotline1" in errors[0].getMessage() and "hotline2" in errors[0].getMessage()
        result = await bridge.ready("1001")
        assert not result.ok

        # systemname fixed (asterisk.conf, Asterisk restarted): the next connection is taken
        fake.script["CoreSettings"] = {"Response": "Success", "SystemName": "hotline2"}
        await _until(lambda: bridge.connected)
        await bus.drain()
        assert bridge.misconfigured == "" and resyncs
        assert events[-1].connected
    finally:
        await bridge.stop()
        await sub.close()
        await bus.close()
        await fake.stop()


async def test_a_bridge_with_no_system_name_to_check_asks_nothing():
    fake = FakeAmi()
    await fake.start()
    bus = InProcessBus()
    bridge = CtiBridge(CtiSettings(ami_port=fake.port, ami_secret="s3cret", replay_history=False), bus)

    async def resync(ami) -> None:
        pass

    bridge._resync = resync  # type: ignore[method-assign]
    try:
        await bridge.start()
        await _until(lambda: bridge.connected)
        assert not any(a["Action"] == "CoreSettings" for a in fake.actions)
    finally:
        await bridge.stop()
        await bus.close()
        await fake.stop()


async def test_the_servers_health_says_which_server_is_misconfigured_and_why():
    """The supervisors' list of servers (``servers()`` of the console's bridge, one process or
    several): a refused server is ``misconfigured`` with its bridge's reason, not merely down."""
    from cti.local_bridges import LocalBridges
    from hotline.config import load_settings
    from hotline.runtime import remote_bridge

    class Stub:
        customer_lookup = None

        def __init__(self, connected: bool, misconfigured: str = "") -> None:
            self.connected, self.misconfigured = connected, misconfigured

    why = "misconfigured: systemname 'hotline1', configured 'sz'"
    local = LocalBridges({"gz": Stub(True), "sz": Stub(False, why)}, lambda agent: None, "gz")
    assert {s["server"]: (s["state"], s["reason"]) for s in local.servers()} == {
        "gz": ("up", ""),
        "sz": ("misconfigured", why),
    }

    servers = (
        "[{name: gz, ami_host: 127.0.0.1, ami_port: 15038, default: true, system_name: gz},"
        " {name: sz, ami_host: 127.0.0.1, ami_port: 15039, agents: ['52*'], system_name: sz}]"
    )
    env = {
        "HOTLINE_ASTERISK_SERVERS": servers,
        "HOTLINE_DATA_DIR": "/tmp",
        "HOTLINE_BUS_URL": "redis://127.0.0.1:6379/0",
    }
    settings = load_settings(env=env)
    bus = InProcessBus()
    remote = remote_bridge(settings, bus)
    remote._connection_seen(AmiConnectionChanged(connected=False, server="127.0.0.1:15038", reason="eof"))
    remote._connection_seen(AmiConnectionChanged(connected=False, server="127.0.0.1:15039", reason=why))
    assert {s["server"]: (s["state"], s["reason"]) for s in remote.servers()} == {
        "gz": ("down", "eof"),
        "sz": ("misconfigured", why),
    }
    await bus.close()
