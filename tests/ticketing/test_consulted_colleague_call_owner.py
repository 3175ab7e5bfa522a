"""A colleague consulted (咨询转接) talks on the call without it becoming theirs: the call record
stays the consulting agent's, with the colleague's leg beside; completed into a transfer (the same
leg announced again, without ``consult_from``), it is the colleague's, still with one leg each."""

import time

from sqlalchemy import select

from cti.bus import InProcessBus
from cti.call_events import CallAnswered, CallOffered
from ticketing.calls import CallLinker
from ticketing.demo import demo_phone
from ticketing.models import CallLeg, Interaction


async def test_a_consultation_leaves_the_call_with_the_agent_who_consults(session, sm, seeded):
    bus = InProcessBus()
    linker = CallLinker(sm)
    linker.subscribe(bus)
    now = time.time()
    number = demo_phone(9)

    async def published(*events) -> Interaction:
        for e in events:
            await bus.publish(e)
        await bus.drain()
        call = await session.scalar(select(Interaction).where(Interaction.external_id == "c-consult"))
        await session.refresh(call)
        return call

    call = await published(
        CallOffered(call_id="c-consult", agent_id="1001", caller=number, queue="fault", offered_at=now),
        CallAnswered(call_id="c-consult", agent_id="1001", caller=number, answered_at=now + 3),
        CallOffered(
            call_id="c-consult", agent_id="1002", caller=number, offered_at=now + 10, consult_from="1001"
        ),
        CallAnswered(
            call_id="c-consult", agent_id="1002", caller=number, answered_at=now + 12, consult_from="1001"
        ),
    )
    assert (call.agent_id, call.user_id) == ("1001", seeded.users["1001"].id)
    await session.commit()  # SQLite: the linker writes next
    # 完成转接: the colleague's leg announced again, the caller theirs now
    await bus.publish(CallAnswered(call_id="c-consult", agent_id="1002", caller=number, answered_at=now + 12))
    await bus.drain()
    await linker.close()  # its writes done
    await session.commit()
    await session.refresh(call)
    assert (call.agent_id, call.user_id) == ("1002", seeded.users["1002"].id)
    legs = await session.scalars(select(CallLeg.agent_id).where(CallLeg.interaction_id == call.id))
    assert sorted(legs) == ["1001", "1002"]
