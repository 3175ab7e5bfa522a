"""QA finding 4: an agent presses 回拨 on a 未接来电, talks to the customer, then makes the order
from the event (填写受理工单): the order's 处理过程 held only the missed call, the call-back that
served the customer and its recording were linked to nothing, and that outbound call's recording
was stored as an inbound one. As at the seat (an order taken in during a call or right after it is
about that call), the order made from the event is about its call-backs (``payload.callbacks``):
each call and its recording are linked (``calls.link_callbacks``), whenever the CTI's record of
it comes, and an outbound call is outbound from its first row to its recording."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from cti.call_events import CallAnswered, CallEnded, CallOffered, CallStarted, RecordingReady
from ticketing.calls import CallLinker
from ticketing.intake import Intake, link_to_order, record_callback, to_new_order
from ticketing.models import Interaction, order_interactions

CUSTOMER = "13912340001"
T = 1_790_000_000.0  # the missed call; the call-back a minute later
BACK = T + 60


def _missed() -> CallEnded:
    return CallEnded(
        call_id="in-1",
        direction="inbound",
        outcome="abandoned_queue",
        caller=CUSTOMER,
        queue="service",
        started_at=T,
        queued_at=T + 2,
        ended_at=T + 12,
    )


def _started(call_id: str) -> CallStarted:
    # what the bridge says of a 回拨 (``CtiBridge.dial``): outbound, the number dialled as its caller
    return CallStarted(call_id=call_id, direction="outbound", caller=CUSTOMER, dnis=CUSTOMER, started_at=BACK)


def _answered(call_id: str) -> list:
    return [
        CallOffered(call_id=call_id, agent_id="1001", caller=CUSTOMER, dnis=CUSTOMER, offered_at=BACK),
        CallAnswered(call_id=call_id, agent_id="1001", caller=CUSTOMER, answered_at=BACK + 4),
    ]


def _ended(call_id: str) -> list:
    return [
        CallEnded(
            call_id=call_id,
            direction="outbound",
            outcome="answered",
            caller=CUSTOMER,
            dnis=CUSTOMER,
            agent_id="1001",
            started_at=BACK,
            answered_at=BACK + 4,
            ended_at=BACK + 50,
            recording=f"/var/spool/asterisk/monitor/hotline/{call_id}.wav",
            legs=(("1001", BACK + 4, BACK + 50),),
        ),
        RecordingReady(call_id=call_id, path=f"/rec/{call_id}.wav", duration=46.0, agent_id="1001"),
    ]


async def _feed(linker: CallLinker, events: list) -> None:
    for event in events:
        await linker.handle(event)


async def _missed_call(sm, seeded) -> tuple[CallLinker, int]:
    """1001 ready, the customer gives up in 综合服务: the 未接来电 in 1001's inbox."""
    intake = Intake()
    intake.logged_in = {"1001"}
    linker = CallLinker(sm, intake=intake)
    await linker.handle(_missed())
    async with sm() as db:
        event = await db.scalar(select(Interaction).where(Interaction.kind == "missed_call"))
        assert event.assigned_to_id == seeded.users["1001"].id
        return linker, event.id


async def _call_back(sm, seeded, event_id: int, call_id: str) -> None:
    """回拨 pressed: the attempt as ``agent_ui.commands`` keeps it on the event."""
    attempt = {
        "at": dt.datetime.fromtimestamp(BACK, dt.UTC).isoformat(),
        "by": "1001",
        "number": CUSTOMER,
        "call_id": call_id,
    }
    async with sm.begin() as db:
        await record_callback(db, seeded.users["1001"], event_id, attempt)


async def _order(sm, seeded, event_id: int) -> int:
    async with sm.begin() as db:
        order = await to_new_order(
            db, seeded.users["1001"], event_id, workflow="consult", site_id=seeded.sites["440100"].id
        )
        return order.id


async def _linked(sm, order_id: int) -> list[tuple[str, str, str]]:
    """The order's contacts: (kind, CTI id, direction)."""
    async with sm() as db:
        rows = await db.execute(
            select(Interaction.kind, Interaction.external_id, Interaction.direction)
            .join(order_interactions, order_interactions.c.interaction_id == Interaction.id)
            .where(order_interactions.c.order_id == order_id)
        )
        return sorted(tuple(row) for row in rows)


async def test_the_order_made_after_the_call_back_has_the_call_and_its_recording(sm, seeded):
    linker, event_id = await _missed_call(sm, seeded)
    await _call_back(sm, seeded, event_id, "out-1")
    await _feed(linker, [_started("out-1"), *_answered("out-1"), *_ended("out-1")])
    order_id = await _order(sm, seeded, event_id)  # in 话后处理, a minute after the call
    assert await _linked(sm, order_id) == [
        ("call", "out-1", "outbound"),
        ("missed_call", "in-1", "inbound"),
        ("recording", "out-1", "outbound"),  # was: not linked, and stored inbound
    ]
    async with sm() as db:
        call = await db.scalar(
            select(Interaction).where(Interaction.kind == "call", Interaction.external_id == "out-1")
        )
        # the CTI's record, not overwritten by the link
        assert (call.status, call.agent_id, call.duration) == ("ended", "1001", 46.0)


async def test_an_order_made_during_the_call_back_gets_its_recording_when_it_is_ready(sm, seeded):
    linker, event_id = await _missed_call(sm, seeded)
    await _call_back(sm, seeded, event_id, "out-2")
    await _feed(linker, [_started("out-2"), *_answered("out-2")])
    async with sm() as db:  # talking: the call's row is outbound already, not the column's inbound
        live = await db.scalar(
            select(Interaction).where(Interaction.kind == "call", Interaction.external_id == "out-2")
        )
        assert (live.direction, live.status) == ("outbound", "answered")
    order_id = await _order(sm, seeded, event_id)
    await _feed(linker, _ended("out-2"))
    assert await _linked(sm, order_id) == [
        ("call", "out-2", "outbound"),
        ("missed_call", "in-1", "inbound"),
        ("recording", "out-2", "outbound"),
    ]


async def test_a_call_back_the_cti_has_not_reported_yet_is_linked_as_the_outbound_call_it_is(sm, seeded):
    linker, event_id = await _missed_call(sm, seeded)
    await _call_back(sm, seeded, event_id, "out-3")
    order_id = await _order(sm, seeded, event_id)  # before any event of the call reached ticketing
    await _feed(linker, [_started("out-3"), *_answered("out-3"), *_ended("out-3")])
    assert await _linked(sm, order_id) == [
        ("call", "out-3", "outbound"),
        ("missed_call", "in-1", "inbound"),
        ("recording", "out-3", "outbound"),
    ]
    async with sm() as db:
        call = await db.scalar(
            select(Interaction).where(Interaction.kind == "call", Interaction.external_id == "out-3")
        )
        assert (call.status, call.number, call.customer_id) == ("ended", CUSTOMER, None)


async def test_a_call_back_after_the_order_and_a_linked_event_bring_their_calls_too(sm, seeded):
    linker, event_id = await _missed_call(sm, seeded)
    order_id = await _order(sm, seeded, event_id)
    # the event handled, its customer called back about it: the order's call too
    await _call_back(sm, seeded, event_id, "out-4")
    await _feed(linker, [_started("out-4"), *_answered("out-4"), *_ended("out-4")])
    assert ("call", "out-4", "outbound") in await _linked(sm, order_id)
    assert ("recording", "out-4", "outbound") in await _linked(sm, order_id)

    # 关联到已受理工单: a second missed call, called back, then linked to that order
    await linker.handle(
        CallEnded(**{**_missed().__dict__, "call_id": "in-2", "started_at": T + 300, "ended_at": T + 310})
    )
    async with sm() as db:
        second = await db.scalar(
            select(Interaction.id).where(Interaction.kind == "missed_call", Interaction.external_id == "in-2")
        )
    await _call_back(sm, seeded, second, "out-5")
    await _feed(linker, [_started("out-5"), *_answered("out-5"), *_ended("out-5")])
    async with sm.begin() as db:
        from ticketing.workflow.engine import load_order

        await link_to_order(
            db, seeded.users["1001"], second, await load_order(db, seeded.users["1001"], order_id)
        )
    linked = await _linked(sm, order_id)
    assert {("call", "out-5", "outbound"), ("recording", "out-5", "outbound")} <= set(linked)


async def test_an_inbound_calls_recording_stays_inbound_and_no_inbound_start_is_written(sm, seeded):
    linker = CallLinker(sm)
    await linker.handle(CallStarted(call_id="in-9", direction="inbound", caller=CUSTOMER, started_at=T))
    async with sm() as db:  # nothing to write for an inbound start: its ring makes its row
        assert await db.scalar(select(Interaction.id).where(Interaction.external_id == "in-9")) is None
    await _feed(
        linker,
        [
            CallAnswered(call_id="in-9", agent_id="1001", caller=CUSTOMER, answered_at=T + 5),
            CallEnded(
                call_id="in-9",
                direction="inbound",
                outcome="answered",
                caller=CUSTOMER,
                agent_id="1001",
                answered_at=T + 5,
                ended_at=T + 30,
            ),
            RecordingReady(call_id="in-9", path="/rec/in-9.wav", duration=25.0),
        ],
    )
    async with sm() as db:
        directions = await db.execute(
            select(Interaction.kind, Interaction.direction).where(Interaction.external_id == "in-9")
        )
        assert sorted(tuple(row) for row in directions) == [("call", "inbound"), ("recording", "inbound")]
