"""Screen-pop lookup, call records from CTI events, recordings and automatic links to orders."""

import time

import pytest
from sqlalchemy import func, select

from cti.bus import InProcessBus
from cti.call_events import (
    CallAnswered,
    CallEnded,
    CallOffered,
    FaxReceived,
    RecordingReady,
    VoicemailReceived,
)
from ticketing import create_order
from ticketing.calls import CallLinker, register_outbound_call
from ticketing.customers import (
    caller_profile,
    create_customer,
    find_customers,
    lookup_for_screen_pop,
    screen_pop_hook,
    ticket_progress,
)
from ticketing.demo import demo_account_no, demo_landline, demo_phone
from ticketing.errors import ActionRefused
from ticketing.intake import Intake, inbox
from ticketing.models import CallLeg, Customer, Interaction, Site, WorkOrder, order_interactions


async def calls_of_new_order(session, seeded, staff_no: str, caller_number: str = "") -> set[str]:
    """The calls (their ids) a 故障报修 order the demo's ``staff_no`` creates now is linked to, as
    of their seat's calls (and ``caller_number``'s); committed, so the linker can write next."""
    order = await create_order(
        session,
        seeded.users[staff_no],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        caller_number=caller_number,
    )
    linked = set(
        await session.scalars(
            select(Interaction.external_id)
            .join(order_interactions, order_interactions.c.interaction_id == Interaction.id)
            .where(order_interactions.c.order_id == order.id)
        )
    )
    await session.commit()  # SQLite: the linker writes next
    return linked


async def test_screen_pop_by_any_spelling_of_the_number(session, seeded):
    pop = await lookup_for_screen_pop(session, "+86 " + demo_phone(3))
    assert pop["customer"]["account_no"] == demo_account_no(3)
    assert demo_landline(3) in pop["customer"]["phones"]
    landline = demo_landline(3)
    pop2 = await lookup_for_screen_pop(session, f"{landline[:3]}-{landline[3:7]}-{landline[7:]}")
    assert pop2["customer"]["id"] == pop["customer"]["id"]
    assert await lookup_for_screen_pop(session, "13999999999") is None
    assert await lookup_for_screen_pop(session, "no digits") is None


async def test_screen_pop_shows_open_orders_and_history(session, seeded):
    customer = await create_customer(
        session, "8800000001", "陈先生", phones=["138-0013-8000"], site_id=seeded.sites["440100"].id
    )
    agent = seeded.users["1001"]
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        customer_id=customer.id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        caller_number="13800138000",
    )
    await session.commit()
    pop = await lookup_for_screen_pop(session, "13800138000")
    assert [o["number"] for o in pop["open_orders"]] == [order.number]
    assert pop["customer"]["name"] == "陈先生"
    assert (await find_customers(session, order.number))[0].id == customer.id
    assert (await find_customers(session, "8800000001"))[0].id == customer.id
    assert (await find_customers(session, "8613800138000"))[0].id == customer.id
    profile = await caller_profile(session, "13800138000")
    assert profile["open_fault_within_24h"] and not profile["vip"]
    [progress] = await ticket_progress(session, "", "13800138000")  # "#" alone from that phone
    assert progress["number"] == order.number and progress["status"] == "已流转"
    # keyed in on a phone: the digits of the order number, without its letter prefix
    digits = order.number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert digits != order.number and [p["number"] for p in await ticket_progress(session, digits, "")] == [
        order.number
    ]


async def test_hook_for_the_cti_bridge(sm, seeded):
    lookup = screen_pop_hook(sm)
    pop = await lookup(demo_phone(5))
    assert pop["customer"]["account_no"] == demo_account_no(5)


async def test_call_events_make_call_records_idempotently_and_link_to_the_order(session, sm, seeded):
    bus = InProcessBus()
    linker = CallLinker(sm)
    linker.subscribe(bus)
    now = time.time()
    number = demo_phone(7)
    events = [
        CallOffered(call_id="c-1", agent_id="1001", caller=number, queue="fault", offered_at=now),
        CallAnswered(call_id="c-1", agent_id="1001", caller=number, answered_at=now + 3),
    ]
    for e in events + events:  # every event twice: nothing changes the second time
        await bus.publish(e)
    await bus.drain()
    agent = seeded.users["1001"]
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
    )
    await session.commit()
    assert order.customer_id is not None  # taken from the call
    for e in [
        CallEnded(
            call_id="c-1",
            direction="inbound",
            outcome="answered",
            caller=number,
            agent_id="1001",
            started_at=now - 10,
            answered_at=now + 3,
            ended_at=now + 63,
        ),
        RecordingReady(call_id="c-1", path="/rec/c-1.wav", duration=60.0, agent_id="1001"),
    ] * 2:
        await bus.publish(e)
    await bus.drain()
    await linker.close()
    rows = list(await session.scalars(select(Interaction).order_by(Interaction.id)))
    assert [(r.kind, r.external_id) for r in rows] == [("call", "c-1"), ("recording", "c-1")]
    call = rows[0]
    await session.refresh(call)
    assert call.status == "ended" and round(call.duration) == 60 and call.agent_id == "1001"
    linked = set(
        await session.scalars(
            select(order_interactions.c.interaction_id).where(order_interactions.c.order_id == order.id)
        )
    )
    assert linked == {rows[0].id, rows[1].id}
    pop = await lookup_for_screen_pop(session, number)
    assert pop["interactions"][0]["kind"] in ("call", "recording")


async def test_a_transferred_call_keeps_both_legs_and_both_agents_orders_link_to_it(session, sm, seeded):
    bus = InProcessBus()
    linker = CallLinker(sm)
    linker.subscribe(bus)
    now = time.time()
    number = demo_phone(8)
    during = [
        CallOffered(call_id="c-2", agent_id="1001", caller=number, queue="fault", offered_at=now),
        CallAnswered(call_id="c-2", agent_id="1001", caller=number, answered_at=now + 3),
        CallAnswered(call_id="c-2", agent_id="1002", caller=number, answered_at=now + 20),  # the target
        # 1003's last call: it left that call 20 minutes ago, past the after-call window
        CallAnswered(call_id="c-old", agent_id="1003", caller=number, answered_at=now - 1500),
    ]
    ended = [
        CallEnded(
            call_id="c-2",
            direction="inbound",
            outcome="answered",
            caller=number,
            agent_id="1002",
            started_at=now - 10,
            answered_at=now + 3,
            ended_at=now + 80,
            legs=(("1001", now + 3, now + 19), ("1002", now + 20, now + 80)),
        ),
        CallEnded(
            call_id="c-old",
            direction="inbound",
            outcome="answered",
            caller=number,
            agent_id="1003",
            answered_at=now - 1500,
            ended_at=now - 1200,
            legs=(("1003", now - 1500, now - 1200),),
        ),
    ]
    for e in during + during:  # every event twice: nothing changes the second time
        await bus.publish(e)
    await bus.drain()

    assert await calls_of_new_order(session, seeded, "1002") == {"c-2"}  # the target, talking now
    for e in ended + ended:
        await bus.publish(e)
    await bus.drain()
    await linker.close()
    # the first agent writes the order up after handing the caller over: still that call
    assert await calls_of_new_order(session, seeded, "1001") == {"c-2"}
    assert await calls_of_new_order(session, seeded, "1003") == set()

    call = await session.scalar(select(Interaction).where(Interaction.external_id == "c-2"))
    await session.refresh(call)
    assert call.agent_id == "1002" and call.payload["answered_at"] == now + 3
    legs = [
        (leg.agent_id, leg.user_id, leg.answered_at.timestamp(), leg.ended_at.timestamp())
        for leg in await session.scalars(
            select(CallLeg).where(CallLeg.interaction_id == call.id).order_by(CallLeg.answered_at)
        )
    ]
    assert [(a, u) for a, u, _, _ in legs] == [
        ("1001", seeded.users["1001"].id),
        ("1002", seeded.users["1002"].id),
    ]
    assert [(round(s - now, 3), round(e - now, 3)) for _, _, s, e in legs] == [(3, 19), (20, 80)]


async def test_click_to_dial_links_the_call_and_its_recording(session, sm, seeded):
    bus = InProcessBus()
    linker = CallLinker(sm)
    linker.subscribe(bus)
    agent = seeded.users["1002"]
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
    )
    await register_outbound_call(session, agent, order, "out-9", demo_phone(9))
    await session.commit()
    await bus.publish(
        CallEnded(
            call_id="out-9",
            direction="outbound",
            outcome="answered",
            caller=demo_phone(9),
            agent_id="1002",
            started_at=time.time(),
            answered_at=time.time(),
            ended_at=time.time() + 5,
        )
    )
    await bus.publish(RecordingReady(call_id="out-9", path="/rec/out-9.wav", duration=5.0))
    await bus.drain()
    await linker.close()
    count = await session.scalar(
        select(func.count()).select_from(order_interactions).where(order_interactions.c.order_id == order.id)
    )
    assert count == 2


async def test_missed_calls_voicemail_and_fax_become_async_events(session, sm, seeded):
    bus = InProcessBus()
    intake = Intake()
    intake.logged_in = {"1001", "1002"}
    linker = CallLinker(sm, intake=intake)
    linker.subscribe(bus)
    for e in [
        CallEnded(call_id="m-1", direction="inbound", outcome="abandoned_queue", caller=demo_phone(1)),
        VoicemailReceived(
            call_id="v-1",
            caller=demo_phone(2),
            dnis="95598",
            path="/vm/v-1.wav",
            duration=12.0,
            reason="fault_report",
        ),
        FaxReceived(call_id="f-1", caller="020-88886666", dnis="95598", path="/fax/f-1.tif", pages=2),
        FaxReceived(call_id="f-1", caller="020-88886666", dnis="95598", path="/fax/f-1.tif", pages=2),
    ]:
        await bus.publish(e)
    await bus.drain()
    await linker.close()
    events = list(
        await session.scalars(select(Interaction).where(Interaction.kind != "call").order_by(Interaction.id))
    )
    assert [e.kind for e in events] == ["missed_call", "voicemail", "fax"]
    missed, voicemail, fax = events
    # only logged-in agents with the skill get events (voicemail: fault, the others: general)
    assert missed.status == fax.status == "assigned"
    # the IVR fault report became a fault order at its create step, held by the agent, voicemail linked
    assert voicemail.status == "handled"
    order = await session.scalar(
        select(WorkOrder)
        .join(order_interactions, order_interactions.c.order_id == WorkOrder.id)
        .where(order_interactions.c.interaction_id == voicemail.id)
    )
    assert (
        order.category == "fault" and order.current_node == "accept" and order.caller_number == demo_phone(2)
    )
    assert order.created_by_id == voicemail.assigned_to_id and order.customer_id == voicemail.customer_id
    # the caller's customer fills 故障地址 and 所属供电局, as the seat's intake would (prefill.customer_fills)
    customer = await session.get(Customer, voicemail.customer_id)
    site = await session.get(Site, customer.site_id)
    assert customer.address and (order.form["故障地址"], order.form["所属供电局"]) == (
        customer.address,
        site.code,
    )
    mine = await inbox(session, seeded.users["1001"]) + await inbox(session, seeded.users["1002"])
    assert sorted(e.kind for e in mine) == ["fax", "missed_call"]


async def test_screen_pop_does_not_wait_for_writers(sm, seeded):
    import asyncio

    lookup = screen_pop_hook(sm)
    async with sm.begin() as writer:  # a long unit of work holding the write lock
        await create_customer(writer, "6600000001", "孙女士", phones=["13600000001"])
        pop = await asyncio.wait_for(lookup(demo_phone(5)), timeout=3)
        assert pop["customer"]["account_no"] == demo_account_no(5)


async def test_hook_returns_exactly_what_the_session_lookup_returns(sm, seeded):
    """The hook runs the pop's statements straight through the driver; same answer, to the field."""
    gz = seeded.sites["440100"].id
    async with sm.begin() as s:
        a = await create_customer(
            s, "8800000011", "林先生", phones=["13800138011", "020-8888-0011"], site_id=gz
        )
        b = await create_customer(s, "8800000012", "林太太", phones=["13800138011"])  # shares the mobile
        order = await create_order(
            s,
            seeded.users["1001"],
            workflow="fault_repair",
            site_id=gz,
            customer_id=a.id,
            form={"故障地址": "天河路1号", "所属供电局": "440100"},
            caller_number="13800138011",
        )
        s.add(
            Interaction(
                kind="call",
                external_id="pop-1",
                number="13800138011",
                customer_id=b.id,
                duration=12.5,
                subject="停电",
                payload={"outcome": "answered"},
            )  # fmt: skip
        )
        s.add(
            Interaction(kind="call", external_id="pop-2", number="13900000077", payload={"outcome": "missed"})
        )
        walk_in = await create_order(  # nobody's customer: found by the number it was called in from
            s,
            seeded.users["1001"],
            workflow="fault_repair",
            site_id=gz,
            form={"故障地址": "天河路2号", "所属供电局": "440100"},
            caller_number="13900000077",
        )
        closed = await create_order(
            s,
            seeded.users["1001"],
            workflow="fault_repair",
            site_id=gz,
            customer_id=a.id,
            form={"故障地址": "天河路3号", "所属供电局": "440100"},
        )
        closed.is_open = False
    hook = screen_pop_hook(sm)
    for number in ("+86 138 0013 8011", "02088880011", "13900000077", "13999999999", "no digits"):
        async with sm() as s:
            expected = await lookup_for_screen_pop(s, number)
        assert await hook(number) == expected
    pop = await hook("13800138011")
    assert [m["account_no"] for m in pop["matches"]] == ["8800000011", "8800000012"]
    assert pop["customer"]["site"]
    assert pop["interactions"][0]["outcome"] == "answered"
    assert pop["interactions"][0]["occurred_at"].endswith("+00:00")
    assert [o["number"] for o in pop["open_orders"]] == [order.number]  # not the closed one
    walk_in_pop = await hook("13900000077")
    assert walk_in_pop["customer"] is None and walk_in_pop["interactions"][0]["outcome"] == "missed"
    assert [o["number"] for o in walk_in_pop["open_orders"]] == [walk_in.number]


async def test_the_callers_survey_score_is_kept_with_the_call(session, sm, seeded):
    from ivr.events import SurveyAnswered

    bus = InProcessBus()
    linker = CallLinker(sm)
    linker.subscribe(bus)
    number = demo_phone(8)
    await bus.publish(CallOffered(call_id="c-9", agent_id="1001", caller=number, queue="service"))
    await bus.publish(SurveyAnswered(call_id="c-9", score=4, caller=number, member="1001"))
    # A survey whose call the bridge never reported (a restart in between) still lands on a call row.
    await bus.publish(SurveyAnswered(call_id="c-10", score=1, caller="+86 " + number))
    await bus.drain()
    await linker.close()
    rows = {
        r.external_id: r for r in await session.scalars(select(Interaction).where(Interaction.kind == "call"))
    }
    assert rows["c-9"].payload["survey_score"] == 4 and rows["c-9"].payload["queue"] == "service"
    assert rows["c-9"].payload["survey_member"] == "1001"
    assert rows["c-10"].payload["survey_score"] == 1 and rows["c-10"].number == number


async def test_a_call_first_seen_answered_and_read_late_keeps_its_own_times(session, sm, seeded):
    # A consumer that catches up on the stream an hour later, whose first event of the call is
    # its answer (the offer was before it started): the call's time is the call's, not the hour
    # the consumer read it.
    hour_ago = float(int(time.time()) - 3600)  # whole seconds: the database keeps microseconds
    linker = CallLinker(sm)
    await linker.handle(CallAnswered(call_id="late-1", agent_id="1001", answered_at=hour_ago + 5))
    ended = CallEnded(
        call_id="late-1", direction="inbound", outcome="answered", agent_id="1001",
        answered_at=hour_ago + 5, ended_at=hour_ago + 65, legs=(("1001", hour_ago + 5, hour_ago + 65),),
    )  # fmt: skip
    await linker.handle(ended)
    # An abandoned call seen only at its end: it began when it queued.
    await linker.handle(
        CallEnded(call_id="late-2", direction="inbound", outcome="abandoned_queue", queued_at=hour_ago)
    )
    # A record that knows its start wins over anything seen before.
    await linker.handle(CallAnswered(call_id="late-3", agent_id="1001", answered_at=hour_ago + 20))
    await linker.handle(
        CallEnded(call_id="late-3", direction="inbound", outcome="answered", started_at=hour_ago + 10)
    )
    rows = {
        r.external_id: r for r in await session.scalars(select(Interaction).where(Interaction.kind == "call"))
    }
    began = {k: rows[k].occurred_at.timestamp() for k in ("late-1", "late-2", "late-3")}
    assert began == {"late-1": hour_ago + 5, "late-2": hour_ago, "late-3": hour_ago + 10}


async def test_after_the_call_an_order_for_another_number_is_not_about_that_call(session, sm, seeded):
    bus = InProcessBus()
    linker = CallLinker(sm)
    linker.subscribe(bus)
    now = time.time()
    caller, other = demo_phone(8), demo_phone(9)
    for e in (
        CallOffered(call_id="c-after", agent_id="1001", caller=caller, queue="fault", offered_at=now - 120),
        CallAnswered(call_id="c-after", agent_id="1001", caller=caller, answered_at=now - 115),
        CallEnded(
            call_id="c-after",
            direction="inbound",
            outcome="answered",
            caller=caller,
            agent_id="1001",
            started_at=now - 120,
            answered_at=now - 115,
            ended_at=now - 60,
        ),
    ):
        await bus.publish(e)
    await bus.drain()
    agent = seeded.users["1001"]
    form = {"故障地址": "天河路1号", "所属供电局": "440100"}
    site = seeded.sites["440100"].id

    async def linked_calls(order: WorkOrder) -> list[str]:
        return list(
            await session.scalars(
                select(Interaction.external_id)
                .join(order_interactions, order_interactions.c.interaction_id == Interaction.id)
                .where(order_interactions.c.order_id == order.id, Interaction.kind == "call")
            )
        )

    someone_else = await create_order(
        session, agent, workflow="fault_repair", site_id=site, form=form, caller_number=other
    )
    written_up = await create_order(
        session, agent, workflow="fault_repair", site_id=site, form=form, caller_number=caller
    )
    await session.commit()
    assert someone_else.customer_id is None and await linked_calls(someone_else) == []
    assert written_up.customer_id is not None and await linked_calls(written_up) == ["c-after"]
    await session.commit()  # the linker writes next

    # during a call the caller may give another number to be called back on: still that call
    for e in (
        CallOffered(call_id="c-during", agent_id="1001", caller=caller, queue="fault", offered_at=now),
        CallAnswered(call_id="c-during", agent_id="1001", caller=caller, answered_at=now + 2),
    ):
        await bus.publish(e)
    await bus.drain()
    await linker.close()
    mobile = await create_order(
        session, agent, workflow="fault_repair", site_id=site, form=form, caller_number=other
    )
    await session.commit()
    assert mobile.customer_id is not None and await linked_calls(mobile) == ["c-during"]


async def test_an_order_for_the_previous_call_links_that_call_not_the_one_on_now(session, sm, seeded):
    bus = InProcessBus()
    linker = CallLinker(sm)
    linker.subscribe(bus)
    now = time.time()
    first, second, colleagues = demo_phone(8), "13911112222", demo_phone(9)
    for e in (
        CallOffered(call_id="c-prev", agent_id="1001", caller=first, queue="fault", offered_at=now - 900),
        CallAnswered(call_id="c-prev", agent_id="1001", caller=first, answered_at=now - 895),
        CallEnded(
            call_id="c-prev",
            direction="inbound",
            outcome="answered",
            caller=first,
            agent_id="1001",
            started_at=now - 900,
            answered_at=now - 895,
            ended_at=now - 850,
        ),
        RecordingReady(call_id="c-prev", path="/rec/c-prev.wav", duration=45.0),
        CallOffered(call_id="c-now", agent_id="1001", caller=second, queue="fault", offered_at=now - 10),
        CallAnswered(call_id="c-now", agent_id="1001", caller=second, answered_at=now - 5),
        CallOffered(call_id="c-theirs", agent_id="1002", caller=colleagues, queue="fault", offered_at=now),
        CallAnswered(call_id="c-theirs", agent_id="1002", caller=colleagues, answered_at=now + 1),
    ):
        await bus.publish(e)
    await bus.drain()
    await linker.close()
    agent = seeded.users["1001"]
    form = {"故障地址": "天河路1号", "所属供电局": "440100"}
    site = seeded.sites["440100"].id

    async def linked(order: WorkOrder) -> list[tuple[str, str]]:
        return sorted(
            (
                await session.execute(
                    select(Interaction.kind, Interaction.external_id)
                    .join(order_interactions, order_interactions.c.interaction_id == Interaction.id)
                    .where(order_interactions.c.order_id == order.id)
                )
            ).all()
        )

    written_up = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=site,
        form=form,
        caller_number=first,
        call_id="c-prev",
    )
    current = await create_order(session, agent, workflow="fault_repair", site_id=site, form=form)
    await session.commit()
    prev_call = await session.scalar(select(Interaction).where(Interaction.external_id == "c-prev"))
    assert await linked(written_up) == [("call", "c-prev"), ("recording", "c-prev")]
    assert written_up.customer_id == prev_call.customer_id is not None
    assert await linked(current) == [("call", "c-now")]  # no call named: the one on now

    for not_mine in ("c-theirs", "no-such-call"):
        with pytest.raises(ActionRefused) as refused:
            await create_order(
                session, agent, workflow="fault_repair", site_id=site, form=form, call_id=not_mine
            )
        assert refused.value.error_id == "call.forbidden"
