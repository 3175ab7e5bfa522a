"""Call records and recordings from CTI events, and their links to work orders.

``CallLinker`` consumes ``CallOffered``, ``CallAnswered``, ``CallEnded``,
``RecordingReady``, ``VoicemailReceived`` and ``FaxReceived`` from the bus
(group "ticketing"), one short transaction per event. Every write is an
upsert keyed on (kind, call id), so an event seen twice changes nothing.

Linking: an order created by an agent during (or in the after-call work of) a
call they answered gets that call (``ACTIVE_CALL``, linked by
``create_order``); a click-to-dial from an order registers the call with the
order first (``register_outbound_call``); an order made from an async event gets
the event's call-backs (回拨, ``link_callbacks``); a recording follows its call's links.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti.bus import Bus, Subscription
from cti.call_events import (
    CallAnswered,
    CallEnded,
    CallOffered,
    CallStarted,
    FaxReceived,
    RecordingReady,
    VoicemailReceived,
)
from cti.events import Event
from cti.phones import InvalidPhoneNumber, normalize
from ivr.events import SurveyAnswered
from ticketing.audit import record
from ticketing.events import publish_pending
from ticketing.models import (
    CallLeg,
    CustomerPhone,
    Interaction,
    User,
    UtcDateTime,
    WorkOrder,
    order_interactions,
    utcnow,
)
from ticketing.users import own_queues

log = logging.getLogger(__name__)
AFTER_CALL_WINDOW = dt.timedelta(minutes=15)
ABANDONED = ("abandoned_queue", "abandoned_ringing")
CONSUMED = (
    CallStarted,
    CallOffered,
    CallAnswered,
    CallEnded,
    RecordingReady,
    VoicemailReceived,
    FaxReceived,
    SurveyAnswered,
)


def _ts(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC) if seconds else utcnow()


def _waited(event: CallEnded) -> float | None:
    """How long a caller who gave up waited, from entering the queue to hanging up (seconds, to
    a tenth): the inbox says it beside the queue (排队 65 秒，故障报修). None: never queued."""
    if not event.queued_at or not event.ended_at:
        return None
    return round(max(0.0, event.ended_at - event.queued_at), 1)


def _norm(number: str) -> str:
    try:
        return normalize(number)
    except InvalidPhoneNumber:
        return ""


async def _customer_for(session: AsyncSession, number: str) -> int | None:
    if not number:
        return None
    return await session.scalar(
        select(CustomerPhone.customer_id).where(CustomerPhone.number == number).limit(1)
    )


async def upsert_interaction(
    session: AsyncSession,
    kind: str,
    external_id: str,
    *,
    defaults: dict[str, Any] | None = None,
    **values: Any,
) -> Interaction:
    """The (kind, external_id) row, created (with ``defaults`` too) or updated with ``values``;
    ``payload`` is merged."""
    row = await session.scalar(
        select(Interaction).where(Interaction.kind == kind, Interaction.external_id == external_id)
    )
    payload = values.pop("payload", None) or {}
    if row is None:
        row = Interaction(
            kind=kind, external_id=external_id, payload=payload, **{**(defaults or {}), **values}
        )
        session.add(row)
        await session.flush()
        return row
    for key, value in values.items():
        setattr(row, key, value)
    if payload:
        row.payload = {**(row.payload or {}), **payload}
    return row


async def link(
    session: AsyncSession, order: WorkOrder | int, interaction: Interaction, user: User | None = None
) -> bool:
    """Link an interaction to an order (idempotent); recordings of a linked call follow."""
    order_id = order if isinstance(order, int) else order.id
    already = await session.scalar(
        select(
            exists().where(
                order_interactions.c.order_id == order_id,
                order_interactions.c.interaction_id == interaction.id,
            )
        )
    )
    if already:
        return False
    await session.execute(
        order_interactions.insert().values(
            order_id=order_id,
            interaction_id=interaction.id,
            linked_at=utcnow(),
            linked_by_id=user.id if user else None,
        )
    )
    await record(
        session,
        user,
        "order.link_interaction",
        "work_order",
        order_id,
        after={"interaction": interaction.id, "kind": interaction.kind},
    )
    if interaction.kind == "call":
        recording = await session.scalar(
            select(Interaction).where(
                Interaction.kind == "recording", Interaction.external_id == interaction.external_id
            )
        )
        if recording is not None:
            await link(session, order_id, recording, user)
    return True


async def orders_of(session: AsyncSession, interaction: Interaction) -> list[int]:
    return list(
        await session.scalars(
            select(order_interactions.c.order_id).where(order_interactions.c.interaction_id == interaction.id)
        )
    )


def _active_call() -> Select:
    # the agent's latest leg of a call they took: a consultation they were only asked in (咨询转接,
    # ``consult_from``) is the consulting agent's caller, not a contact of this agent's to link to
    latest = (
        select(CallLeg.interaction_id, CallLeg.ended_at)
        .where(CallLeg.agent_id == bindparam("agent"), CallLeg.consult_from == "")
        .order_by(CallLeg.answered_at.desc())
        .limit(1)
        .subquery("latest_leg")
    )
    # the agent left the call then, or the call ended then (a leg whose end was never heard)
    left = func.coalesce(latest.c.ended_at, Interaction.ended_at)
    number = bindparam("number", type_=String())
    # after the call, an order for another number is about someone else (a customer who called
    # before and is being written up now says so by their number); during it, any number goes:
    # the caller may give a mobile to be called back on
    same_caller = or_(number == "", Interaction.number == "", Interaction.number == number)
    return (
        select(Interaction.id, Interaction.customer_id)
        .join(latest, latest.c.interaction_id == Interaction.id)
        .where(or_(left.is_(None), and_(left >= bindparam("since", type_=UtcDateTime()), same_caller)))
    )


# The call an agent took last (their latest leg, not one they were only consulted on), if they
# are still on it, or left it just now (after-call work) and the order is for the same number: an
# order they create now is about that call, whoever took it after them. Parameters: ``agent``
# (工号), ``since`` (now minus AFTER_CALL_WINDOW) and ``number`` (the order's caller number,
# normalised, or "").
# ``create_order`` runs it in the same go as its inserts.
ACTIVE_CALL = _active_call()


async def register_outbound_call(
    session: AsyncSession, user: User, order: WorkOrder, call_id: str, number: str
) -> Interaction:
    """Click-to-dial from inside an order: the call (and later its recording) belongs to the order."""
    number = _norm(number) or number
    call = await upsert_interaction(
        session,
        "call",
        call_id,
        direction="outbound",
        number=number,
        agent_id=user.staff_no,
        user_id=user.id,
        customer_id=order.customer_id,
        status="dialing",
        occurred_at=utcnow(),
        payload={"order": order.number},
    )
    await link(session, order, call, user)
    return call


async def link_callbacks(
    session: AsyncSession, order: WorkOrder | int, event: Interaction, user: User | None = None
) -> None:
    """Every 回拨 made from the async ``event`` (its ``payload.callbacks``: ``intake.record_callback``)
    is a call about it, so the order that handles the event is about those calls too, as the
    seat's order is about the call it was taken in: each is linked, with its recording, now or
    when it is ready (``link``). Idempotent: an order linked again, or a 回拨 after the order,
    links what is not linked yet."""
    for attempt in (event.payload or {}).get("callbacks") or []:
        if attempt.get("call_id"):
            await link(session, order, await _callback_call(session, event, attempt), user)


async def _callback_call(session: AsyncSession, event: Interaction, attempt: dict[str, Any]) -> Interaction:
    """The call of a 回拨 ``attempt``; one the CTI has not reported yet (its ring, its answer) is
    registered as the outbound call it is, as ``register_outbound_call`` does for a 回呼."""
    at = attempt.get("at")
    return await upsert_interaction(
        session,
        "call",
        attempt["call_id"],
        defaults={
            "direction": "outbound",
            "number": attempt.get("number") or event.number,
            "agent_id": attempt.get("by") or "",
            "customer_id": event.customer_id,
            "status": "dialing",
            "occurred_at": dt.datetime.fromisoformat(at) if at else utcnow(),
        },
    )


async def _last_agent(session: AsyncSession, call: Interaction, known: set[str]) -> None:
    """The record's agent, when legs other than the ``known`` ones are on it (another server's
    agents, from its relayed record): the one whose leg ended last, as one server's model picks it
    (``cti.calls``), whichever server's record came first."""
    legs = (
        await session.execute(
            select(CallLeg.agent_id, CallLeg.user_id, CallLeg.ended_at, CallLeg.answered_at).where(
                CallLeg.interaction_id == call.id
            )
        )
    ).all()
    if not legs or {leg.agent_id for leg in legs} <= known:
        return
    # a leg not ended yet (the other server's record still to come) is someone still on the call
    last = max(legs, key=lambda leg: (leg.ended_at is None, leg.ended_at or leg.answered_at, leg.answered_at))
    if last.agent_id != call.agent_id:
        call.agent_id = last.agent_id
        call.user_id = last.user_id or await session.scalar(
            select(User.id).where(User.staff_no == last.agent_id)
        )


async def _leg(
    session: AsyncSession,
    call: Interaction,
    agent_id: str,
    joined: float,
    *,
    left: float = 0.0,
    user_id: int | None = None,
    consult_from: str | None = None,
) -> CallLeg:
    """The call's leg of ``agent_id`` from ``joined`` on, created or given its end; ``consult_from``
    (a ``CallAnswered``'s): who consults the agent on it, "" once it is theirs (None: as it was)."""
    answered_at = _ts(joined)
    leg = await session.scalar(  # autoflushed first: a leg added earlier in this event is found
        select(CallLeg).where(
            CallLeg.interaction_id == call.id,
            CallLeg.agent_id == agent_id,
            CallLeg.answered_at == answered_at,
        )
    )
    if leg is None:
        if user_id is None:
            user_id = await session.scalar(select(User.id).where(User.staff_no == agent_id))
        leg = CallLeg(interaction_id=call.id, agent_id=agent_id, user_id=user_id, answered_at=answered_at)
        session.add(leg)
    if left:
        leg.ended_at = _ts(left)
    if consult_from is not None:
        leg.consult_from = consult_from
    return leg


def _queue_legs(event: CallEnded) -> dict[str, Any]:
    """The call's queue legs for the reports, when it entered more than one queue (a blind or
    completed attended transfer to a queue, an overflow): ``queue_legs``, every one, for the call
    detail; ``queue_legs_before``, all but the last (the call's own queue, queued_at, outcome),
    each with its talk (its answer to the caller's entering the next queue), for the queue
    report, which counts each leg in its own queue; ``queue_answered_at``, the last queue's
    answer (the call's ``answered_at`` is its first); ``queue_path``, "|q1|q2|", to find the call
    by any queue it was in."""
    if len(event.queue_legs) < 2:
        return {}
    legs = [
        {"queue": q, "queued_at": queued, "left_at": left, "outcome": outcome, "agent_id": agent}
        for q, queued, left, outcome, agent in event.queue_legs
    ]
    before = []
    for leg, following in zip(legs, legs[1:], strict=False):
        answered = leg["outcome"] == "answered" and leg["left_at"]
        talk = max(0.0, following["queued_at"] - leg["left_at"]) if answered else 0.0
        before.append({**leg, "talk": round(talk, 3)})
    last = legs[-1]
    return {
        "queue_legs": legs,
        "queue_legs_before": before,
        "queue_answered_at": last["left_at"] if last["outcome"] == "answered" else 0.0,
        "queue_path": "|" + "|".join(leg["queue"] for leg in legs) + "|",
    }


class CallLinker:
    """Bus consumer keeping call, recording, voicemail and fax interactions."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        intake: Any | None = None,
        bus: Bus | None = None,
        *,
        queues: Iterable[str] | None = None,
        default_skills: Iterable[str] = (),
    ) -> None:
        self.sessionmaker = sessionmaker
        # the routing's queues (and the seats' default skills): with the users' skills, the
        # hotline's own (``users.own_queues``), the only ones whose abandoned calls are its
        # 未接来电. None: no routing to tell (a tool, a test), every queue's are
        self.queues = None if queues is None else tuple(queues)
        self.default_skills = tuple(default_skills)
        self.intake = intake  # ticketing.intake.Intake: assigns voicemail, fax and missed calls
        # where what the intake queued goes once committed: the assigned agent's console hears
        # of a voicemail (AsyncEventAssigned), the fault order it opened is routed (TicketRouted)
        self.bus = bus
        self._subscription: Subscription | None = None

    def subscribe(self, bus: Bus) -> Subscription:
        self._subscription = bus.subscribe(self.handle, types=CONSUMED, group="ticketing")
        return self._subscription

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()

    async def handle(self, event: Event) -> None:
        if isinstance(event, CallStarted) and event.direction != "outbound":
            return  # only a call placed from here needs its row before its ring (below)
        for attempt in (1, 2):
            try:
                async with self.sessionmaker.begin() as session:
                    await self._apply(session, event)
                await publish_pending(session, self.bus)
                return
            except IntegrityError:
                # Another consumer inserted the same row at the same moment: the retry updates it.
                if attempt == 2:
                    raise

    async def _apply(self, session: AsyncSession, event: Event) -> None:
        if isinstance(event, CallStarted):
            # A call the hotline places (回拨, 回呼, a campaign's, an agent's dial-out) is outbound
            # from its first row: its ring and answer (and an order linked meanwhile) made it an
            # inbound one, the column's default, until its record came at the end.
            number = _norm(event.caller)
            await upsert_interaction(
                session,
                "call",
                event.call_id,
                direction=event.direction,
                defaults={
                    "number": number,
                    "dnis": event.dnis,
                    "occurred_at": _ts(event.started_at or event.ts),
                    "customer_id": await _customer_for(session, number),
                    "status": "ringing",
                },
            )
            return
        if isinstance(event, SurveyAnswered):
            # The caller's own 1-5 after the agent hung up: kept with the call, for the call detail
            # and satisfaction reports; the agent is the queue member who took the call.
            await upsert_interaction(
                session,
                "call",
                event.call_id,
                defaults={"number": _norm(event.caller), "dnis": event.dnis, "occurred_at": _ts(event.ts)},
                payload={"survey_score": event.score, "survey_member": event.member},
            )
            return
        if isinstance(event, CallOffered):
            number = _norm(event.caller)
            await upsert_interaction(
                session,
                "call",
                event.call_id,
                number=number,
                dnis=event.dnis,
                defaults={"occurred_at": _ts(event.offered_at or event.ts)},
                customer_id=await _customer_for(session, number),
                status="ringing",
                payload={
                    "queue": event.queue,
                    "ivr_path": list(event.ivr_path),
                    "caller_name": event.caller_name,
                },
            )
        elif isinstance(event, CallAnswered):
            user_id = await session.scalar(select(User.id).where(User.staff_no == event.agent_id))
            number = _norm(event.caller)
            values: dict[str, Any] = {"agent_id": event.agent_id, "user_id": user_id, "status": "answered"}
            if event.consult_from:
                # a colleague consulted (咨询转接): the call stays the consulting agent's, and so
                # does its order, unless the transfer is completed (announced again, without it)
                del values["agent_id"], values["user_id"]
            if number:
                values["number"] = number
            row = await upsert_interaction(
                session,
                "call",
                event.call_id,
                # first seen answered (its offer missed, or made outside a queue): it began by then
                defaults={"occurred_at": _ts(event.answered_at or event.ts)},
                payload={"queue": event.queue},
                **values,
            )
            if not (row.payload or {}).get("answered_at"):  # the first answer, not a transfer's
                row.payload = {**(row.payload or {}), "answered_at": event.answered_at}
            if row.customer_id is None:
                row.customer_id = await _customer_for(session, row.number)
            await _leg(
                session,
                row,
                event.agent_id,
                event.answered_at,
                user_id=user_id,
                consult_from=event.consult_from,
            )
        elif isinstance(event, CallEnded):
            await self._ended(session, event)
        elif isinstance(event, RecordingReady):
            await self._recording(session, event)
        elif isinstance(event, VoicemailReceived):
            await self._async_event(
                session,
                "voicemail",
                event.call_id,
                event.caller,
                event.dnis,
                event.path,
                {"duration": event.duration, "reason": event.reason},
                duration=event.duration,
            )
        elif isinstance(event, FaxReceived):
            await self._async_event(
                session,
                "fax",
                event.call_id,
                event.caller,
                event.dnis,
                event.path,
                {"pages": event.pages, "status": event.status},
            )

    async def _ended(self, session: AsyncSession, event: CallEnded) -> None:
        if event.relayed:
            await self._relayed_legs(session, event)
            return
        number = _norm(event.caller)
        talk = event.ended_at - event.answered_at if event.answered_at and event.ended_at else 0.0
        # The record's start when it has one; else what the call's first event said, never the
        # time this consumer got round to the end (it may be catching up on the stream).
        began = {"occurred_at": _ts(event.started_at)} if event.started_at else {}
        row = await upsert_interaction(
            session,
            "call",
            event.call_id,
            defaults={
                "occurred_at": _ts(event.queued_at or event.ringing_at or event.answered_at or event.ts)
            },
            direction=event.direction,
            number=number,
            dnis=event.dnis,
            **began,
            ended_at=_ts(event.ended_at or event.ts),
            duration=talk,
            status="ended",
            agent_id=event.agent_id,
            payload={
                "outcome": event.outcome,
                "queue": event.queue,
                "agents_offered": list(event.agents_offered),
                "ivr_path": list(event.ivr_path),
                "queued_at": event.queued_at,
                "answered_at": event.answered_at,
                "hold_seconds": event.hold_seconds,
                "hangup_cause": event.hangup_cause,
                "hangup_side": event.hangup_side,
                **_queue_legs(event),
            },
        )
        if row.customer_id is None:
            row.customer_id = await _customer_for(session, number)
        if event.agent_id and row.user_id is None:
            row.user_id = await session.scalar(select(User.id).where(User.staff_no == event.agent_id))
        if event.recording and event.answered_at:
            # MixMonitor writes only while the call is bridged: a call nobody answered (given up
            # in the queue) leaves a header without audio, which is no recording to offer
            row.file_path = event.recording
        for agent_id, joined, left in event.legs:
            await _leg(session, row, agent_id, joined, left=left)
        if event.legs:
            await _last_agent(session, row, {leg[0] for leg in event.legs})
        if (
            event.outcome in ABANDONED
            and event.direction == "inbound"
            and await self._own_queue(session, event.queue)
        ):
            # A missed call is an async event: someone calls the customer back.
            await self._async_event(
                session,
                "missed_call",
                event.call_id,
                event.caller,
                event.dnis,
                "",
                {"outcome": event.outcome, "queue": event.queue, "waited": _waited(event)},
            )

    async def _own_queue(self, session: AsyncSession, queue: str) -> bool:
        """Whether a call given up in ``queue`` is this hotline's to call back. Another line on
        the same Asterisk (its queues, a benchmark's) keeps its call record and its row in the
        queue report, but its callers are not this centre's: hundreds of its hang-ups flooded
        未分派事件 ahead of the hotline's own. A call given up before any queue (in the IVR) is
        the hotline's: its DID reached this line's menu."""
        if self.queues is None or not queue:
            return True
        return queue in await own_queues(session, self.queues, self.default_skills)

    async def _relayed_legs(self, session: AsyncSession, event: CallEnded) -> None:
        """The legs another Asterisk server's agents had on a call it took over the trunk (a
        transfer or a consultation between servers): the call's own server publishes its record
        (caller, queue, outcome, recording), which these must not overwrite, in either order."""
        row = await upsert_interaction(
            session,
            "call",
            event.call_id,
            defaults={
                "occurred_at": _ts(event.started_at or event.answered_at or event.ts),
                "direction": event.direction,
                "number": _norm(event.caller),
                "status": "ended",
            },
        )
        for agent_id, joined, left in event.legs:
            await _leg(session, row, agent_id, joined, left=left)
        await _last_agent(session, row, set())

    async def _recording(self, session: AsyncSession, event: RecordingReady) -> None:
        call = await session.scalar(
            select(Interaction).where(Interaction.kind == "call", Interaction.external_id == event.call_id)
        )
        row = await upsert_interaction(
            session,
            "recording",
            event.call_id,
            # its call's way: a 回拨's, a campaign call's, an agent's dial-out's is outbound
            direction=call.direction if call else "inbound",
            file_path=event.path,
            duration=event.duration,
            agent_id=event.agent_id,
            number=call.number if call else "",
            customer_id=call.customer_id if call else None,
            parent_id=call.id if call else None,
            occurred_at=call.occurred_at if call else _ts(event.ts),
            status="handled",
        )
        if call is not None:
            call.file_path = event.path
            for order_id in await orders_of(session, call):
                await link(session, order_id, row)

    async def _async_event(
        self,
        session: AsyncSession,
        kind: str,
        external_id: str,
        caller: str,
        dnis: str,
        path: str,
        payload: dict[str, Any],
        duration: float = 0.0,
    ) -> None:
        number = _norm(caller)
        existing = await session.scalar(
            select(Interaction.id).where(Interaction.kind == kind, Interaction.external_id == external_id)
        )
        row = await upsert_interaction(
            session,
            kind,
            external_id,
            number=number,
            dnis=dnis,
            file_path=path,
            duration=duration,
            customer_id=await _customer_for(session, number),
            payload=payload,
        )
        if existing is None and self.intake is not None:
            agent = await self.intake.assign(session, row)
            if agent is not None and payload.get("reason") == "fault_report":
                # A fault reported by voicemail in the IVR opens a fault order for the agent to complete.
                await self.intake.open_fault_report(session, row, agent)
