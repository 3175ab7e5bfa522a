"""``intake.inbox(include_handled=True)`` lists what the user handled themselves although it
was never theirs (QA-13: a supervisor's handled 未分派事件 vanished), on SQLite and PostgreSQL
alike (the audit names the event by a text id), and ``orders_linked`` what each joined."""

from __future__ import annotations

from sqlalchemy import select

from ticketing import intake
from ticketing.models import User
from ticketing.workflow.engine import create_order


async def test_what_a_supervisor_handled_is_in_their_handled_list(session, seeded):
    supervisor = await session.scalar(select(User).where(User.staff_no == "3001"))
    agent = await session.scalar(select(User).where(User.staff_no == "1001"))
    closed = await intake.Intake().receive(session, "sms", "s-closed", sender="13100000481", content="已解决")
    linked = await intake.Intake().receive(session, "sms", "s-linked", sender="13100000482", content="补充")
    others = await intake.Intake().receive(session, "sms", "s-other", sender="13100000483", content="重复")
    order = await create_order(
        session,
        agent,
        workflow="consult",
        site_id=agent.site_id,
        form={"咨询内容": "电价", "答复内容": "已答复"},
    )
    await intake.close_without_order(session, supervisor, closed.id, "已电话答复")
    await intake.link_to_order(session, supervisor, linked.id, order)
    await intake.assign_to(session, None, others, agent)
    await intake.close_without_order(
        session, agent, others.id, "重复"
    )  # the agent's own: not the supervisor's
    await session.flush()

    assert await intake.inbox(session, supervisor) == []
    rows = await intake.inbox(session, supervisor, include_handled=True)
    assert {r.id for r in rows} == {closed.id, linked.id}
    assert await intake.orders_linked(session, rows) == {linked.id: [order.number]}
