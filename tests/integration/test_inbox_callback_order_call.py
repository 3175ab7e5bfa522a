"""QA finding 4 on the real Asterisk: a caller gives up in the queue (未接来电), the agent presses
回拨 on it in 异步事件 (the console's ``dial`` command naming the event), the customer answers and
hangs up, and the agent makes the order from the event (填写受理工单). The order is about the
call-back as a seat's order is about its call: the call and its recording are linked to it,
both outbound, as the CTI said of the call (was: only the missed call linked, the call-back's
recording stored inbound). The bridge's events reach ticketing as in production: ``CallLinker``
on the bus."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from agent_ui.auth import CurrentUser
from agent_ui.commands import run_command
from agent_ui.services import AppServices
from cti.call_events import CallEnded, RecordingReady
from tests.agent_ui.test_inbox_close_and_call_back import signed_in
from tests.cti.harness import QUEUE_B, Story, seat
from ticketing import db
from ticketing.calls import CallLinker
from ticketing.demo import seed_demo
from ticketing.intake import assign_to, to_new_order
from ticketing.models import Interaction, User, order_interactions
from ticketing.seed import seed_defaults

pytestmark = pytest.mark.asterisk

CUSTOMER = "13912340001"  # the simulated customer answers a number not ending in 0


@pytest.fixture
async def sessions(tmp_path):
    url = f"sqlite:///{tmp_path / 'callback.db'}"
    await db.migrate(url)
    engine = db.create_engine(url)
    sm = db.sessionmaker(engine)
    async with sm.begin() as s:
        await seed_defaults(s)
        await seed_demo(s, customers=5)
    yield sm
    await engine.dispose()


async def _seat_user(sessions, agent: str) -> CurrentUser:
    """Demo agent 1001 working at the story's simulated seat (its 工号 is the extension)."""
    async with sessions.begin() as s:
        user = await s.scalar(select(User).where(User.staff_no == "1001"))
        user.staff_no = agent
    async with sessions() as s:
        return signed_in(await s.scalar(select(User).where(User.staff_no == agent)))


async def _row(sessions, kind: str, external_id: str, within: float = 10.0) -> Interaction:
    """The row ``CallLinker`` keeps of a CTI event, once it has taken it in."""
    deadline = time.monotonic() + within
    while True:
        async with sessions() as s:
            row = await s.scalar(
                select(Interaction).where(Interaction.kind == kind, Interaction.external_id == external_id)
            )
        if row is not None or time.monotonic() > deadline:
            assert row is not None, (kind, external_id)
            return row
        await asyncio.sleep(0.1)


async def test_the_order_made_from_a_missed_call_after_its_call_back_links_the_call_and_its_recording(
    asterisk, sessions
):
    async with Story(asterisk) as story:
        linker = CallLinker(sessions)
        linker.subscribe(story.bus)
        try:
            await story.net.action("DBPut", Family="hotline-sim", Key="customer-talk", Val="2")
            agent = await story.new_agent(ring="0", talk="hold")
            current = await _seat_user(sessions, agent)
            assert (await story.bridge.login(agent, seat(agent), {QUEUE_B: 0})).ok
            assert (await story.bridge.pause(agent, "小休")).ok  # nobody ready: the caller gives up

            await story.call_in(QUEUE_B, caller=CUSTOMER, stay=3)
            missed = await story.wait_for(
                CallEnded, where=lambda e: e.outcome == "abandoned_queue", timeout=15
            )
            event = await _row(sessions, "missed_call", missed.call_id)
            async with sessions.begin() as s:
                await assign_to(s, None, await s.get(Interaction, event.id), await s.get(User, current.id))

            # 回拨 in 异步事件: the event's own number, from the agent's seat
            services = AppServices(bus=story.bus, sessionmaker=sessions, secret_key="x", bridge=story.bridge)
            result = await run_command(services, current, "dial", {"event_id": event.id})
            call_id = result["call_id"]
            ended = await story.wait_for(CallEnded, call_id=call_id, timeout=20)
            ready = await story.wait_for(RecordingReady, call_id=call_id, timeout=10)
            recording = await _row(sessions, "recording", call_id)
        finally:
            await linker.close()

        # 话后处理: 信息咨询 from the event
        async with sessions.begin() as s:
            user = await s.get(User, current.id)
            order = await to_new_order(s, user, event.id, workflow="consult", site_id=user.site_id)
            order_id = order.id
    assert (ended.direction, ended.outcome, ended.agent_id) == ("outbound", "answered", agent)
    async with sessions() as s:
        linked = (
            await s.execute(
                select(
                    Interaction.kind, Interaction.external_id, Interaction.direction, Interaction.file_path
                )
                .join(order_interactions, order_interactions.c.interaction_id == Interaction.id)
                .where(order_interactions.c.order_id == order_id)
                .order_by(Interaction.kind)
            )
        ).all()
    assert [tuple(row) for row in linked] == [
        ("call", call_id, "outbound", ready.path),
        ("missed_call", missed.call_id, "inbound", ""),
        ("recording", call_id, "outbound", ready.path),
    ]
    assert recording.direction == "outbound" and recording.duration == ready.duration
