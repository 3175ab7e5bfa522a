"""A recorded call is one contact: the screen-pop, the console's lookup and the order's 处理过程
show the call's line offering its recording, never a 录音 line beside it at the same time."""

import time

from sqlalchemy import select

from agent_ui.order_views import order_view
from agent_ui.work import pop_of
from cti.bus import InProcessBus
from cti.call_events import CallAnswered, CallEnded, CallOffered, RecordingReady
from ticketing import create_order
from ticketing.calls import CallLinker, link
from ticketing.customers import lookup_for, lookup_for_screen_pop, screen_pop_hook
from ticketing.demo import demo_phone
from ticketing.models import Interaction

PHONE = demo_phone(11)  # 13100000011, a demo customer's, where the QA pass saw each call twice
PLAY = "/recordings/recording/{}/play"


async def _recorded_call(sm, call_id: str, at: float, *, recording_first: bool = False) -> list:
    offered = [
        CallOffered(call_id=call_id, agent_id="1001", caller=PHONE, queue="fault", offered_at=at),
        CallAnswered(call_id=call_id, agent_id="1001", caller=PHONE, answered_at=at + 3),
    ]
    ended = CallEnded(
        call_id=call_id,
        direction="inbound",
        outcome="answered",
        caller=PHONE,
        agent_id="1001",
        started_at=at,
        answered_at=at + 3,
        ended_at=at + 63,
        recording=f"/rec/{call_id}.wav",
    )
    recorded = RecordingReady(call_id=call_id, path=f"/rec/{call_id}.wav", duration=60.0, agent_id="1001")
    return [*offered, *([recorded, ended] if recording_first else [ended, recorded])]


async def test_a_recorded_call_is_one_line_with_its_recording(session, sm, seeded):
    gz = seeded.sites["440100"].id
    bus = InProcessBus()
    linker = CallLinker(sm)
    linker.subscribe(bus)
    now = time.time() - 3600
    for e in await _recorded_call(sm, "rec-a", now):
        await bus.publish(e)
    await bus.drain()
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=gz,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
    )
    await session.commit()
    # a second call whose recording was reported before the call's end
    for e in await _recorded_call(sm, "rec-b", now + 600, recording_first=True):
        await bus.publish(e)
    await bus.drain()
    await linker.close()
    for call_id in ("rec-a", "rec-b"):  # the order is about both calls: their recordings follow
        call = await session.scalar(
            select(Interaction).where(Interaction.kind == "call", Interaction.external_id == call_id)
        )
        await link(session, order, call)
    await session.commit()

    def lines(pop) -> list[tuple[str, str]]:
        return [(i["kind"], i["recording"]) for i in pop["interactions"]]

    expected = [("call", "rec-b"), ("call", "rec-a")]
    pop = await lookup_for_screen_pop(session, PHONE)
    assert lines(pop) == expected
    assert await screen_pop_hook(sm)(PHONE) == pop
    theirs = await lookup_for(session, seeded.users["5101"], PHONE)  # a bureau's scope
    assert lines(theirs) == expected
    # the console's pop and lookup: the call's line plays its recording
    assert [i["media_url"] for i in pop_of(PHONE, pop)["interactions"]] == [
        PLAY.format("rec-b"),
        PLAY.format("rec-a"),
    ]

    # the order's 处理过程 by the same rule: the linked call with its player, no 录音 line
    await session.refresh(order)
    view = await order_view(session, seeded.users["1001"], order)
    contacts = [(e["kind"], e["media_url"]) for e in view["timeline"] if e["kind"] in ("call", "recording")]
    assert contacts == [("call", PLAY.format("rec-a")), ("call", PLAY.format("rec-b"))]
