"""The bridge's publishing on synthetic AMI frames: a pop waits for its own data and for nobody else's.

The bridge is started without Asterisk (nothing listens on its AMI port), and
frames are handed to its AMI client's dispatcher as if they had arrived.
"""

from __future__ import annotations

import asyncio
import struct
import time
from dataclasses import replace
from pathlib import Path

import pytest

from cti import recording
from cti.ami.protocol import Frame
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.call_events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallQueued,
    RecordingReady,
)
from cti.events import Event
from cti.publisher import Publisher


class Phones:
    """Callers and simulated agents, one call per ``n``."""

    def __init__(self, bridge: CtiBridge) -> None:
        self.bridge = bridge
        self.at = 100.0

    def feed(self, name: str, linked: str, **fields: str) -> None:
        self.at += 0.01
        frame = Frame.build(Event=name, Timestamp=f"{self.at:.6f}", Linkedid=linked, **fields)
        self.bridge.ami._dispatch(frame)

    def agent(self, ext: str) -> None:
        book = self.bridge.agent_book
        agent = book.ensure(ext, f"Local/{ext}@hotline-sim-phone/n")
        book.apply(agent, "login", 1.0)
        book.apply(agent, "ready", 2.0)

    def arrive(self, n: int, caller: str, **join: str) -> str:
        linked = f"1700000000.{n}0"
        self.feed(
            "Newchannel",
            linked,
            Channel=f"Local/95598@hotline-inbound-0000000{n};1",
            Uniqueid=linked,
            Context="hotline-inbound",
            Exten="95598",
            CallerIDNum=caller,
        )
        self.feed(
            "QueueCallerJoin",
            linked,
            Channel=f"Local/95598@hotline-inbound-0000000{n};2",
            Uniqueid=f"1700000000.{n}1",
            Queue="general",
            Position="1",
            CallerIDNum=caller,
            **join,
        )
        return linked

    def ring(self, n: int, ext: str) -> None:
        linked = f"1700000000.{n}0"
        self.feed(
            "Newchannel",
            linked,
            Channel=f"Local/{ext}@hotline-sim-phone-0000000{n};1",
            Uniqueid=f"1700000000.{n}2",
            Context="hotline-sim-phone",
        )
        self.feed(
            "AgentCalled",
            linked,
            Channel=f"Local/95598@hotline-inbound-0000000{n};2",
            Queue="general",
            Interface=f"Local/{ext}@hotline-sim-phone/n",
            MemberName=ext,
        )

    def answer(self, n: int, ext: str) -> None:
        self.feed(
            "AgentConnect",
            f"1700000000.{n}0",
            Queue="general",
            Interface=f"Local/{ext}@hotline-sim-phone/n",
            MemberName=ext,
            HoldTime="1",
        )

    def end(self, n: int, ext: str) -> None:
        linked = f"1700000000.{n}0"
        for uid, channel in (
            (f"{n}2", f"Local/{ext}@hotline-sim-phone-0000000{n};1"),
            (f"{n}1", f"Local/95598@hotline-inbound-0000000{n};2"),
            (f"{n}0", f"Local/95598@hotline-inbound-0000000{n};1"),
        ):
            self.feed("Hangup", linked, Channel=channel, Uniqueid=f"1700000000.{uid}", Cause="16")


class Lookups:
    """A customer lookup whose answer for a number comes when the test says so."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    def hold(self, number: str) -> asyncio.Event:
        return self.gates.setdefault(number, asyncio.Event())

    async def __call__(self, number: str) -> dict | None:
        self.asked.append(number)
        gate = self.gates.get(number)
        if gate is not None:
            await gate.wait()
        return {"id": int(number[-4:]), "name": f"customer {number}"}


@pytest.fixture
async def world():
    lookups = Lookups()
    bus = InProcessBus()
    events: list[Event] = []

    async def record(event: Event) -> None:
        events.append(event)

    sub = bus.subscribe(record)
    settings = CtiSettings(ami_port=1, replay_history=False, lookup_timeout=5.0)
    bridge = CtiBridge(settings, bus, customer_lookup=lookups)
    bridge.ami.backoff_initial = 3600.0  # no Asterisk here: one refused connect, then quiet
    await bridge.start()
    phones = Phones(bridge)
    for ext in ("2001", "2002"):
        phones.agent(ext)
    await bus.drain()
    events.clear()  # the agents' sign-in
    yield bridge, phones, lookups, events
    await bridge.stop()
    await sub.close()
    await bus.close()


def of_call(events: list[Event], call_id: str) -> list[str]:
    return [e.name for e in events if e.name.startswith("Call") and getattr(e, "call_id", None) == call_id]


async def settle(bus_owner: CtiBridge) -> None:
    for _ in range(5):
        await asyncio.sleep(0)
    await bus_owner.bus.drain()


async def test_the_caller_is_looked_up_when_the_first_channel_appears(world):
    bridge, phones, lookups, events = world
    phones.feed(
        "Newchannel",
        "1700000000.90",
        Channel="Local/95598@hotline-inbound-00000009;1",
        Uniqueid="1700000000.90",
        Context="hotline-inbound",
        Exten="95598",
        CallerIDNum="+86 138-0013-8000",
    )
    await settle(bridge)
    assert lookups.asked == ["13800138000"]  # before any queue, IVR or CallStarted
    phones.feed(
        "QueueCallerJoin",
        "1700000000.90",
        Channel="Local/95598@hotline-inbound-00000009;2",
        Queue="general",
        Position="1",
        CallerIDNum="+86 138-0013-8000",
    )
    await settle(bridge)
    assert lookups.asked == ["13800138000"]  # not a second time when the call starts


async def test_a_caller_whose_number_comes_just_after_the_channel_is_looked_up_then(world):
    bridge, phones, lookups, events = world
    first = dict(
        Channel="Local/95598@hotline-inbound-00000008;1",
        Uniqueid="1700000000.80",
        Context="hotline-inbound",
        Exten="95598",
    )
    phones.feed("Newchannel", "1700000000.80", CallerIDNum="<unknown>", **first)  # as Originate makes it
    await settle(bridge)
    assert lookups.asked == []
    phones.feed("NewCallerid", "1700000000.80", CallerIDNum="13800138001", **first)
    await settle(bridge)
    assert lookups.asked == ["13800138001"]  # before the queue, as for any first channel
    second = dict(first, Channel="Local/95598@hotline-inbound-00000008;2", Uniqueid="1700000000.81")
    phones.feed("NewCallerid", "1700000000.80", CallerIDNum="13800138001", **second)  # the other leg
    phones.feed(
        "QueueCallerJoin", "1700000000.80", Queue="general", Position="1", CallerIDNum="13800138001", **second
    )
    await settle(bridge)
    assert lookups.asked == ["13800138001"]  # once


async def test_a_slow_lookup_for_one_call_does_not_delay_another_calls_pop(world):
    bridge, phones, lookups, events = world
    slow = lookups.hold("13800000001")
    a = phones.arrive(1, "13800000001")
    b = phones.arrive(2, "13800000002")
    phones.ring(1, "2001")
    phones.ring(2, "2002")
    phones.answer(2, "2002")
    await settle(bridge)
    assert of_call(events, b) == ["CallStarted", "CallQueued", "CallOffered", "CallAnswered"]
    assert [e.state for e in events if isinstance(e, AgentStateChanged) and e.agent_id == "2002"] == [
        "ringing",
        "talking",
    ]
    assert "CallOffered" not in of_call(events, a)  # still waiting for its customer
    slow.set()
    await bridge.flush()
    await settle(bridge)
    pop = next(e for e in events if isinstance(e, CallOffered) and e.call_id == a)
    assert pop.customer == {"id": 1, "name": "customer 13800000001"}


async def test_a_calls_later_events_wait_behind_its_pop(world):
    bridge, phones, lookups, events = world
    slow = lookups.hold("13800000001")
    a = phones.arrive(1, "13800000001")
    phones.ring(1, "2001")
    phones.answer(1, "2001")
    await settle(bridge)
    assert of_call(events, a) == ["CallStarted", "CallQueued"]
    # The agent's own later states wait too: no "talking" before the pop.
    assert [e.state for e in events if isinstance(e, AgentStateChanged) and e.agent_id == "2001"] == [
        "ringing"
    ]
    slow.set()
    await bridge.flush()
    phones.end(1, "2001")
    await bridge.flush()
    await settle(bridge)
    assert of_call(events, a) == ["CallStarted", "CallQueued", "CallOffered", "CallAnswered", "CallEnded"]
    assert next(e for e in events if isinstance(e, CallOffered)).customer["id"] == 1
    states = [e for e in events if isinstance(e, AgentStateChanged) and e.agent_id == "2001"]
    assert [e.state for e in states] == ["ringing", "talking", "ready"]
    pop_at = next(i for i, e in enumerate(events) if isinstance(e, CallOffered))
    assert all(events.index(e) > pop_at for e in states[1:])
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs)


async def test_a_call_that_ends_during_its_lookup_pops_without_customer_then_ends(world):
    bridge, phones, lookups, events = world
    lookups.hold("13800000001")  # never answers; the end cancels it
    a = phones.arrive(1, "13800000001")
    phones.ring(1, "2001")
    phones.end(1, "2001")
    await bridge.flush()
    await settle(bridge)
    assert of_call(events, a) == ["CallStarted", "CallQueued", "CallOffered", "CallEnded"]
    assert next(e for e in events if isinstance(e, CallOffered)).customer is None


async def test_a_lookup_that_times_out_still_pops_without_the_customer(world):
    bridge, phones, lookups, events = world
    bridge.settings.lookup_timeout = 0.05
    lookups.hold("13800000001")  # never answers
    a = phones.arrive(1, "13800000001")
    phones.ring(1, "2001")
    phones.answer(1, "2001")
    await asyncio.sleep(0.2)
    await settle(bridge)
    pop = next(e for e in events if isinstance(e, CallOffered) and e.call_id == a)
    assert pop.customer is None and pop.caller == "13800000001" and pop.agent_id == "2001"
    assert of_call(events, a) == ["CallStarted", "CallQueued", "CallOffered", "CallAnswered"]


async def test_a_ready_lookup_pops_at_once(world):
    bridge, phones, lookups, events = world
    a = phones.arrive(1, "13800000001")
    await settle(bridge)  # the lookup started at the first channel is back before the phone rings
    phones.ring(1, "2001")
    last = (await bridge.bus.replay(0))[-1]  # replay does not suspend: nothing ran in between
    assert isinstance(last, CallOffered) and last.call_id == a
    assert last.customer == {"id": 1, "name": "customer 13800000001"}


async def test_the_ivr_path_on_the_queue_join_pops_without_asking_asterisk(world):
    bridge, phones, lookups, events = world
    # manager.conf's channelvars = HOTLINE_IVR_PATH puts it on the event
    a = phones.arrive(1, "13800000001", ChanVariable="HOTLINE_IVR_PATH=top:1/outage:1")
    assert a not in bridge._ivr_paths  # no Getvar
    await settle(bridge)
    phones.ring(1, "2001")
    last = (await bridge.bus.replay(0))[-1]
    assert isinstance(last, CallOffered) and last.ivr_path == ("top:1", "outage:1")


async def test_the_ivr_path_is_read_from_the_callers_own_channel_variables(world):
    bridge, phones, lookups, events = world
    a = phones.arrive(
        1,
        "13800000001",
        ChanVariable=["HOTLINE_LANG=zh", "HOTLINE_IVR_PATH=top:2/fault:3"],
        DestChanVariable="HOTLINE_IVR_PATH=not:mine",
    )
    b = phones.arrive(2, "13800000002", ChanVariable="HOTLINE_IVR_PATH=")  # the IVR set none
    assert a not in bridge._ivr_paths and b not in bridge._ivr_paths  # no Getvar for either
    assert bridge.model.calls[a].ivr_path == ["top:2", "fault:3"]
    assert bridge.model.calls[b].ivr_path == []


async def test_the_recording_is_named_as_the_dialplan_names_it(world):
    bridge, phones, lookups, events = world
    a = phones.arrive(1, "13800000001")
    phones.feed("MixMonitorStart", a, Channel="Local/95598@hotline-inbound-00000001;2")
    call = bridge.model.calls[a]
    assert call.recording == recording.dialplan_path(a, time.time(), bridge._utc_offset)
    assert call.recording.startswith(recording.REC_DIR + "/") and call.recording.endswith(f"/{a}.wav")


def closed_recording(path: str, seconds: int) -> None:
    """A WAV file as Asterisk leaves it (8 kHz 16-bit mono, sizes in the header)."""
    data = b"\0" * 16000 * seconds
    fmt = struct.pack("<I", 16) + struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + fmt
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(header + b"data" + struct.pack("<I", len(data)) + data)


async def test_recordings_are_announced_once_closed_where_the_dialplan_or_a_search_finds_them(
    world, tmp_path
):
    bridge, phones, lookups, events = world
    bridge.settings.asterisk_root = str(tmp_path)
    a = phones.arrive(1, "13800000001")
    phones.feed("MixMonitorStart", a, Channel="Local/95598@hotline-inbound-00000001;2")
    b = phones.arrive(2, "13800000002")  # its MixMonitorStart was missed
    for n, ext in ((1, "2001"), (2, "2002")):
        phones.ring(n, ext)
        phones.answer(n, ext)
    where_a = recording.host_path(str(tmp_path), bridge.model.calls[a].recording)
    where_b = recording.host_path(str(tmp_path), f"{recording.REC_DIR}/20200101/{b}.wav")
    closed_recording(where_a, 2)
    closed_recording(where_b, 3)
    phones.end(1, "2001")
    phones.end(2, "2002")
    for _ in range(100):
        ready = {e.call_id: e for e in events if isinstance(e, RecordingReady)}
        if len(ready) == 2:
            break
        await asyncio.sleep(0.05)
    assert (ready[a].path, ready[a].duration, ready[a].agent_id) == (where_a, 2.0, "2001")
    assert (ready[b].path, ready[b].duration, ready[b].agent_id) == (where_b, 3.0, "2002")


def garbled_recording(path: str) -> None:
    """A WAV file whose header cannot be read: a fmt chunk cut short after a padding chunk."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(
        b"RIFF\0\0\0\0WAVE" + b"JUNK" + struct.pack("<I", 30) + b"\0" * 30 + b"fmt \x10\0\0\0\x01\0"
    )


async def test_an_unreadable_recording_is_logged_and_leaves_the_other_calls_alone(world, tmp_path, caplog):
    bridge, phones, lookups, events = world
    bridge.settings.asterisk_root = str(tmp_path)
    calls = []
    for n, ext in ((1, "2001"), (2, "2002")):
        call_id = phones.arrive(n, f"1380000000{n}")
        phones.feed("MixMonitorStart", call_id, Channel=f"Local/95598@hotline-inbound-0000000{n};2")
        phones.ring(n, ext)
        phones.answer(n, ext)
        calls.append(call_id)
    garbled, good = (recording.host_path(str(tmp_path), bridge.model.calls[c].recording) for c in calls)
    garbled_recording(garbled)
    closed_recording(good, 1)
    phones.end(1, "2001")
    phones.end(2, "2002")
    for _ in range(100):
        if any(isinstance(e, RecordingReady) for e in events) and "unreadable" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert [e.call_id for e in events if isinstance(e, RecordingReady)] == [calls[1]]
    assert f"of call {calls[0]} unreadable" in caplog.text
    assert not bridge._tasks  # the waits were callbacks: nothing left running


def test_dialplan_path_uses_asterisks_local_date():
    at = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC
    assert recording.dialplan_path("1.2", at, 0.0) == f"{recording.REC_DIR}/20260921/1.2.wav"
    assert recording.dialplan_path("1.2", at + 10 * 3600, 8 * 3600.0).split("/")[-2] == "20260922"
    assert recording.parse_utc_offset("+0800") == 28800.0
    assert recording.parse_utc_offset("-0330") == -12600.0
    assert recording.parse_utc_offset("") is None


class AwaitedBus:
    """A bus whose publish must be awaited (like Redis): it answers late, in its own time."""

    def __init__(self) -> None:
        self.published: list[Event] = []

    async def publish(self, event: Event) -> Event:
        await asyncio.sleep(0.001)
        self.published.append(event)
        return event


async def test_a_bus_that_must_be_awaited_gets_the_events_in_order():
    bus = AwaitedBus()
    publisher = Publisher(bus)  # type: ignore[arg-type]
    lookup: asyncio.Future = asyncio.get_running_loop().create_future()
    publisher.publish(CallQueued(call_id="a", queue="q"))
    publisher.hold(CallOffered(call_id="a", agent_id="1"), [lookup], 5.0, lambda e: replace(e, queue="q"))
    publisher.publish(CallAnswered(call_id="a", agent_id="1"))
    publisher.publish(CallQueued(call_id="b", queue="q"))
    publisher.publish(CallEnded(call_id="a", direction="inbound", outcome="answered"))
    await asyncio.sleep(0.05)
    assert [(e.name, e.call_id) for e in bus.published] == [("CallQueued", "a"), ("CallQueued", "b")]
    lookup.set_result(None)
    await publisher.flush()
    assert [(e.name, e.call_id) for e in bus.published] == [
        ("CallQueued", "a"),
        ("CallQueued", "b"),
        ("CallOffered", "a"),
        ("CallAnswered", "a"),
        ("CallEnded", "a"),
    ]
    assert bus.published[2].queue == "q"
    await publisher.close()


class BatchingBus(AwaitedBus):
    """An awaited bus that also takes batches (like RedisBus): which events came together."""

    def __init__(self, fail_batches: bool = False) -> None:
        super().__init__()
        self.batches: list[list[str]] = []
        self.fail_batches = fail_batches

    async def publish(self, event: Event) -> Event:
        if getattr(event, "queue", "") == "broken":
            raise ValueError("cannot serialise")
        return await super().publish(event)

    async def publish_batch(self, events: list[Event]) -> list[Event]:
        await asyncio.sleep(0.001)
        if self.fail_batches:
            raise ValueError("one of them cannot be serialised")
        self.batches.append([e.call_id for e in events])
        self.published.extend(events)
        return list(events)


async def test_what_queues_up_while_the_bus_is_awaited_goes_out_together_in_order():
    bus = BatchingBus()
    publisher = Publisher(bus)  # type: ignore[arg-type]
    for name in "abc":
        publisher.publish(CallQueued(call_id=name, queue="q"))
    await asyncio.sleep(0)  # the sender takes all three: one batch
    for name in "de":  # queued while that batch is awaited: the next one
        publisher.publish(CallQueued(call_id=name, queue="q"))
    await publisher.flush()
    assert bus.batches == [["a", "b", "c"], ["d", "e"]]
    assert [e.call_id for e in bus.published] == ["a", "b", "c", "d", "e"]
    await publisher.close()


async def test_a_batch_the_bus_refuses_goes_event_by_event_and_only_the_bad_one_is_lost():
    bus = BatchingBus(fail_batches=True)
    publisher = Publisher(bus)  # type: ignore[arg-type]
    publisher.publish(CallQueued(call_id="a", queue="q"))
    publisher.publish(CallQueued(call_id="b", queue="broken"))
    publisher.publish(CallQueued(call_id="c", queue="q"))
    await publisher.flush()
    assert [e.call_id for e in bus.published] == ["a", "c"]
    await publisher.close()
