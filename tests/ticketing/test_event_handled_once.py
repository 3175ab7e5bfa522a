"""An async event is handled by whoever's inbox it is in (or a supervisor), once: on SQLite and
PostgreSQL, also when a second user's session read it before the first one's link committed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from ticketing import create_order
from ticketing.errors import ActionRefused, NotFound
from ticketing.intake import Intake, link_to_order, to_new_order
from ticketing.models import Interaction, WorkOrder


async def _consult(session, user, site_id) -> WorkOrder:
    return await create_order(
        session, user, workflow="consult", site_id=site_id, form={"咨询内容": "a", "答复内容": "b"}
    )


async def test_only_the_assignee_or_a_supervisor_handles_an_event(session, seeded):
    u, gz = seeded.users, seeded.sites["440100"].id
    intake = Intake()
    intake.logged_in = {"1001"}
    sms = await intake.receive(session, "sms", "sms-owned", sender="13800138000", content="停电了")
    assert sms.assigned_to_id == u["1001"].id
    order = await _consult(session, u["1002"], gz)
    for someone in ("1002", "5101", "2001"):  # another agent, a bureau's handler, a team leader
        with pytest.raises(ActionRefused) as refused:
            await link_to_order(session, u[someone], sms.id, order)
        assert refused.value.error_id == "event.forbidden"
        with pytest.raises(ActionRefused):
            await to_new_order(session, u[someone], sms.id, workflow="consult", site_id=gz)
    call = Interaction(kind="call", external_id="c-1", number="13800138000", agent_id="1001")
    session.add(call)
    await session.flush()
    with pytest.raises(NotFound):  # a call (or its recording) is no inbox event, not even its agent's
        await link_to_order(session, u["1001"], call.id, order)
    await link_to_order(session, u["3001"], sms.id, order)  # the supervisor
    assert (await session.get(Interaction, sms.id)).status == "handled"


async def _fax_and_two_orders(sm, seeded) -> tuple[int, WorkOrder, WorkOrder]:
    u, gz = seeded.users, seeded.sites["440100"].id
    async with sm.begin() as db:
        intake = Intake()
        intake.logged_in = {"1001"}
        fax = await intake.receive(db, "fax", "fax-once", sender="13800138000", file_path="/fax/1.pdf")
        return fax.id, await _consult(db, u["1001"], gz), await _consult(db, u["1001"], gz)


async def _linked_numbers(sm, event_id: int) -> list[str]:
    async with sm() as db:
        return list(
            await db.scalars(
                select(WorkOrder.number).join(WorkOrder.interactions).where(Interaction.id == event_id)
            )
        )


async def test_a_handled_event_is_refused_even_from_a_session_that_read_it_before(sm, seeded):
    u = seeded.users
    fax_id, first, second = await _fax_and_two_orders(sm, seeded)
    async with sm() as late, sm() as early:
        stale = await late.get(Interaction, fax_id)  # still unhandled when read, and kept
        await late.commit()
        assert stale.status == "assigned"
        await link_to_order(early, u["1001"], fax_id, await early.get(WorkOrder, first.id))
        await early.commit()
        with pytest.raises(ActionRefused) as refused:
            await link_to_order(late, u["3001"], fax_id, await late.get(WorkOrder, second.id))
        assert refused.value.error_id == "event.already_handled"
        assert refused.value.details["orders"] == [first.number]
        await late.rollback()
    assert await _linked_numbers(sm, fax_id) == [first.number]


async def test_two_links_at_once_link_it_once(sm, engine, seeded):
    """PostgreSQL runs both transactions at once (SQLite takes its write lock at BEGIN): the
    second UPDATE waits for the first's row lock, then finds the event handled."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    u = seeded.users
    fax_id, first, second = await _fax_and_two_orders(sm, seeded)
    async with sm() as a, sm() as b:
        await link_to_order(a, u["1001"], fax_id, await a.get(WorkOrder, first.id))
        racing = asyncio.ensure_future(link_to_order(b, u["3001"], fax_id, await b.get(WorkOrder, second.id)))
        await asyncio.sleep(0.3)
        assert not racing.done()  # waiting for a's row lock
        await a.commit()
        with pytest.raises(ActionRefused) as refused:
            await racing
        assert refused.value.error_id == "event.already_handled"
        await b.rollback()
    assert await _linked_numbers(sm, fax_id) == [first.number]
