"""QA 2026-11-29 #2: a caller's 故障报修留言 (the IVR's fault report) became a fault order at its
受理, held by the agent the voicemail went to, in silence: the event was handled by it (so the
inbox and its count said nothing), no 提醒 row was written and no pop-up was pushed; only
我未完成任务 counted one more. The agent is now told as of any order reaching their desk: a
``TicketRouted`` naming them (the console's pop-up and sound) and a 提醒 row, unread, saying what
to do, on arrival as when a night's report reaches the first agent to sign in."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import select

from cti.bus import InProcessBus
from cti.call_events import VoicemailReceived
from tests.ticketing.test_intake_backlog import _ready, _settled, _signs_in
from ticketing import screen_alerts
from ticketing.calls import CallLinker
from ticketing.events import TicketRouted
from ticketing.intake import Intake
from ticketing.models import Interaction, Notification, WorkOrder

REPORT = dict(caller="13800138000", dnis="95598", path="/vm/r.wav", duration=7.2, reason="fault_report")


async def _told_of(sm, bus: InProcessBus, routed: list, agent, call_id: str) -> WorkOrder:
    """The fault order the report ``call_id`` became, after asserting ``agent`` was told of it."""
    await _settled(bus)
    async with sm() as db:
        event = await db.scalar(select(Interaction).where(Interaction.external_id == call_id))
        [order] = await db.scalars(select(WorkOrder).where(WorkOrder.caller_number == "13800138000"))
        assert event.status == "handled" and order.created_by_id == agent.id
        # the pop-up: an order on their desk, at its 受理
        [pushed] = [e for e in routed if e.order_id == order.id]
        assert (pushed.handlers, pushed.number, pushed.status, pushed.kind) == (
            (agent.staff_no,),
            order.number,
            order.status,
            "routed",
        )
        assert pushed.message == "客户语音报修留言（7 秒）已生成工单，请回听录音、补全故障信息后提交"
        # the 提醒 row: unread, about the order, in the top bar's count until read
        [row] = await db.scalars(
            select(Notification).where(Notification.user_id == agent.id, Notification.order_id == order.id)
        )
        assert (row.channel, row.kind, row.read_at) == ("screen", "routed", None)
        assert row.subject.startswith(f"【新工单】{order.number}") and row.body == pushed.message
        assert await screen_alerts.unread_count(db, agent.id) == 1
        return order


@contextlib.asynccontextmanager
async def _intake_on_bus(sm) -> AsyncIterator[tuple[InProcessBus, list]]:
    """The intake and the call linker on a bus, as the console runs them: (the bus, the
    ``TicketRouted`` events published on it, as they come)."""
    bus = InProcessBus()
    routed: list = []

    async def heard(event):
        routed.append(event)

    bus.subscribe(heard, types=[TicketRouted])
    intake = Intake()
    intake.subscribe(bus, sm)
    linker = CallLinker(sm, intake=intake, bus=bus)
    linker.subscribe(bus)
    try:
        yield bus, routed
    finally:
        await linker.close()
        await intake.close()


async def test_a_fault_report_tells_its_agent_of_the_order_on_arrival(sm, seeded):
    agent = seeded.users["1001"]
    async with _intake_on_bus(sm) as (bus, routed):
        await bus.publish(_signs_in("1001"))
        await bus.publish(_ready("1001"))
        await _settled(bus)
        await bus.publish(VoicemailReceived(call_id="vm-day", **REPORT))
        await _told_of(sm, bus, routed, agent, "vm-day")


async def test_a_nights_fault_report_tells_the_agent_who_signs_in(sm, seeded):
    agent = seeded.users["1001"]
    async with _intake_on_bus(sm) as (bus, routed):
        await bus.publish(VoicemailReceived(call_id="vm-night", **REPORT))
        await _settled(bus)
        assert routed == []  # nobody signed in: the report waits, no order yet
        await bus.publish(_signs_in("1001"))
        await _told_of(sm, bus, routed, agent, "vm-night")
