"""What arrives while nobody with its skill is signed in (the night's voicemails) waits, status
new, and reaches the agents who sign in: the oldest first, a few each, so the morning shift
shares the night's backlog, and each agent's inbox is filled up again as they handle it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator

from sqlalchemy import func, select

from cti.bus import InProcessBus
from cti.call_events import AgentStateChanged, VoicemailReceived
from ticketing import create_order
from ticketing.calls import CallLinker
from ticketing.events import AsyncEventAssigned, AsyncEventHandled, AsyncEventReturned, publish_pending
from ticketing.intake import Intake, inbox, link_to_order, unhandled_count, waiting
from ticketing.models import AuditLog, Interaction, WorkOrder, order_interactions
from ticketing.users import create_user

NIGHT = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)


@contextlib.contextmanager
def _database_work(sm) -> Iterator[tuple[list[bool], list[str]]]:
    """What the database is asked while the block runs: (each transaction's read_only flag, each
    statement)."""
    from sqlalchemy import event as sa_event

    engine = sm.kw["bind"].sync_engine
    begins: list[bool] = []
    statements: list[str] = []

    def began(conn):
        begins.append(bool(conn.get_execution_options().get("read_only")))

    def executed(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(engine, "begin", began)
    sa_event.listen(engine, "before_cursor_execute", executed)
    try:
        yield begins, statements
    finally:
        sa_event.remove(engine, "begin", began)
        sa_event.remove(engine, "before_cursor_execute", executed)


async def _night(sm, intake: Intake) -> list[int]:
    """Nine SMS and a fax from 02:00 on (received out of order), nobody signed in: ids oldest first."""
    async with sm.begin() as db:
        rows = [
            await intake.receive(
                db,
                "sms",
                f"night-{i}",
                sender="13800138000",
                content=f"短信{i}",
                occurred_at=NIGHT + dt.timedelta(minutes=i),
            )
            for i in (3, 0, 1, 2, 4, 5, 6, 7, 8, 9)
        ]
        assert {(r.status, r.assigned_to_id) for r in rows} == {("new", None)}
        return [r.id for r in sorted(rows, key=lambda r: r.occurred_at)]


async def _settled(bus: InProcessBus) -> None:
    """Every subscriber idle: ``drain`` alone returns while a handler still awaits the database."""
    for _ in range(1000):
        await bus.drain()
        if all(s._wakeup is not None and not s.pending for s in bus._subs):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bus's subscribers did not settle")


def _signs_in(staff_no: str) -> AgentStateChanged:
    return AgentStateChanged(
        agent_id=staff_no, state="not_ready", previous="logged_out", seconds_in_previous=0
    )


def _ready(staff_no: str) -> AgentStateChanged:
    """就绪 after the sign-in's 未就绪: there to be given events (``Intake.at_work``)."""
    return AgentStateChanged(agent_id=staff_no, state="ready", previous="not_ready", seconds_in_previous=5)


async def _inbox_ids(sm, user) -> list[int]:
    async with sm() as db:
        return sorted(r.id for r in await inbox(db, user))


async def test_the_nights_events_reach_the_morning_shift_oldest_first_a_few_each(sm, seeded):
    u = seeded.users
    bus = InProcessBus()
    pushed: list[AsyncEventAssigned] = []

    async def heard(event):
        pushed.append(event)

    bus.subscribe(heard, types=[AsyncEventAssigned])
    intake = Intake(backlog_share=3)
    night = await _night(sm, intake)
    intake.subscribe(bus, sm)
    try:
        await bus.publish(_signs_in("1001"))
        await _settled(bus)
        # not the whole night on the first one in: the three oldest
        assert await _inbox_ids(sm, u["1001"]) == night[:3]
        await bus.publish(_signs_in("1002"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1002"]) == night[3:6]
        # pushed to their consoles, and audited as the system's assignment
        assert [(e.staff_no, e.interaction_id) for e in pushed] == [("1001", i) for i in night[:3]] + [
            ("1002", i) for i in night[3:6]
        ]
        async with sm() as db:
            audits = list(
                await db.scalars(
                    select(AuditLog).where(AuditLog.action == "event.assign").order_by(AuditLog.id)
                )
            )
            assert [(a.entity_id, a.user_id, a.before, a.after) for a in audits] == [
                (
                    str(i),
                    None,
                    {"assigned_to": None, "status": "new"},
                    {"assigned_to": who, "status": "assigned"},
                )
                for i, who in [(i, u["1001"].id) for i in night[:3]] + [(i, u["1002"].id) for i in night[3:6]]
            ]
            rows, count = await waiting(db)
            assert [r.id for r in rows] == night[6:] and count == 4

        # 1001 handles one: the next oldest fills their inbox up again
        async with sm() as db:
            order = await create_order(
                db,
                u["1001"],
                workflow="consult",
                site_id=seeded.sites["440100"].id,
                form={"咨询内容": "a", "答复内容": "b"},
            )
            await link_to_order(db, u["1001"], night[0], order)
            await db.commit()
            await publish_pending(db, bus)
        await _settled(bus)
        assert await _inbox_ids(sm, u["1001"]) == [*night[1:3], night[6]]
        # becoming ready again, with a full inbox, takes nothing more
        await bus.publish(
            AgentStateChanged(agent_id="1001", state="ready", previous="not_ready", seconds_in_previous=5)
        )
        await _settled(bus)
        assert await _inbox_ids(sm, u["1001"]) == [*night[1:3], night[6]]
    finally:
        await intake.close()


async def test_only_waiting_events_of_the_agents_skills_and_none_taken_twice(sm, seeded):
    u = seeded.users
    intake = Intake(backlog_share=5)
    async with sm.begin() as db:
        complaints_only = await create_user(
            db,
            "1009",
            "投诉专席",
            "Secret-pass-1",
            roles=["agent"],
            site_id=u["1001"].site_id,
            skills={"complaint": 1},
            must_change_password=False,
        )
        sms = await intake.receive(db, "sms", "sms-new", sender="13800138000", content="停电")
        voicemail = await intake.receive(db, "voicemail", "vm-new", sender="13800138000")
    bus = InProcessBus()
    intake.subscribe(bus, sm)
    try:
        await bus.publish(_signs_in("1009"))  # no skill for an SMS or a voicemail
        await _settled(bus)
        assert await _inbox_ids(sm, complaints_only) == []
        await bus.publish(_signs_in("1003"))
        await bus.publish(_signs_in("1004"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1003"]) == sorted([sms.id, voicemail.id])
        assert await _inbox_ids(sm, u["1004"]) == []
        async with sm() as db:
            assert (await waiting(db))[1] == 0
            assert {r.status for r in await db.scalars(select(Interaction))} == {"assigned"}
    finally:
        await intake.close()


async def test_a_nights_fault_report_opens_its_order_at_sign_in_and_arrivals_are_pushed(sm, seeded):
    """The IVR's 报修 voicemail left at night is the morning agent's fault order, as it would
    have been on arrival; a voicemail assigned on arrival reaches the console too (the worker
    published nothing it queued)."""
    u = seeded.users
    bus = InProcessBus()
    pushed: list = []

    async def heard(event):
        pushed.append(event)

    bus.subscribe(heard, types=[AsyncEventAssigned, AsyncEventHandled])
    intake = Intake()
    intake.subscribe(bus, sm)
    linker = CallLinker(sm, intake=intake, bus=bus)
    linker.subscribe(bus)
    try:
        await bus.publish(
            VoicemailReceived(
                call_id="vm-night",
                caller="13800138000",
                dnis="95598",
                path="/vm/n.wav",
                duration=20,
                reason="fault_report",
            )
        )
        await _settled(bus)
        async with sm() as db:
            night = await db.scalar(select(Interaction).where(Interaction.external_id == "vm-night"))
            assert (night.status, night.assigned_to_id) == ("new", None)
            assert await db.scalar(select(func.count()).select_from(WorkOrder)) == 0
        assert pushed == []

        await bus.publish(_signs_in("1001"))
        await _settled(bus)
        async with sm() as db:
            night = await db.get(Interaction, night.id)
            assert (night.status, night.assigned_to_id) == ("handled", u["1001"].id)
            [order] = await db.scalars(select(WorkOrder))
            assert order.workflow_key == "fault_repair" and order.created_by_id == u["1001"].id
            assert night.id in await db.scalars(
                select(order_interactions.c.interaction_id).where(order_interactions.c.order_id == order.id)
            )
        assert [(type(e), e.staff_no, e.interaction_id) for e in pushed] == [
            (AsyncEventAssigned, "1001", night.id),
            (AsyncEventHandled, "1001", night.id),
        ]

        # 就绪 (an agent 未就绪 is on a break, and is given no new events: ``Intake.assign``)
        await bus.publish(
            AgentStateChanged(agent_id="1001", state="ready", previous="not_ready", seconds_in_previous=5)
        )
        await bus.publish(
            VoicemailReceived(call_id="vm-day", caller="13800138000", dnis="95598", path="/vm/d.wav")
        )
        await _settled(bus)
        async with sm() as db:
            day = await db.scalar(select(Interaction).where(Interaction.external_id == "vm-day"))
        assert day.assigned_to_id == u["1001"].id
        assert (type(pushed[-1]), pushed[-1].staff_no, pushed[-1].interaction_id) == (
            AsyncEventAssigned,
            "1001",
            day.id,
        )
    finally:
        await linker.close()
        await intake.close()


async def test_becoming_ready_with_nothing_waiting_writes_nothing(sm, seeded):
    """``ready`` comes after every ACW and every ring another seat took: with no event waiting
    it costs one read, never a write transaction (on SQLite the database's one write lock)."""
    bus = InProcessBus()
    intake = Intake()
    intake.subscribe(bus, sm)
    try:
        with _database_work(sm) as (begins, statements):
            for _ in range(10):
                await bus.publish(
                    AgentStateChanged(
                        agent_id="1001", state="ready", previous="ringing", seconds_in_previous=1
                    )
                )
            await _settled(bus)
    finally:
        await intake.close()
    assert begins == [True] * 10
    assert len(statements) == 10

    # something waiting: the next to become ready still takes it
    async with sm.begin() as db:
        sms = await intake.receive(db, "sms", "sms-late", sender="13800138000", content="停电")
    intake.subscribe(bus, sm)
    try:
        await bus.publish(
            AgentStateChanged(agent_id="1001", state="ready", previous="ringing", seconds_in_previous=1)
        )
        await _settled(bus)
        assert await _inbox_ids(sm, seeded.users["1001"]) == [sms.id]
    finally:
        await intake.close()


async def test_a_replayed_sign_in_of_an_agent_who_has_signed_out_since_takes_nothing(sm, seeded):
    """After a worker restart the intake group replays the sign-ins it missed: one whose agent
    signed out meanwhile hands them nothing, the events stay 未分派 for the supervisors."""
    intake = Intake()
    async with sm.begin() as db:
        sms = await intake.receive(db, "sms", "sms-replayed", sender="13800138000", content="停电")
    bus = InProcessBus()
    intake.subscribe(bus, sm)
    try:
        signed_in = _signs_in("1001").stamped(seq=10)
        signed_out = AgentStateChanged(
            agent_id="1001", state="logged_out", previous="not_ready", seconds_in_previous=60
        ).stamped(seq=11)
        for event in (signed_in, signed_out):
            await intake.on_agent_state(event)
        await intake.on_work_event(signed_in)
        assert await _inbox_ids(sm, seeded.users["1001"]) == []
        async with sm() as db:
            assert [r.id for r in (await waiting(db))[0]] == [sms.id]
        # signed in again: theirs
        again = _signs_in("1001").stamped(seq=12)
        await intake.on_agent_state(again)
        await intake.on_work_event(again)
        assert await _inbox_ids(sm, seeded.users["1001"]) == [sms.id]
    finally:
        await intake.close()


def _signs_out(staff_no: str) -> AgentStateChanged:
    return AgentStateChanged(
        agent_id=staff_no, state="logged_out", previous="not_ready", seconds_in_previous=60
    )


async def test_signing_out_puts_the_inbox_back_in_the_waiting_events_in_arrival_order(sm, seeded):
    """下班 with unhandled events: they wait again, as they arrived (not at the end of the
    queue), for the next agent to sign in; a break (未就绪) keeps them in the agent's inbox."""
    u = seeded.users
    intake = Intake(backlog_share=3)
    night = await _night(sm, intake)
    bus = InProcessBus()
    pushed: list = []

    async def heard(event):
        pushed.append(event)

    bus.subscribe(heard, types=[AsyncEventReturned])
    intake.subscribe(bus, sm)
    try:
        await bus.publish(_signs_in("1001"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1001"]) == night[:3]
        await bus.publish(
            AgentStateChanged(agent_id="1001", state="not_ready", previous="ready", seconds_in_previous=9)
        )
        await _settled(bus)
        assert await _inbox_ids(sm, u["1001"]) == night[:3]

        await bus.publish(_signs_out("1001"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1001"]) == []
        async with sm() as db:
            rows, count = await waiting(db)
            assert [r.id for r in rows] == night and count == 10
            assert await unhandled_count(db, u["1001"]) == 0
        # the console's inbox and count follow (the gateway routes it to 1001's tabs)
        assert [(e.staff_no, e.interaction_id) for e in pushed] == [("1001", i) for i in night[:3]]

        await bus.publish(_signs_in("1002"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1002"]) == night[:3]
    finally:
        await intake.close()


async def test_signing_out_hands_the_inbox_to_a_colleague_still_signed_in_audited(sm, seeded):
    u = seeded.users
    intake = Intake()
    async with sm.begin() as db:
        first = await intake.receive(
            db, "sms", "sms-a", sender="13800138000", content="停电", occurred_at=NIGHT
        )
        second = await intake.receive(
            db, "fax", "fax-b", sender="13800138000", occurred_at=NIGHT + dt.timedelta(minutes=1)
        )
    bus = InProcessBus()
    intake.subscribe(bus, sm)
    try:
        await bus.publish(_signs_in("1001"))
        await _settled(bus)
        await bus.publish(_signs_in("1002"))  # nothing left to take
        await bus.publish(_ready("1002"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1001"]) == [first.id, second.id]
        assert await _inbox_ids(sm, u["1002"]) == []

        await bus.publish(_signs_out("1001"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1001"]) == []
        assert await _inbox_ids(sm, u["1002"]) == [first.id, second.id]
        async with sm() as db:
            assert (await waiting(db))[1] == 0
            audits = list(
                await db.scalars(
                    select(AuditLog).where(AuditLog.action == "event.assign").order_by(AuditLog.id)
                )
            )
        assert [(a.entity_id, a.user_id, a.actor, a.before, a.after) for a in audits[2:]] == [
            (
                str(first.id),
                None,
                "system",
                {"assigned_to": u["1001"].id, "status": "assigned"},
                {"assigned_to": None, "status": "new", "reason": "下班"},
            ),
            (
                str(second.id),
                None,
                "system",
                {"assigned_to": u["1001"].id, "status": "assigned"},
                {"assigned_to": None, "status": "new", "reason": "下班"},
            ),
            (
                str(first.id),
                None,
                "system",
                {"assigned_to": None, "status": "new"},
                {"assigned_to": u["1002"].id, "status": "assigned"},
            ),
            (
                str(second.id),
                None,
                "system",
                {"assigned_to": None, "status": "new"},
                {"assigned_to": u["1002"].id, "status": "assigned"},
            ),
        ]
    finally:
        await intake.close()


async def test_a_replayed_sign_out_of_an_agent_who_has_signed_in_since_hands_nothing_back(sm, seeded):
    """After a worker restart the intake group replays the sign-outs it missed: one whose agent
    signed in again meanwhile leaves the inbox on their screen alone."""
    u = seeded.users
    intake = Intake()
    bus = InProcessBus()
    intake.subscribe(bus, sm)
    try:
        signed_in = _signs_in("1001").stamped(seq=10)
        signed_out = _signs_out("1001").stamped(seq=11)
        again = _signs_in("1001").stamped(seq=12)
        ready = AgentStateChanged(
            agent_id="1001", state="ready", previous="not_ready", seconds_in_previous=1
        ).stamped(seq=13)
        for event in (signed_in, signed_out, again, ready):
            await intake.on_agent_state(event)
        async with sm.begin() as db:
            sms = await intake.receive(db, "sms", "sms-mine", sender="13800138000", content="停电")
        assert await _inbox_ids(sm, u["1001"]) == [sms.id]

        await intake.on_work_event(signed_out)
        assert await _inbox_ids(sm, u["1001"]) == [sms.id]
        async with sm() as db:
            assert (await waiting(db))[1] == 0
            assert [
                a.after for a in await db.scalars(select(AuditLog).where(AuditLog.action == "event.assign"))
            ] == [{"assigned_to": u["1001"].id, "status": "assigned"}]

        # the sign-out after that one is current: the event waits again
        latest = _signs_out("1001").stamped(seq=14)
        await intake.on_agent_state(latest)
        await intake.on_work_event(latest)
        assert await _inbox_ids(sm, u["1001"]) == []
        async with sm() as db:
            assert [r.id for r in (await waiting(db))[0]] == [sms.id]
    finally:
        await intake.close()


async def test_signing_out_with_an_empty_inbox_writes_nothing(sm, seeded):
    """Most sign-outs leave nothing unhandled: one read, never a write transaction."""
    bus = InProcessBus()
    intake = Intake()
    intake.subscribe(bus, sm)
    try:
        with _database_work(sm) as (begins, statements):
            for _ in range(5):
                await bus.publish(_signs_out("1001"))
            await _settled(bus)
    finally:
        await intake.close()
    assert begins == [True] * 5
    assert len(statements) == 5
