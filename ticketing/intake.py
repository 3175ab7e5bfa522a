"""Async events (异步事件): fax, SMS, voicemail, email, web messages, missed calls.

Each arrives as an ``Interaction`` with its content, is assigned to an agent
(round robin among logged-in agents with the skill for that kind, or by hand),
and is then turned into a new pre-filled order or linked to an existing one;
one order holds many events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from email import policy as email_policy
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from cti.bus import Bus, Subscription
from cti.call_events import AgentStateChanged
from cti.events import Event
from cti.phones import InvalidPhoneNumber, checked, normalize
from ticketing.audit import record
from ticketing.calls import link, orders_of, upsert_interaction
from ticketing.errors import ActionRefused, NotFound
from ticketing.events import AsyncEventAssigned, AsyncEventHandled, queue_event
from ticketing.models import (
    ASYNC_KINDS,
    Contact,
    Customer,
    CustomerPhone,
    Interaction,
    User,
    WorkOrder,
    utcnow,
)
from ticketing.numbering import next_value
from ticketing.workflow.engine import create_order

DEFAULT_SKILLS = {
    "fax": "service",
    "sms": "service",
    "email": "service",
    "web": "service",
    "voicemail": "fault",
    "missed_call": "service",
}
# where an event's text lands when it becomes an order, per workflow
DESCRIPTION_FIELD = {
    "fault_repair": "客户描述故障信息",
    "complaint": "投诉内容",
    "consult": "咨询内容",
    "service_application": "申请说明",
    "aftersales_repair": "故障描述",
}


class Intake:
    """Assignment of async events; knows who is logged in from AgentStateChanged events."""

    def __init__(
        self, skills: Mapping[str, str] | None = None, *, fault_workflow: str = "fault_repair"
    ) -> None:
        self.skills = dict(DEFAULT_SKILLS, **(skills or {}))
        self.fault_workflow = fault_workflow
        self.logged_in: set[str] = set()
        self._subscription: Subscription | None = None

    def subscribe(self, bus: Bus) -> Subscription:
        self._subscription = bus.subscribe(self.on_agent_state, types=[AgentStateChanged])
        return self._subscription

    async def rebuild(self, bus: Bus) -> None:
        """Who is logged in, from the bus history (after a restart, before new events arrive)."""
        after = 0
        while batch := await bus.replay(after, 10_000):
            for event in batch:
                await self.on_agent_state(event)
            after = batch[-1].seq
            if len(batch) < 10_000:
                break

    async def on_agent_state(self, event: Event) -> None:
        if isinstance(event, AgentStateChanged):
            if event.state == "logged_out":
                self.logged_in.discard(event.agent_id)
            else:
                self.logged_in.add(event.agent_id)

    async def receive(
        self,
        session: AsyncSession,
        kind: str,
        external_id: str,
        *,
        sender: str = "",
        content: str = "",
        subject: str = "",
        file_path: str = "",
        occurred_at: dt.datetime | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Interaction:
        """Take in one async event (idempotent on kind + external id) and assign it."""
        if kind not in ASYNC_KINDS:
            raise ActionRefused("unknown_event_kind", f"unknown async event kind {kind!r}")
        existing = await session.scalar(
            select(Interaction).where(Interaction.kind == kind, Interaction.external_id == external_id)
        )
        if existing is not None:
            return existing
        number, customer_id = await _sender(session, kind, sender)
        row = await upsert_interaction(
            session,
            kind,
            external_id,
            number=number,
            subject=subject,
            content=content,
            file_path=file_path,
            occurred_at=occurred_at or utcnow(),
            customer_id=customer_id,
            payload={"sender": sender, **(payload or {})},
        )
        await self.assign(session, row)
        return row

    async def assign(self, session: AsyncSession, row: Interaction) -> User | None:
        """Round robin among logged-in agents with the kind's skill; unassigned if nobody is."""
        skill = self.skills.get(row.kind, "service")
        agents = [
            u
            for u in await session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
            if u.has_role("agent") and skill in (u.skills or {}) and u.staff_no in self.logged_in
        ]
        if not agents:
            row.status = "new"
            return None
        turn = await next_value(session, f"rr:{skill}")
        agent = agents[(turn - 1) % len(agents)]
        await assign_to(session, None, row, agent)
        return agent

    async def open_fault_report(
        self, session: AsyncSession, row: Interaction, agent: User
    ) -> WorkOrder | None:
        """IVR "report a fault" voicemail → a fault order at its create step, held by ``agent``,
        with the recording linked; the agent listens, completes the address and bureau, submits."""
        if not self.fault_workflow:
            return None
        site_id = agent.site_id
        if row.customer_id is not None:
            customer = await session.get(Customer, row.customer_id)
            site_id = customer.site_id if customer and customer.site_id else site_id
        note = f"客户语音报修留言（{row.duration:.0f} 秒），请回听录音后补全故障信息"
        # the system hands the event to the agent it chose (``assign``): theirs from now on
        row, before = await _claim(session, agent, row.id, for_agent=True)
        return await _order_from(
            session,
            agent,
            row,
            before,
            workflow=self.fault_workflow,
            site_id=site_id,
            form={"客户描述故障信息": note},
        )


async def receive_email(intake: Intake, session: AsyncSession, raw: bytes) -> Interaction:
    """An inbound email (RFC 5322 bytes) as an async event: Message-ID keeps it idempotent."""
    message = BytesParser(policy=email_policy.default).parsebytes(raw)
    sender = parseaddr(str(message.get("From", "")))[1]
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = body_part.get_content() if body_part is not None else ""
    attachments = [part.get_filename() or "" for part in message.iter_attachments()]
    external_id = str(message.get("Message-ID") or "").strip("<> ") or f"mail-{hash(raw) & 0xFFFFFFFF:x}"
    return await intake.receive(
        session,
        "email",
        external_id,
        sender=sender,
        subject=str(message.get("Subject", "")),
        content=body.strip(),
        payload={"attachments": attachments, "to": str(message.get("To", ""))},
    )


async def _sender(session: AsyncSession, kind: str, sender: str) -> tuple[str, int | None]:
    if kind == "email" or "@" in sender:
        customer_id = await session.scalar(
            select(Contact.customer_id).where(Contact.email == sender).limit(1)
        )
        return sender, customer_id
    try:
        number = normalize(sender)
    except InvalidPhoneNumber:
        return sender, None
    customer_id = await session.scalar(
        select(CustomerPhone.customer_id).where(CustomerPhone.number == number).limit(1)
    )
    return number, customer_id


async def assign_to(session: AsyncSession, actor: User | None, row: Interaction, agent: User) -> None:
    before = {"assigned_to": row.assigned_to_id, "status": row.status}
    row.assigned_to_id = agent.id
    row.status = "assigned"
    await record(
        session,
        actor,
        "event.assign",
        "interaction",
        row.id,
        before=before,
        after={"assigned_to": agent.id, "status": row.status},
    )
    queue_event(
        session,
        AsyncEventAssigned(interaction_id=row.id, kind=row.kind, staff_no=agent.staff_no, number=row.number),
    )


async def inbox(
    session: AsyncSession, user: User, *, include_handled: bool = False, limit: int = 50
) -> list[Interaction]:
    query = select(Interaction).where(Interaction.assigned_to_id == user.id)
    if not include_handled:
        query = query.where(Interaction.status == "assigned")
    return list(await session.scalars(query.order_by(Interaction.occurred_at.desc()).limit(limit)))


async def unhandled_count(session: AsyncSession, user: User) -> int:
    """您有 X 个未处理事件."""
    return int(
        await session.scalar(
            select(func.count(Interaction.id)).where(
                Interaction.assigned_to_id == user.id, Interaction.status == "assigned"
            )
        )
        or 0
    )


#: who may handle an event assigned to someone else (or to nobody): the supervisor (质量监控员)
#: oversees every seat and, like the admin, may already open any recording or fax
#: (``agent_ui.media``). Everyone else handles only their own inbox: an event's content (a
#: voicemail, a fax) becomes readable by whoever may read the order it joins.
HANDLES_ANY_EVENT = ("supervisor", "admin")


def may_handle(user: User, row: Interaction) -> bool:
    """Whether ``user`` may turn ``row`` into an order or link it to one: the one rule."""
    return row.assigned_to_id == user.id or user.has_role(*HANDLES_ANY_EVENT)


async def _claim(
    session: AsyncSession, user: User, interaction_id: int, *, for_agent: bool = False
) -> tuple[Interaction, str]:
    """The async event ``user`` is about to handle, marked handled; with its status before.

    Only async events (not calls or recordings: those join orders through the call's own
    legs) in the user's inbox, unless ``may_handle`` says otherwise (``for_agent``: the
    system acts for the agent it picked, no person asks). An event is handled once
    (a new order, or one existing order, per the domain: one order holds many events, not one
    event many orders); a second try, even one racing this one, is refused ``event.already_handled``.
    """
    row = await session.get(Interaction, interaction_id)
    if row is None or row.kind not in ASYNC_KINDS:
        raise NotFound(f"no event #{interaction_id}", entity="interaction", key=interaction_id)
    if not for_agent and not may_handle(user, row):
        raise ActionRefused("event.forbidden", f"event #{row.id} is not in your inbox", event=row.id)
    before = row.status
    # The status changes only where it is still unhandled, so of two users at once one wins:
    # the other's UPDATE waits for the row and then matches nothing.
    claimed = await session.execute(
        update(Interaction)
        .where(Interaction.id == row.id, Interaction.status != "handled")
        .values(status="handled")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        orders = await session.scalars(
            select(WorkOrder.number).where(WorkOrder.id.in_(await orders_of(session, row)))
        )
        raise ActionRefused(
            "event.already_handled", f"event #{row.id} is already handled", event=row.id, orders=list(orders)
        )
    set_committed_value(row, "status", "handled")
    return row, before


async def to_new_order(
    session: AsyncSession,
    user: User,
    interaction_id: int,
    *,
    workflow: str,
    site_id: int | None,
    form: Mapping[str, Any] | None = None,
    category: str = "",
    subcategory: str = "",
    submit: bool = False,
) -> WorkOrder:
    """填写受理工单: a new order pre-filled from the event (caller, customer, its text), linked to it;
    ``category`` and ``subcategory`` are the ones picked, as at the seat's intake."""
    row, before = await _claim(session, user, interaction_id)
    return await _order_from(
        session,
        user,
        row,
        before,
        workflow=workflow,
        site_id=site_id,
        form=form,
        category=category,
        subcategory=subcategory,
        submit=submit,
    )


async def _order_from(
    session: AsyncSession,
    user: User,
    row: Interaction,
    status_before: str,
    *,
    workflow: str,
    site_id: int | None,
    form: Mapping[str, Any] | None = None,
    category: str = "",
    subcategory: str = "",
    submit: bool = False,
) -> WorkOrder:
    prefill: dict[str, Any] = {}
    field = DESCRIPTION_FIELD.get(workflow)
    text = row.content or row.subject
    if field and text:
        prefill[field] = text
    prefill.update(form or {})
    order = await create_order(
        session,
        user,
        workflow=workflow,
        site_id=site_id,
        form=prefill,
        customer_id=row.customer_id,
        caller_number=_phone_of(row),
        category=category,
        subcategory=subcategory,
        submit=submit,
        interaction_ids=[row.id],
        link_call=False,
        title=row.subject,
    )
    await record(
        session,
        user,
        "order.link_interaction",
        "work_order",
        order.id,
        after={"interaction": row.id, "kind": row.kind},
    )
    await _handled(session, user, row, status_before, order)
    return order


def _phone_of(row: Interaction) -> str:
    """The event's number as the order's caller number, when it is one (an email's address or a
    web message's typed contact is not, and must not stop the order being taken)."""
    if row.kind == "email" or not row.number:
        return ""
    try:
        return checked(row.number)
    except InvalidPhoneNumber:
        return ""


async def link_to_order(session: AsyncSession, user: User, interaction_id: int, order: WorkOrder) -> None:
    """关联到已受理工单: ``order`` as loaded for ``user`` (``engine.load_order``: their data scope)."""
    row, before = await _claim(session, user, interaction_id)
    await link(session, order, row, user)
    await _handled(session, user, row, before, order)


async def _handled(
    session: AsyncSession, user: User, row: Interaction, status_before: str, order: WorkOrder
) -> None:
    await record(
        session,
        user,
        "event.handled",
        "interaction",
        row.id,
        # whose inbox it was: a supervisor may handle someone else's
        before={"status": status_before, "assigned_to": row.assigned_to_id},
        after={"status": "handled", "order": order.number},
    )
    assignee = await session.get(User, row.assigned_to_id) if row.assigned_to_id else None
    queue_event(
        session,
        AsyncEventHandled(
            interaction_id=row.id,
            kind=row.kind,
            staff_no=assignee.staff_no if assignee else "",
            actor=user.staff_no,
            order_number=order.number,
        ),
    )
