"""Retention keeps the files of calls that open work orders link."""

from sqlalchemy import update

from ticketing import create_order
from ticketing.calls import link, upsert_interaction
from ticketing.models import WorkOrder
from ticketing.retention import call_ids_of_open_orders


async def _order(session, seeded):
    return await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        caller_number="13800138000",
    )


async def test_only_calls_linked_to_open_orders_are_protected(session, seeded):
    open_order, closed_order = await _order(session, seeded), await _order(session, seeded)
    kept = await upsert_interaction(session, "recording", "1700000000.11", file_path="/a.wav")
    voicemail = await upsert_interaction(session, "voicemail", "1700000000.22", file_path="/b.wav")
    of_closed = await upsert_interaction(session, "recording", "1700000000.33", file_path="/c.wav")
    await upsert_interaction(session, "recording", "1700000000.44", file_path="/d.wav")  # never linked
    await link(session, open_order, kept)
    await link(session, open_order, voicemail)
    await link(session, closed_order, of_closed)
    await session.execute(update(WorkOrder).where(WorkOrder.id == closed_order.id).values(is_open=False))
    await session.flush()
    assert await call_ids_of_open_orders(session) == {"1700000000.11", "1700000000.22"}
