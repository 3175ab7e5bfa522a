"""A notice of an order reaching someone's desk has a Chinese subject as the SLA ones do
(``sla.subject``: 【即将超期】<number> <title>): 【新工单】<number> <title>, 【退单】 for one sent back
(was ``[normal]``). A new order's rows go in with it, its number taken in the same go; the
subject is cut to its column however long the title."""

from sqlalchemy import select

from tests.ticketing.conftest import gz_fault_order
from ticketing import reject, submit_step
from ticketing.models import Notification


async def _subjects(sm, order_id: int, kind: str) -> list[str]:
    async with sm() as db:
        query = select(Notification.subject).where(
            Notification.order_id == order_id, Notification.kind == kind, Notification.channel == "screen"
        )
        return list(await db.scalars(query))


async def test_a_new_order_and_one_sent_on_are_a_new_order_on_the_handlers_screen(sm, session, seeded):
    order = await gz_fault_order(session, seeded)  # created and sent to 接收确认: 5101 and 5102
    assert order.title == "天河路1号"
    new = f"【新工单】{order.number} 天河路1号"
    assert await _subjects(sm, order.id, "routed") == [new, new]

    async with sm() as db:
        order = await db.merge(order)
        await submit_step(db, seeded.users["5101"], order)  # 批准: on to 派工
        await db.commit()
    assert set(await _subjects(sm, order.id, "routed")) == {new}


async def test_an_order_sent_back_says_so(sm, session, seeded):
    order = await gz_fault_order(session, seeded)
    async with sm() as db:
        order = await db.merge(order)
        await reject(db, seeded.users["5101"], order, opinion="地址在深圳")
        await db.commit()
    assert await _subjects(sm, order.id, "returned") == [f"【退单】{order.number} 天河路1号"]


async def test_a_long_title_is_cut_to_the_column(sm, session, seeded):
    title = "停" * 200  # as long as a title goes: with its label and number, over the column
    order = await gz_fault_order(session, seeded, title=title)
    [subject, _] = await _subjects(sm, order.id, "routed")
    assert len(subject) == Notification.subject.type.length
    assert subject.startswith(f"【新工单】{order.number} 停停")
