"""The dispatcher delivers a message as soon as its row is committed: the queuing transaction
publishes ``NotificationQueued`` after its commit, on the in-process bus or on Redis (another
process), and the dispatcher's poll is only the fallback. Retries still wait for their time."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import pytest
from sqlalchemy import select

from cti.bus import InProcessBus
from cti.redis_bus import RedisBus
from ticketing.events import publish_pending
from ticketing.models import Notification
from ticketing.notify import Dispatcher, GatewayError, send_message

REDIS_URL = "redis://127.0.0.1:6379/0"
POLL = 60.0  # far longer than any wait here: whatever goes out, went out because it was woken


class Phones:
    """An SMS gateway that notes when each message arrived; ``busy`` numbers fail for now."""

    def __init__(self, busy: tuple[str, ...] = (), seconds: float = 0.0) -> None:
        self.busy = busy
        self.seconds = seconds
        self.arrived: list[tuple[str, str, float]] = []
        self.tried: dict[str, list[float]] = {}
        self.changed = asyncio.Event()

    async def send(self, recipient: str, subject: str, body: str) -> None:
        self.tried.setdefault(recipient, []).append(time.monotonic())
        self.changed.set()
        await asyncio.sleep(self.seconds)
        if recipient in self.busy:
            raise GatewayError("SMS gateway answered 503: busy", retry=True)
        self.arrived.append((recipient, body, time.monotonic()))
        self.changed.set()

    async def until(self, done, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while not done():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture(params=["inprocess", "redis"])
async def buses(request):
    """(the bus the queuing process publishes on, the bus the dispatcher listens on): one
    in-process bus, or two connections to one Redis stream as a web and a worker process have."""
    if request.param == "inprocess":
        bus = InProcessBus()
        yield bus, bus
        await bus.close()
        return
    stream = f"test:hotline:{uuid.uuid4().hex}"
    web, worker = (
        RedisBus(REDIS_URL, stream=stream, block_ms=100),
        RedisBus(REDIS_URL, stream=stream, block_ms=100),
    )
    try:
        await web.redis.ping()
    except Exception:
        await web.close()
        await worker.close()
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield web, worker
    await web.redis.delete(stream, f"{stream}:seq")
    await web.close()
    await worker.close()


@contextlib.asynccontextmanager
async def running(dispatcher: Dispatcher, bus):
    subscription = dispatcher.listen(bus)
    ready = getattr(subscription, "ready", None)  # a Redis subscription finds its start first
    if ready is not None:
        await ready
    task = asyncio.create_task(dispatcher.run(poll_seconds=POLL))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await subscription.close()


async def queue_sms(sm, bus, to: str, text: str) -> float:
    """Queue an SMS as the console does; the time of the commit."""
    async with sm() as session:
        await send_message(session, None, "sms", to, "", text)
        await session.commit()
        committed = time.monotonic()
        await publish_pending(session, bus)
    return committed


async def outbox(sm, done, timeout: float = 3.0) -> dict[str, tuple[str, int]]:  # noqa: ASYNC109
    """recipient → (state, attempts), once ``done`` of it (the dispatcher records each outcome
    just after the gateway answered)."""
    async with asyncio.timeout(timeout):
        while True:
            async with sm() as session:
                rows = await session.execute(
                    select(Notification.recipient, Notification.state, Notification.attempts)
                )
                found = {to: (state, attempts) for to, state, attempts in rows}
            if done(found):
                return found
            await asyncio.sleep(0.02)


async def test_a_queued_sms_goes_out_at_once_not_at_the_next_poll(sm, buses):
    web, worker = buses
    phones = Phones()
    async with running(Dispatcher(sm, sms=phones), worker):
        # the first pass at start is over once this one arrived: the next is the wake's
        await queue_sms(sm, web, "13800000001", "第一条")
        await phones.until(lambda: len(phones.arrived) == 1)

        committed = await queue_sms(sm, web, "13800000002", "停电通知：明日9时至13时停电")
        await phones.until(lambda: len(phones.arrived) == 2)
        to, body, at = phones.arrived[1]
        assert (to, body) == ("13800000002", "停电通知：明日9时至13时停电")
        assert at - committed < 1.0
        await outbox(sm, lambda rows: {state for state, _ in rows.values()} == {"sent"})


async def test_a_busy_numbers_retry_waits_for_its_time_however_often_the_dispatcher_is_woken(sm, buses):
    web, worker = buses
    phones = Phones(busy=("13900000000",))
    dispatcher = Dispatcher(sm, sms=phones, retry_seconds=1.0, max_attempts=2)
    async with running(dispatcher, worker):
        await queue_sms(sm, web, "13900000000", "您的工单已受理")
        await phones.until(lambda: len(phones.tried.get("13900000000", ())) == 1)
        for n in range(4):  # other messages wake the dispatcher while the retry waits
            await queue_sms(sm, web, f"1380000001{n}", f"第{n}条")
            await asyncio.sleep(0.1)
        await phones.until(lambda: len(phones.arrived) == 4)
        assert len(phones.tried["13900000000"]) == 1

        # the second try comes when its retry_at is due, not at the next poll a minute away
        await phones.until(lambda: len(phones.tried["13900000000"]) == 2)
        first, second = phones.tried["13900000000"]
        assert 1.0 <= second - first < 3.0
        await outbox(sm, lambda rows: rows["13900000000"] == ("failed", 2))


async def test_wakes_during_a_pass_and_a_pass_beside_the_loop_send_each_message_once(sm):
    bus = InProcessBus()
    phones = Phones(seconds=0.1)
    dispatcher = Dispatcher(sm, sms=phones, concurrency={"sms": 2})
    try:
        async with running(dispatcher, bus):
            await queue_sms(sm, bus, "13800000001", "第一条")
            await phones.until(lambda: len(phones.arrived) == 1)
            for n in range(6):
                await queue_sms(sm, bus, f"1380000010{n}", f"第{n}条")
            await asyncio.sleep(0.05)  # the pass the first wake started is sending now
            for _ in range(5):
                dispatcher.wake("sms")
            await asyncio.gather(dispatcher.deliver_pending(), dispatcher.deliver_pending())
            dispatcher.wake()
            await phones.until(lambda: len(phones.arrived) == 7)
            await asyncio.sleep(0.3)  # any second send would have arrived by now
    finally:
        await bus.close()
    assert sorted(phones.tried) == sorted(["13800000001", *(f"1380000010{n}" for n in range(6))])
    assert all(len(times) == 1 for times in phones.tried.values())
