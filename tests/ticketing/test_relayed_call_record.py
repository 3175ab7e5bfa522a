"""A call transferred from a seat on one Asterisk server to a seat on another: both servers'
bridges publish a record of it under the one call id, the other server's marked ``relayed``
(``CallModel.relayed``). The record is the call's own server's (caller, queue, outcome, talk
time), with the other server's agent's leg beside the first agent's, and its agent the one who
had the call last, in whichever order the two records come."""

import time

import pytest
from sqlalchemy import select

from cti.bus import InProcessBus
from cti.call_events import CallAnswered, CallEnded, CallOffered
from ticketing.calls import CallLinker
from ticketing.demo import demo_phone
from ticketing.models import CallLeg, Interaction


@pytest.mark.parametrize("relayed_first", [False, True], ids=["own-first", "relayed-first"])
async def test_the_other_servers_record_adds_its_leg_and_overwrites_nothing(
    session, sm, seeded, relayed_first
):
    bus = InProcessBus()
    linker = CallLinker(sm)
    linker.subscribe(bus)
    now = time.time()
    number = demo_phone(9)
    call_id = f"x-{relayed_first}"
    during = [
        CallOffered(call_id=call_id, agent_id="1001", caller=number, queue="fault", offered_at=now),
        CallAnswered(call_id=call_id, agent_id="1001", caller=number, queue="fault", answered_at=now + 3),
        # the colleague on the other server, rung over the trunk: that server's bridge, same call
        CallOffered(call_id=call_id, agent_id="1002", caller=number, queue="fault", offered_at=now + 19),
        CallAnswered(call_id=call_id, agent_id="1002", caller=number, queue="fault", answered_at=now + 20),
    ]
    own = CallEnded(
        call_id=call_id,
        direction="inbound",
        outcome="answered",
        caller=number,
        queue="fault",
        agent_id="1001",  # the first server saw only its own agent
        started_at=now - 10,
        queued_at=now - 8,
        answered_at=now + 3,
        ended_at=now + 80,
        legs=(("1001", now + 3, now + 19),),
        queue_legs=(("fault", now - 8, now + 3, "answered", "1001"),),
    )
    relayed = CallEnded(
        call_id=call_id,
        direction="inbound",
        outcome="answered",
        caller=number,
        queue="fault",
        agent_id="1002",
        answered_at=now + 19,
        ended_at=now + 80,
        legs=(("1002", now + 20, now + 80),),
        relayed=True,
    )
    for e in [*during, *((relayed, own) if relayed_first else (own, relayed))]:
        await bus.publish(e)
    await bus.drain()
    await linker.close()

    call = await session.scalar(select(Interaction).where(Interaction.external_id == call_id))
    await session.refresh(call)
    assert (call.agent_id, call.user_id) == ("1002", seeded.users["1002"].id)
    assert call.payload["answered_at"] == now + 3 and call.payload["queued_at"] == now - 8
    assert call.payload["queue"] == "fault" and call.payload["outcome"] == "answered"
    assert call.duration == pytest.approx(77)  # the call's own answer to its end
    legs = await session.scalars(
        select(CallLeg).where(CallLeg.interaction_id == call.id).order_by(CallLeg.answered_at)
    )
    assert [(leg.agent_id, round(leg.ended_at.timestamp() - now)) for leg in legs] == [
        ("1001", 19),
        ("1002", 80),
    ]
