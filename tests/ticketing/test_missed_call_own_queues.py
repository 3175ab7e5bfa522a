"""Only the hotline's own queues make 未接来电 (QA-11): on an Asterisk that also carries another
line's queues (a benchmark's bench-a, a test's cti-a), their callers' hang-ups became the
hotline's missed calls and flooded 未分派事件 — 600 foreign callbacks ahead of its own. The rule
is the wallboard's 合计 and the queue report's (``users.own_queues``): the routing's queues and
any a user has a skill for. Another queue's call keeps its record (the queue report lists it
under 其他队列) but nobody is asked to call it back."""

from __future__ import annotations

from sqlalchemy import select

from cti.call_events import CallEnded
from ticketing.calls import CallLinker
from ticketing.intake import Intake
from ticketing.models import Interaction, User


def _abandoned(call_id: str, queue: str) -> CallEnded:
    return CallEnded(
        call_id=call_id,
        direction="inbound",
        outcome="abandoned_queue",
        caller="13800000001",
        queue=queue,
        started_at=1_790_000_000.0,
        queued_at=1_790_000_004.0,
        ended_at=1_790_000_030.0,
    )


async def test_only_the_hotlines_queues_make_missed_calls(sm, session, seeded):
    user = await session.scalar(select(User).where(User.staff_no == "1001"))
    user.skills = {**(user.skills or {}), "night-desk": 0}  # staffed, not in the routing file
    await session.commit()
    intake = Intake()
    linker = CallLinker(sm, intake=intake, queues=("service", "fault"))
    for call_id, queue in [
        ("other-1", "bench-a"),
        ("other-2", "cti-a"),
        ("own-1", "fault"),
        ("own-2", "night-desk"),
        ("ivr", ""),  # hung up before any queue: the caller reached this line's menu
    ]:
        await linker.handle(_abandoned(call_id, queue))
    session.expire_all()
    missed = await session.scalars(select(Interaction.external_id).where(Interaction.kind == "missed_call"))
    assert sorted(missed) == ["ivr", "own-1", "own-2"]
    calls = await session.scalars(select(Interaction.external_id).where(Interaction.kind == "call"))
    assert sorted(calls) == ["ivr", "other-1", "other-2", "own-1", "own-2"]  # each call kept


async def test_without_a_routing_every_queue_counts(sm, session, seeded):
    """A tool or test with no routing file to tell: nothing is dropped."""
    await CallLinker(sm, intake=Intake()).handle(_abandoned("x", "bench-a"))
    assert (
        await session.scalar(select(Interaction.external_id).where(Interaction.kind == "missed_call")) == "x"
    )
