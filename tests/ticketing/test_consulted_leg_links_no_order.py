"""A colleague consulted (咨询转接) talks on another agent's call without taking it: their leg says
who consults them (``call_legs.consult_from``), and an order they create meanwhile is not linked
to that call as its customer's contact, nor given its customer; the consulting agent's is. Completed
into a transfer (the same leg announced again without ``consult_from``), the call is theirs and so
is the order they write up. The colleague's own call just before still is theirs to write up."""

import time

from sqlalchemy import select

from cti.bus import InProcessBus
from cti.call_events import CallAnswered, CallEnded, CallOffered
from tests.ticketing.test_customers_and_calls import calls_of_new_order
from ticketing.calls import CallLinker
from ticketing.demo import demo_phone
from ticketing.models import CallLeg, Interaction


async def test_an_order_the_consulted_colleague_creates_is_not_the_consulted_callers(session, sm, seeded):
    now = time.time()
    caller, earlier = demo_phone(9), demo_phone(4)

    async def published(*events) -> None:
        """The events on the bus and every write of the linker's done (its close waits for them)."""
        bus = InProcessBus()
        linker = CallLinker(sm)
        linker.subscribe(bus)
        for e in events:
            await bus.publish(e)
        await bus.drain()
        await linker.close()

    await published(
        # 1002's own call five minutes ago, written up since
        CallAnswered(call_id="c-own", agent_id="1002", caller=earlier, answered_at=now - 300),
        CallEnded(
            call_id="c-own",
            direction="inbound",
            outcome="answered",
            caller=earlier,
            agent_id="1002",
            answered_at=now - 300,
            ended_at=now - 240,
            legs=(("1002", now - 300, now - 240),),
        ),
        # 1001's caller, about whom 1001 consults 1002
        CallOffered(call_id="c-consult", agent_id="1001", caller=caller, queue="fault", offered_at=now),
        CallAnswered(call_id="c-consult", agent_id="1001", caller=caller, answered_at=now + 3),
        CallOffered(
            call_id="c-consult", agent_id="1002", caller=caller, offered_at=now + 10, consult_from="1001"
        ),
        CallAnswered(
            call_id="c-consult", agent_id="1002", caller=caller, answered_at=now + 12, consult_from="1001"
        ),
    )
    await session.commit()  # a fresh read of what the linker wrote
    legs = dict(
        (
            await session.execute(
                select(CallLeg.agent_id, CallLeg.consult_from)
                .join(Interaction)
                .where(Interaction.external_id == "c-consult")
            )
        ).all()
    )
    assert legs == {"1001": "", "1002": "1001"}
    await session.commit()

    # during the consultation: 1002's order for 1001's caller is not about 1001's call
    assert await calls_of_new_order(session, seeded, "1002", caller) == set()
    # one for the caller of 1002's own call before: that call, as after any call of theirs
    assert await calls_of_new_order(session, seeded, "1002", earlier) == {"c-own"}
    # the caller is still 1001's, and so is an order about them
    assert await calls_of_new_order(session, seeded, "1001") == {"c-consult"}

    # 完成转接: the same leg announced again, without consult_from: the caller is 1002's now
    await published(CallAnswered(call_id="c-consult", agent_id="1002", caller=caller, answered_at=now + 12))
    assert await calls_of_new_order(session, seeded, "1002") == {"c-consult"}
    leg = await session.scalar(
        select(CallLeg)
        .join(Interaction)
        .where(Interaction.external_id == "c-consult", CallLeg.agent_id == "1002")
    )
    await session.refresh(leg)
    assert leg.consult_from == ""
