"""One contract, two buses: InProcessBus and RedisBus behave the same."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from cti.bus import InProcessBus
from cti.call_events import AgentStateChanged, CallEnded, CallOffered
from cti.redis_bus import RedisBus

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["inprocess", "redis"])
async def bus(request):
    if request.param == "inprocess":
        b = InProcessBus()
        yield b
        await b.close()
        return
    stream = f"test:hotline:{uuid.uuid4().hex}"
    b = RedisBus(REDIS_URL, stream=stream, block_ms=50, claim_idle=0.3)
    try:
        await b.redis.ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield b
    await b.redis.delete(stream, f"{stream}:seq")
    await b.close()


async def settle(received: list, count: int, timeout: float = 3.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(received) < count and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)


def offered(n: int) -> CallOffered:
    return CallOffered(call_id=f"c{n}", agent_id="1001", caller="13800138000", ivr_path=("1", "2"))


async def test_publish_stamps_increasing_seq_and_time(bus):
    first = await bus.publish(offered(1))
    second = await bus.publish(offered(2))
    assert 0 < first.seq < second.seq
    assert first.ts > 0 and first.call_id == "c1"


async def test_every_plain_subscriber_sees_every_event_in_order(bus):
    a, b = [], []

    async def to_a(e):
        a.append(e)

    async def to_b(e):
        b.append(e)

    subs = [bus.subscribe(to_a), bus.subscribe(to_b)]
    for n in range(20):
        await bus.publish(offered(n))
    await settle(a, 20)
    await settle(b, 20)
    assert [e.call_id for e in a] == [f"c{n}" for n in range(20)] == [e.call_id for e in b]
    assert [e.seq for e in a] == sorted(e.seq for e in a)
    assert a[0].ivr_path == ("1", "2")
    for s in subs:
        await s.close()


async def test_types_filter(bus):
    got = []

    async def handler(e):
        got.append(e)

    sub = bus.subscribe(handler, types=[AgentStateChanged])
    await bus.publish(offered(1))
    await bus.publish(
        AgentStateChanged(agent_id="1001", state="ready", previous="not_ready", seconds_in_previous=3.5)
    )
    await settle(got, 1)
    assert [e.name for e in got] == ["AgentStateChanged"]
    assert got[0].seconds_in_previous == 3.5
    await sub.close()


async def test_a_group_shares_the_stream_each_event_once(bus):
    a, b, watcher = [], [], []

    def collect(into):
        async def handler(e):
            into.append(e.call_id)

        return handler

    subs = [
        bus.subscribe(collect(a), group="ticketing"),
        bus.subscribe(collect(b), group="ticketing"),
        bus.subscribe(collect(watcher)),
    ]
    for n in range(30):
        await bus.publish(offered(n))
    await settle(watcher, 30)
    for _ in range(100):
        if len(a) + len(b) >= 30:
            break
        await asyncio.sleep(0.02)
    assert sorted(a + b, key=lambda c: int(c[1:])) == [f"c{n}" for n in range(30)]
    assert len(watcher) == 30
    for s in subs:
        await s.close()


async def test_replay_after_a_seq(bus):
    stamped = [await bus.publish(offered(n)) for n in range(5)]
    again = await bus.replay(stamped[1].seq)
    assert [e.call_id for e in again] == ["c2", "c3", "c4"]
    assert [e.seq for e in again] == [e.seq for e in stamped[2:]]
    assert [e.call_id for e in await bus.replay(0, limit=2)] == ["c0", "c1"]


async def test_a_failing_handler_does_not_stop_later_events(bus):
    got = []

    async def handler(e):
        if e.call_id == "c1":
            raise RuntimeError("boom")
        got.append(e.call_id)

    sub = bus.subscribe(handler)
    for n in range(3):
        await bus.publish(offered(n))
    await settle(got, 2)
    assert got == ["c0", "c2"]
    await sub.close()


async def test_whole_call_record_round_trips(bus):
    got = []

    async def handler(e):
        got.append(e)

    sub = bus.subscribe(handler)
    record = CallEnded(
        call_id="1795.1",
        direction="inbound",
        outcome="answered",
        agents_offered=("1001", "1002"),
        hangup_cause=16,
    )
    sent = await bus.publish(record)
    await settle(got, 1)
    assert got == [sent]
    await sub.close()


async def test_redis_group_redelivers_what_a_failed_consumer_left(bus):
    if not isinstance(bus, RedisBus):
        pytest.skip("in-process delivery has no acknowledgement to lose")
    attempts = []

    async def flaky(e):
        attempts.append(e.call_id)
        if len(attempts) == 1:
            raise RuntimeError("crashed before acknowledging")

    sub = bus.subscribe(flaky, group="g")
    await bus.publish(offered(1))
    await settle(attempts, 2, timeout=3)
    assert attempts[:2] == ["c1", "c1"]
    pending = await bus.redis.xpending(bus.stream, "g")
    assert pending["pending"] == 0
    await sub.close()


def test_stamping_copies_the_event_and_leaves_the_original_alone():
    import dataclasses

    from cti.call_events import CallOffered

    original = CallOffered(call_id="1.1", agent_id="1001", ivr_path=("1",), customer={"name": "张三"})
    stamped = original.stamped(7, 123.0)
    assert stamped == dataclasses.replace(original, seq=7, ts=123.0)
    assert (original.seq, original.ts) == (0, 0.0) and stamped is not original
    assert type(stamped) is CallOffered and hash(stamped.call_id) == hash(original.call_id)


async def test_the_publisher_hands_its_events_over_stamped_in_place_and_a_stamped_one_never_changes():
    import dataclasses

    from cti.publisher import Publisher

    bus = InProcessBus()
    received: list = []

    async def handler(event):
        received.append(event)

    sub = bus.subscribe(handler)
    publisher = Publisher(bus)
    built = CallOffered(call_id="1.1", agent_id="1001", ivr_path=("1",), customer={"name": "张三"}, ts=5.0)
    expected = dataclasses.replace(built, seq=1)
    publisher.publish(built)
    await bus.drain()
    # No copy: what the subscribers, the history and replay hold is the very event built, stamped.
    assert received == [expected] and received[0] is built
    assert (await bus.replay(0))[0] is built
    # Handed over again, it is copied: the event the bus already gave out keeps its stamp.
    publisher.publish(built)
    await bus.drain()
    assert [e.seq for e in received] == [1, 2] and received[0] == expected and received[1] is not built
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.seq = 9  # type: ignore[misc]
    await sub.close()


async def test_in_process_subscribers_that_leave_get_nothing_more_and_the_rest_share_on():
    bus = InProcessBus()
    plain, left, grouped_a, grouped_b = [], [], [], []

    def to(received: list):
        async def handler(event):
            received.append(event.call_id)

        return handler

    bus.subscribe(to(plain))
    leaving = bus.subscribe(to(left))
    bus.subscribe(to(grouped_a), group="workers")
    leaving_worker = bus.subscribe(to(grouped_b), group="workers")
    for n in range(4):
        bus.publish_nowait(offered(n))
    await bus.drain()
    await leaving.close()
    await leaving_worker.close()
    for n in range(4, 8):
        bus.publish_nowait(offered(n))
    await bus.drain()
    assert plain == [f"c{n}" for n in range(8)]
    assert left == [f"c{n}" for n in range(4)]
    assert grouped_b == ["c1", "c3"]
    assert grouped_a == ["c0", "c2", "c4", "c5", "c6", "c7"]
    await bus.close()


async def test_a_batch_is_published_in_its_order_in_one_go(bus):
    if not hasattr(bus, "publish_batch"):
        pytest.skip("only a bus that must be awaited takes batches")
    seen = []

    async def collect(e):
        seen.append(e)

    sub = bus.subscribe(collect)
    await asyncio.sleep(0.05)
    stamped = await bus.publish_batch([offered(n) for n in range(5)])
    assert [e.call_id for e in stamped] == ["c0", "c1", "c2", "c3", "c4"]
    assert [e.seq for e in stamped] == list(range(stamped[0].seq, stamped[0].seq + 5))
    await settle(seen, 5)
    assert [(e.call_id, e.seq) for e in seen] == [(e.call_id, e.seq) for e in stamped]
    await sub.close()


async def test_a_redis_that_lost_the_publishing_script_gets_it_again_and_the_batch_goes_once():
    stream = f"test:hotline:{uuid.uuid4().hex}"
    bus = RedisBus(REDIS_URL, stream=stream, block_ms=50)
    try:
        bus._publish.sha = "0" * 40  # as after a restart or SCRIPT FLUSH: the server knows no such script
        stamped = await bus.publish_batch([offered(1), offered(2)])
        assert [e.call_id for e in stamped] == ["c1", "c2"] and stamped[1].seq == stamped[0].seq + 1
        assert [e.call_id for e in await bus.replay(0)] == ["c1", "c2"]  # each once
    finally:
        await bus.redis.delete(stream, f"{stream}:seq")
        await bus.close()
