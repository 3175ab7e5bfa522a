"""Our AMI client against the real Asterisk: login, actions, lists, errors, events."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from cti.ami import AmiActionError, AmiClient, AmiNotConnected

pytestmark = pytest.mark.asterisk


def client(asterisk, secret: str | None = None) -> AmiClient:
    return AmiClient(asterisk.host, asterisk.port, asterisk.username, secret or asterisk.secret)


async def test_actions_lists_command_output_and_errors(asterisk):
    async with client(asterisk) as ami:
        assert (await ami.action("Ping")).name == "Success"
        out = await ami.action("Command", Command="core show uptime")
        assert any("uptime" in line.lower() for line in out.output)
        params = [f for f in await ami.action_list("QueueStatus", Queue="cti-b") if f.name == "QueueParams"]
        assert [f["Queue"] for f in params] == ["cti-b"]
        with pytest.raises(AmiActionError) as err:
            await ami.action("QueuePause", Interface=f"Local/{uuid.uuid4().hex[:6]}@nowhere/n", Paused="true")
        assert err.value.message == "Interface not found"


async def test_only_listened_events_are_dispatched_in_order(asterisk):
    tag = uuid.uuid4().hex[:8]
    got: list[str] = []
    async with client(asterisk) as ami:
        ami.on_event("UserEvent", lambda f: got.append(f["Seq"]) if f.get("Tag") == tag else None)
        for n in range(50):
            await ami.action("UserEvent", UserEvent="HotlineClientTest", Tag=tag, Seq=str(n))
        for _ in range(100):
            if len(got) == 50:
                break
            await asyncio.sleep(0.02)
        assert got == [str(n) for n in range(50)]
        # Nobody listens to Newchannel: those frames were dropped unparsed.
        assert ami._link is not None and b"Newchannel" not in (ami._link.proto.wanted or {b"Newchannel"})


async def test_wrong_secret_never_connects_and_says_why(asterisk):
    ami = client(asterisk, secret="not-the-secret")
    await ami.start()
    try:
        with pytest.raises(AmiNotConnected):
            await ami.wait_connected(timeout=1.5)
        assert "Authentication failed" in ami.last_error
    finally:
        await ami.stop()
