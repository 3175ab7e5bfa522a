"""A supervisor's listen / whisper / barge as the bridge follows it from AMI frames.

The bridge runs without Asterisk: frames are handed to its AMI client's dispatcher
as if they had arrived, and its actions are recorded instead of sent.
"""

from __future__ import annotations

import asyncio

import pytest

from cti.ami.protocol import Frame
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.call_events import CallEnded, SpyChanged
from cti.events import Event
from cti.mirror import BridgeMirror
from tests.cti.test_bridge_publishing import Phones

AGENT = "2001"
BOSS, BOSS_NAME = "8001", "王班长"
BOSS_SEAT = f"Local/{BOSS}@hotline-sim-phone/n"


@pytest.fixture
async def world():
    bus = InProcessBus()
    events: list[Event] = []

    async def record(event: Event) -> None:
        events.append(event)

    sub = bus.subscribe(record)
    bridge = CtiBridge(CtiSettings(ami_port=1, replay_history=False), bus)
    bridge.ami.backoff_initial = 3600.0  # no Asterisk here: one refused connect, then quiet
    actions: list[tuple[str, dict]] = []

    async def action(name: str, **fields: object) -> Frame:
        actions.append((name, fields))
        return Frame.build(Response="Success")

    bridge.ami.action = action  # type: ignore[method-assign]
    await bridge.start()
    phones = Phones(bridge)
    phones.agent(AGENT)
    phones.arrive(1, "13800138000")
    phones.ring(1, AGENT)
    phones.answer(1, AGENT)
    await settle(bridge)
    events.clear()
    yield bridge, phones, events, actions
    await bridge.stop()
    await sub.close()
    await bus.close()


async def settle(bridge: CtiBridge) -> None:
    for _ in range(5):
        await asyncio.sleep(0)
    await bridge.flush()
    await bridge.bus.drain()


def spy_frame(phones: Phones, name: str, spy_id: str) -> None:
    phones.feed(
        name,
        spy_id,
        SpyerChannel=f"Local/{BOSS}@hotline-sim-phone-00000009;1",
        SpyerUniqueid=spy_id,
        SpyeeChannel=f"Local/{AGENT}@hotline-sim-phone-00000001;1",
        SpyeeUniqueid="1700000000.12",
        SpyeeLinkedid="1700000000.10",
    )


async def start_spy(bridge: CtiBridge, phones: Phones, mode: str = "listen") -> str:
    result = await bridge.spy(BOSS_SEAT, AGENT, mode, BOSS, BOSS_NAME)
    assert result.ok, result
    spy_id = result.data["spy_channel_id"]
    spy_frame(phones, "ChanSpyStart", spy_id)
    await settle(bridge)
    return spy_id


def spies_of(events: list[Event]) -> list[SpyChanged]:
    return [e for e in events if isinstance(e, SpyChanged)]


async def test_a_spy_is_published_when_chanspy_starts_and_ends_with_its_channel(world):
    bridge, phones, events, actions = world
    result = await bridge.spy(BOSS_SEAT, AGENT, "listen", BOSS, BOSS_NAME)
    spy_id = result.data["spy_channel_id"]
    await settle(bridge)
    assert spies_of(events) == [] and bridge.spies() == []  # the supervisor's phone only rings yet
    originate = next(fields for name, fields in actions if name == "Originate")
    assert originate["ChannelId"] == spy_id and originate["Channel"] == BOSS_SEAT

    spy_frame(phones, "ChanSpyStart", spy_id)
    await settle(bridge)
    (started,) = spies_of(events)
    assert (started.spy_id, started.agent_id, started.call_id) == (spy_id, AGENT, "1700000000.10")
    assert (started.supervisor, started.supervisor_name, started.mode) == (BOSS, BOSS_NAME, "listen")
    assert started.ended is False and started.started_at > 0
    assert [s["spy_id"] for s in bridge.spies()] == [spy_id]

    phones.feed("Hangup", spy_id, Channel=f"Local/{BOSS}@hotline-sim-phone-00000009;1", Uniqueid=spy_id)
    await settle(bridge)
    assert [(e.spy_id, e.ended) for e in spies_of(events)] == [(spy_id, False), (spy_id, True)]
    assert bridge.spies() == []
    assert not any(isinstance(e, CallEnded) for e in events)  # the customer's call goes on


async def test_chanspy_stop_ends_it_once(world):
    bridge, phones, events, _ = world
    spy_id = await start_spy(bridge, phones)
    spy_frame(phones, "ChanSpyStop", spy_id)
    phones.feed("Hangup", spy_id, Channel="Local/x;1", Uniqueid=spy_id)
    await settle(bridge)
    assert [e.ended for e in spies_of(events)] == [False, True]


async def test_the_end_of_the_agents_call_ends_the_spy(world):
    bridge, phones, events, _ = world
    spy_id = await start_spy(bridge, phones, "barge")
    phones.end(1, AGENT)  # ChanSpyStop not seen (say, lost in a reconnect)
    await settle(bridge)
    ended = [e for e in spies_of(events) if e.ended]
    assert [(e.spy_id, e.mode) for e in ended] == [(spy_id, "barge")]
    assert bridge.spies() == []


async def test_an_unanswered_spy_or_someone_elses_chanspy_is_not_shown(world):
    bridge, phones, events, _ = world
    result = await bridge.spy(BOSS_SEAT, AGENT, "listen", BOSS, BOSS_NAME)
    spy_id = result.data["spy_channel_id"]
    phones.feed("Hangup", spy_id, Channel="Local/x;1", Uniqueid=spy_id)  # the supervisor did not answer
    spy_frame(phones, "ChanSpyStart", spy_id)  # (cannot happen after; and is not taken up)
    spy_frame(phones, "ChanSpyStart", "1700000000.99")  # a ChanSpy dialled by hand
    await settle(bridge)
    assert spies_of(events) == [] and bridge.spies() == []
    assert bridge.spy_book.expected == {}


async def test_stop_hangs_up_only_the_supervisors_own_spy_channel(world):
    bridge, phones, events, actions = world
    spy_id = await start_spy(bridge, phones)
    actions.clear()
    assert (await bridge.spy_stop(spy_id, "8002")).reason == "not_your_spy"
    assert (await bridge.spy_stop("spy-nothing", BOSS)).reason == "unknown_spy"
    assert actions == []
    assert (await bridge.spy_stop(spy_id, BOSS)).ok
    assert actions == [("Hangup", {"Channel": f"Local/{BOSS}@hotline-sim-phone-00000009;1", "Cause": 16})]


async def test_switching_mode_sends_chanspys_digit_into_the_spy_channel(world):
    bridge, phones, events, actions = world
    spy_id = await start_spy(bridge, phones)
    actions.clear()
    assert (await bridge.spy_mode(spy_id, BOSS, "shout")).reason == "invalid_spy_mode"
    assert (await bridge.spy_mode(spy_id, "8002", "whisper")).reason == "not_your_spy"
    assert (await bridge.spy_mode(spy_id, BOSS, "whisper")).ok
    assert (await bridge.spy_mode(spy_id, BOSS, "whisper")).ok  # already: nothing sent
    assert (await bridge.spy_mode(spy_id, BOSS, "barge")).ok
    await settle(bridge)
    channel = f"Local/{BOSS}@hotline-sim-phone-00000009;1"
    assert actions == [
        ("PlayDTMF", {"Channel": channel, "Digit": "5", "Receive": "true"}),
        ("PlayDTMF", {"Channel": channel, "Digit": "6", "Receive": "true"}),
    ]
    assert [e.mode for e in spies_of(events)] == ["listen", "whisper", "barge"]
    assert [s["mode"] for s in bridge.spies()] == ["barge"]


async def test_another_process_mirrors_the_spies_from_the_bus():
    mirror = BridgeMirror(InProcessBus())
    fields = {"supervisor": BOSS, "agent_id": AGENT, "call_id": "c1", "supervisor_name": BOSS_NAME}
    mirror.apply(SpyChanged(spy_id="spy-1", mode="listen", **fields, seq=1))
    mirror.apply(SpyChanged(spy_id="spy-2", mode="listen", **fields, seq=2))
    mirror.apply(SpyChanged(spy_id="spy-1", mode="whisper", **fields, seq=3))
    mirror.apply(SpyChanged(spy_id="spy-2", mode="listen", ended=True, **fields, seq=4))
    assert mirror.spies() == [{"spy_id": "spy-1", "mode": "whisper", "started_at": 0.0, **fields}]
    mirror.fill({"agents": [], "queues": [], "calls": [], "spies": []})  # the bridge has none now
    assert mirror.spies() == []
