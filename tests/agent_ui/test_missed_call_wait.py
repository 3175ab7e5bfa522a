"""A missed call in the inbox carries its queue and how long the caller waited there (QA item 19:
a caller who waited two minutes read as a one-second hang-up), and a withheld caller's has no
number, which the page says as 未显示号码."""

from __future__ import annotations

from sqlalchemy import select

from agent_ui.inbox import event_view
from cti.call_events import CallEnded
from ticketing.calls import CallLinker
from ticketing.models import Interaction


async def test_a_missed_call_keeps_its_queue_and_wait(world):
    linker = CallLinker(world.services.sessionmaker)
    await linker.handle(
        CallEnded(
            call_id="gave-up",
            direction="inbound",
            outcome="abandoned_queue",
            caller="anonymous",
            queue="fault",
            started_at=1_790_000_000.0,
            queued_at=1_790_000_004.0,
            ended_at=1_790_000_069.25,
        )
    )
    async with world.services.sessionmaker() as db:
        row = await db.scalar(select(Interaction).where(Interaction.kind == "missed_call"))
    view = event_view(row)
    assert (view["number"], view["queue"], view["waited"]) == ("", "fault", 65.2)
