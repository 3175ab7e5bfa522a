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


async def test_asterisk_sends_only_the_events_listened_for_and_lists_still_come_whole(asterisk, monkeypatch):
    from cti.ami import client as ami_client

    received: dict[int, bytearray] = {}
    feed = ami_client._Link.data_received

    def counting(link, data: bytes) -> None:  # what Asterisk wrote to each session, before we skip any
        received.setdefault(id(link.client), bytearray()).extend(data)
        feed(link, data)

    monkeypatch.setattr(ami_client._Link, "data_received", counting)
    tag = uuid.uuid4().hex[:8]
    member = f"Local/{tag}@nowhere/n"
    marks: dict[str, list[str]] = {"filtered": [], "whole": []}
    filtered = client(asterisk)
    whole = AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret, server_filter=False)
    for name, ami in (("filtered", filtered), ("whole", whole)):
        ami.on_event(
            "UserEvent", lambda f, seen=marks[name]: seen.append(f["Tag"]) if f.get("Tag") == tag else None
        )
    async with filtered, whole:
        await filtered.action("QueueAdd", Queue="cti-b", Interface=member, Paused="true")
        await filtered.action("QueueRemove", Queue="cti-b", Interface=member)
        await filtered.action("UserEvent", UserEvent="HotlineFilterTest", Tag=tag)
        for _ in range(100):
            if marks["filtered"] and marks["whole"]:
                break
            await asyncio.sleep(0.02)
        assert marks == {"filtered": [tag], "whole": [tag]}
        assert f"Interface: {member}".encode() in received[id(whole)]  # QueueMemberAdded and …Removed
        assert f"Interface: {member}".encode() not in received[id(filtered)]
        # An action's own listed events are never filtered.
        params = [
            f for f in await filtered.action_list("QueueStatus", Queue="cti-b") if f.name == "QueueParams"
        ]
        assert [f["Queue"] for f in params] == ["cti-b"]
        # A listener for a new event: Asterisk is asked for it too, from then on.
        added: list[str] = []
        filtered.on_event("QueueMemberAdded", lambda f: added.append(f["Interface"]))
        # Asterisk reads a session's actions in order: the Filter for it is in place now.
        await filtered.action("QueueAdd", Queue="cti-b", Interface=member, Paused="true")
        await filtered.action("QueueRemove", Queue="cti-b", Interface=member)
        for _ in range(100):
            if added:
                break
            await asyncio.sleep(0.02)
        assert added == [member]


async def test_manager_conf_keeps_the_dialplan_chatter_out_of_even_a_whole_stream(asterisk):
    names: list[str] = []
    ami = AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret, server_filter=False)
    ami.on_event("*", lambda f: names.append(f.name))
    async with ami:
        await ami.action(
            "Originate",
            Channel="Local/30@hotline-sim-caller/n",
            Application="Wait",
            Data="0.1",
            Async="true",
        )
        for _ in range(100):
            if names.count("Hangup") >= 2:
                break
            await asyncio.sleep(0.02)
    assert names.count("Hangup") >= 2 and "Newchannel" in names  # the call ran its dialplan …
    assert not {"Newexten", "VarSet", "TestEvent"} & set(names)  # … and none of that came
