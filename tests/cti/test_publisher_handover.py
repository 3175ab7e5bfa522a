"""``Publisher.publish`` onto an ``InProcessBus`` in C (``_speedups.Handover``, the bus's
``hand_over_nowait`` written out) publishes as the Python one does: the same events stamped, in the
same order, into the same history and to the same subscribers (of their types, groups in turn),
events held behind a pop still held, an event published twice copied, a failure logged and the
publishing going on."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.ami import speedups
from cti.bus import InProcessBus
from cti.call_events import AgentStateChanged, CallHeld, CallOffered, QueueUpdated
from cti.publisher import Publisher

needs_c = pytest.mark.skipif(speedups.c is None, reason="the C accelerator is not built (pip install -e .)")

NOW = 1_800_000_000.25


def _event(kind: str, n: int, ts: float = 0.0):
    if kind == "held":
        return CallHeld.make(call_id=f"c{n % 3}", agent_id=f"a{n % 2}", held=bool(n % 2), at=float(n), ts=ts)
    if kind == "agent":
        return AgentStateChanged.make(agent_id=f"a{n % 2}", state="ready", previous="talking",
                                      seconds_in_previous=1.0, at=float(n), ts=ts)  # fmt: skip
    if kind == "queue":
        return QueueUpdated.make(
            queue="general", waiting=n, longest_wait=0.0, agents_ready=1, agents_logged_in=2, ts=ts
        )
    return CallOffered.make(call_id=f"c{n % 3}", agent_id=f"a{n % 2}", queue="general", offered_at=float(n))


class Side:
    """One publisher and its bus, with subscribers of every kind; what each of them got."""

    def __init__(self, c: bool) -> None:
        self.bus = InProcessBus(retain=5)
        self.publisher = Publisher(self.bus, speedups=c)
        self.got: dict[str, list[str]] = {}
        self.waits: list[asyncio.Future[None]] = []
        self.subscribe("all")
        self.subscribe("calls", types=[CallHeld, CallOffered])

    def subscribe(self, name: str, **how) -> None:
        got = self.got.setdefault(name, [])

        async def handler(event) -> None:
            got.append(repr(event))

        self.bus.subscribe(handler, **how)

    def step(self, action: str, n: int, ts: float) -> None:
        if action == "hold":  # a pop waiting for its lookup: later events of its call and agent wait
            wait = asyncio.get_running_loop().create_future()
            self.waits.append(wait)
            self.publisher.hold(_event("offer", n), [wait], 60.0, lambda event: event)
        elif action == "release" and self.waits:
            self.waits.pop(0).set_result(None)
        elif action == "again":  # an event published before: copied, as publish_nowait does
            self.publisher.publish(self.bus._history[-1] if self.bus._history else _event("held", n))
        elif action == "group":
            self.subscribe(f"group{n % 2}", group="wallboards")
        else:
            self.publisher.publish(_event(action, n, ts))

    def seen(self) -> dict[str, object]:
        return {"history": [repr(e) for e in self.bus._history], "got": self.got}


async def _both(actions: list[tuple[str, int, float]]) -> tuple[dict[str, object], dict[str, object]]:
    c, python = Side(True), Side(False)
    assert type(c.publisher.publish).__name__ == "Handover"
    assert type(python.publisher.publish).__name__ == "method"
    for action in actions:
        c.step(*action)
        python.step(*action)
        await asyncio.sleep(0)
        assert c.seen() == python.seen(), action
    await c.publisher.close()
    await python.publisher.close()
    await c.bus.drain()
    await python.bus.drain()
    return c.seen(), python.seen()


@needs_c
@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["held", "agent", "queue", "hold", "release", "again", "group"]),
            st.integers(0, 5),
            st.sampled_from([0.0, 12.5]),
        ),
        max_size=25,
    )
)
def test_any_sequence_publishes_the_same_in_c_and_in_python(actions):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: NOW)  # the bus's clock, read at each publish by both
        c, python = asyncio.run(_both(actions))
    assert c == python


@needs_c
async def test_a_failure_is_logged_as_the_python_logs_it_and_publishing_goes_on(caplog, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW)
    logs = []
    for c in (True, False):
        side = Side(c)
        side.bus._plain[1].types = (1,)  # isinstance then raises: a subscriber broken in some way
        with caplog.at_level(logging.ERROR, logger="cti.publisher"):
            caplog.clear()
            side.publisher.publish(_event("held", 1))
            side.publisher.publish(_event("queue", 2))
        await side.bus.drain()
        # the publisher's own records: another test's task collected meanwhile may log asyncio's
        # "Task was destroyed but it is pending!" (with exc_info=False) into the same capture
        records = [(r.getMessage(), r.exc_info[0]) for r in caplog.records if r.name == "cti.publisher"]
        logs.append((records, side.seen()))
    assert logs[0] == logs[1]
    records, seen = logs[0]
    assert [message.split("(")[0] for message, _ in records] == [
        "publishing CallHeld",
        "publishing QueueUpdated",
    ]
    assert {kind for _, kind in records} == {TypeError}
    assert len(seen["history"]) == 2 and len(seen["got"]["all"]) == 2  # stamped and delivered before it


@needs_c
def test_a_publisher_or_bus_of_its_own_keeps_the_python_publish():
    class Bus(InProcessBus):
        def hand_over_nowait(self, event):
            return super().hand_over_nowait(event)

    class Own(Publisher):
        def publish(self, event) -> None:
            super().publish(event)

    assert type(Publisher(InProcessBus()).publish).__name__ == "Handover"
    assert type(Publisher(Bus()).publish).__name__ == "method"
    assert type(Own(InProcessBus()).publish).__name__ == "method"
    assert type(Publisher(InProcessBus(), speedups=False).publish).__name__ == "method"


async def test_the_bus_and_its_subscriptions_keep_what_the_c_publish_reads_in_slots():
    """The C publish reads the bus's subscribers and each one's types, pending events and wake-up
    at every event: in slots (``_speedups``' Slot), a load each instead of a getattr."""
    bus = InProcessBus()
    seen: list[object] = []

    async def keep(event) -> None:
        seen.append(event)

    sub = bus.subscribe(keep, types=[CallHeld])
    assert not hasattr(bus, "__dict__") and not hasattr(sub, "__dict__")
    publisher = Publisher(bus)
    publisher.publish(_event("held", 1))
    publisher.publish(_event("agent", 2))  # not of its types
    await bus.drain()
    assert [type(e).__name__ for e in seen] == ["CallHeld"] and seen[0].seq == 1
    await bus.close()
