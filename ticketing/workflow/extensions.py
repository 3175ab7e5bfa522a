"""延期 (deadline extension): the handler of a step with a time limit asks for more time, with a
reason and a new deadline; a supervisor (or whoever the step's ``sla.extension.approvers``
name) approves or refuses it. Approved, the step's due time moves and its pending reminders,
overrun alert and automatic action move with it (an alert already sent for the old deadline is
planned again for the new one); either way the requester is told on screen, and the timeline
and the audit keep the request and the answer.

Kept in the order's opinions (``comments``), no table of its own: a request is an
``extend_request`` opinion at the step (its ``extra``: the new ``due_at``, the deadline it
replaces ``was``, and ``entered``, when the order entered the step), answered by an
``extend_approve`` / ``extend_refuse`` opinion naming it (``request``). A request is pending
while the order is still at that entry of the step and nobody answered it; leaving the step
lapses it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import sla
from ticketing.audit import record
from ticketing.errors import ActionRefused, Forbidden
from ticketing.models import Comment, Timer, User, WorkOrder, utcnow
from ticketing.users import can_access
from ticketing.workflow.definition import Definition, Node
from ticketing.workflow.operators import resolve
from ticketing.workflow.steps import my_assignment, open_order

#: who approves a step's 延期 when its ``sla.extension.approvers`` names nobody
DEFAULT_APPROVERS: tuple[Mapping[str, Any], ...] = ({"role": "supervisor"},)
DECISIONS = ("extend_approve", "extend_refuse")


def approver_rules(definition: Definition, node: Node) -> list[Mapping[str, Any]]:
    """The step's ``sla: {extension: {approvers: [rules]}}`` (one batch of operator rules, e.g.
    ``[{role: team_leader}]``), else the supervisors."""
    for raw in definition.raw.get("nodes") or []:
        if isinstance(raw, Mapping) and raw.get("id") == node.id:
            spec = (raw.get("sla") or {}).get("extension") if isinstance(raw.get("sla"), Mapping) else None
            rules = spec.get("approvers") if isinstance(spec, Mapping) else None
            if isinstance(rules, list) and rules:
                return [dict(r) for r in rules if isinstance(r, Mapping)]
    return [dict(r) for r in DEFAULT_APPROVERS]


def _entered(order: WorkOrder) -> str:
    at = order.node_entered_at
    if at is None:
        return ""
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


MAX_EXTENSION = dt.timedelta(days=30)
"""How far one 延期 may move a step's deadline beyond the later of it and now."""


async def pending(session: AsyncSession, order: WorkOrder) -> Comment | None:
    """The 延期 request waiting for an answer at the order's current step, if any."""
    if not order.is_open:
        return None
    rows = list(
        await session.scalars(
            select(Comment)
            .where(
                Comment.order_id == order.id,
                Comment.node == order.current_node,
                Comment.action.in_(("extend_request", *DECISIONS)),
            )
            .order_by(Comment.id)
        )
    )
    answered = {(c.extra or {}).get("request") for c in rows if c.action in DECISIONS}
    asked = [
        c
        for c in rows
        if c.action == "extend_request"
        and (c.extra or {}).get("entered") == _entered(order)
        and c.id not in answered
    ]
    return asked[-1] if asked else None


async def may_decide(
    session: AsyncSession, user: User, order: WorkOrder, node: Node, definition: Definition
) -> bool:
    """Admins, and whoever the step's approver rules pick among those who see the order."""
    if not await can_access(session, user, order):
        return False
    if user.has_role("admin"):
        return True
    found = await resolve(session, [approver_rules(definition, node)], order)
    return any(p.id == user.id for p in found)


async def request(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    *,
    due_at: dt.datetime,
    reason: str,
    now: dt.datetime | None = None,
) -> Comment:
    """延期申请: the holder of the current step asks for ``due_at`` instead of the step's deadline."""
    now = now or utcnow()
    definition, node = await open_order(session, user, order)
    await my_assignment(session, user, order)
    if not reason.strip():
        raise ActionRefused("opinion_required", "延期 says why more time is needed")
    if order.due_at is None:
        raise ActionRefused("extension_no_deadline", f"{order.current_node} has no time limit to extend")
    due_at, was = _aware(due_at), _aware(order.due_at)
    if due_at <= max(was, now):
        raise ActionRefused(
            "extension_not_later", "the new deadline must be later than the current one and than now"
        )
    if due_at > max(was, now) + MAX_EXTENSION:
        raise ActionRefused("extension_too_far", "延期 moves a deadline by at most 30 days at a time")
    if await pending(session, order) is not None:
        raise ActionRefused("extension_pending", "a request for more time at this step awaits its answer")
    row = Comment(
        order_id=order.id,
        user_id=user.id,
        action="extend_request",
        node=order.current_node,
        text=reason.strip(),
        extra={"due_at": due_at.isoformat(), "was": was.isoformat(), "entered": _entered(order)},
    )
    session.add(row)
    await session.flush()
    await record(
        session,
        user,
        "order.extend_request",
        "work_order",
        order.id,
        before={"due_at": was.isoformat()},
        after={"due_at": due_at.isoformat(), "reason": reason.strip()},
    )
    approvers = [
        p for p in await resolve(session, [approver_rules(definition, node)], order) if p.id != user.id
    ]
    await sla.notify_users(
        session,
        order,
        approvers,
        kind="extension_request",
        channels=["screen"],
        urgency="normal",
        message=f"{user.name} 申请延期工单 {order.number}（{node.name or node.id}）：{reason.strip()}",
    )
    return row


async def decide(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    *,
    approve: bool,
    opinion: str = "",
    now: dt.datetime | None = None,
) -> Comment:
    """批准 or 不批准 the pending 延期 request. Approved: the step's due time becomes the requested
    one and its timers move by as much (an alert already fired for the old deadline is planned
    anew when it now falls later). Refused: needs its reason. The requester is told either way."""
    now = now or utcnow()
    definition, node = await open_order(session, user, order)
    asked = await pending(session, order)
    if asked is None:
        raise ActionRefused("extension_not_pending", "no request for more time awaits an answer here")
    if not await may_decide(session, user, order, node, definition):
        raise Forbidden(
            "only the step's approvers (supervisors) may answer a request for more time", role="supervisor"
        )
    if asked.user_id == user.id:
        raise ActionRefused("maker_checker", "the person who asked for more time cannot approve it")
    if not approve and not opinion.strip():
        raise ActionRefused("opinion_required", "a refusal says why")
    new_due = dt.datetime.fromisoformat(asked.extra["due_at"])
    was = _aware(order.due_at) if order.due_at else None
    action = "extend_approve" if approve else "extend_refuse"
    row = Comment(
        order_id=order.id,
        user_id=user.id,
        action=action,
        node=order.current_node,
        text=opinion.strip(),
        extra={"request": asked.id, "due_at": asked.extra["due_at"], "was": was.isoformat() if was else None},
    )
    session.add(row)
    if approve:
        await _move_deadline(session, order, new_due, now)
    await session.flush()
    await record(
        session,
        user,
        f"order.{action}",
        "work_order",
        order.id,
        before={"due_at": was.isoformat() if was else None},
        after={"due_at": (_aware(order.due_at).isoformat() if order.due_at else None), "request": asked.id},
    )
    requester = await session.get(User, asked.user_id) if asked.user_id else None
    if requester is not None:
        local = new_due.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
        said = f"延期申请已批准，新时限 {local}" if approve else "延期申请未批准"
        await sla.notify_users(
            session,
            order,
            [requester],
            kind="extension_" + ("approved" if approve else "refused"),
            channels=["screen"],
            urgency="normal",
            message=f"工单 {order.number} {said}" + (f"：{opinion.strip()}" if opinion.strip() else ""),
        )
    return row


async def _move_deadline(
    session: AsyncSession, order: WorkOrder, new_due: dt.datetime, now: dt.datetime
) -> None:
    """The step's deadline becomes ``new_due``; its timers (reminders, overrun, automatic
    action) keep their distance to it. A reminder or overrun alert already sent for this entry
    of the step that now falls after ``now`` is planned again (it spoke of the old deadline); an
    automatic action already taken (派工超时转协调单) is not taken twice."""
    was = _aware(order.due_at)
    shift = new_due - was
    entered = order.node_entered_at
    timers = await session.scalars(
        select(Timer).where(
            Timer.order_id == order.id,
            Timer.node == order.current_node,
            Timer.state.in_(("pending", "fired")),
        )
    )
    for timer in list(timers):
        due = _aware(timer.due_at)
        if entered is not None and due < _aware(entered):
            continue  # an earlier visit of the step
        moved = due + shift
        if timer.state == "pending":
            timer.due_at = moved
        elif moved > now and timer.kind != "action":  # an automatic action is done once
            session.add(
                Timer(
                    order_id=order.id,
                    node=timer.node,
                    kind=timer.kind,
                    due_at=moved,
                    payload=dict(timer.payload),
                )
            )
    order.due_at = new_due
