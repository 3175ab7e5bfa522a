"""A call given up in the queue is one line in the screen-pop's 最近联系 and the console's lookup
(QA #17): the call (排队中放弃) was listed and, beside it, the 未接来电 event the inbox keeps of the
same call, as if the customer had called twice. The line is the 未接来电's: the call missed, how
(排队中放弃) and its inbox state (whether someone has called back), which the call's row does not
know. The order made from the 未接来电 keeps it in its 处理过程. SQLite and PostgreSQL, through the
pop's hook too."""

import time

from sqlalchemy import select

from agent_ui.order_views import order_view
from cti.call_events import CallEnded
from tests.ticketing.conftest import gz_fault_order
from ticketing.calls import CallLinker, link
from ticketing.customers import lookup_for, lookup_for_screen_pop, screen_pop_hook
from ticketing.demo import demo_phone
from ticketing.intake import Intake
from ticketing.models import Interaction

PHONE = demo_phone(11)  # a 广州 customer: in bureau handler 5101's scope too


async def test_a_call_given_up_in_the_queue_is_one_contact(session, sm, seeded):
    linker = CallLinker(sm, Intake())
    at = time.time() - 3600
    await linker.handle(
        CallEnded(
            call_id="gave-up",
            direction="inbound",
            outcome="abandoned_queue",
            caller=PHONE,
            queue="service",
            started_at=at,
            queued_at=at + 3,
            ended_at=at + 15,
            waited=12.0,
        )
    )
    # and an earlier call of the same number, answered
    await linker.handle(
        CallEnded(
            call_id="answered",
            direction="inbound",
            outcome="answered",
            caller=PHONE,
            agent_id="1001",
            started_at=at - 600,
            answered_at=at - 590,
            ended_at=at - 500,
        )
    )

    def lines(pop) -> list[tuple[str, str, str]]:
        return [(i["kind"], i["outcome"], i["status"]) for i in pop["interactions"]]

    # the 未接来电 in the inbox, given to nobody (no seat ready): 新到
    expected = [("missed_call", "abandoned_queue", "new"), ("call", "answered", "ended")]
    pop = await lookup_for_screen_pop(session, PHONE)
    assert lines(pop) == expected
    assert await screen_pop_hook(sm)(PHONE) == pop  # the hook's own statements say the same
    assert lines(await lookup_for(session, seeded.users["1001"], PHONE)) == expected

    # the 未接来电 is still the inbox's, and an order it joined shows it in its 处理过程
    missed = await session.scalar(select(Interaction).where(Interaction.kind == "missed_call"))
    assert missed.external_id == "gave-up"
    # called back and closed in the inbox: its line says so, the agent need not call again
    missed.status = "handled"
    await session.commit()
    pop = await lookup_for_screen_pop(session, PHONE)
    assert lines(pop)[0] == ("missed_call", "abandoned_queue", "handled")
    assert await screen_pop_hook(sm)(PHONE) == pop
    order = await gz_fault_order(session, seeded)
    await link(session, order, missed)
    await session.commit()
    await session.refresh(order)
    view = await order_view(session, seeded.users["1001"], order)
    assert "missed_call" in [e.get("kind") for e in view["timeline"]]
    # a bureau's handler (5101) whose order it joined, the customer not theirs: the 未接来电 alone
    theirs = await lookup_for(session, seeded.users["5101"], PHONE)
    assert [i["kind"] for i in theirs["interactions"]] == ["missed_call"]
