"""The workflow engine: create an order and move it through its definition's nodes.

Every function takes the caller's ``AsyncSession`` and the acting ``User``,
checks data scope and the node's rules, changes the order, writes an opinion
(Comment) and an audit row, queues events (published after commit, see
``ticketing.events``) and never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import notify, sla
from ticketing.audit import record
from ticketing.calls import link_active_call
from ticketing.errors import ActionRefused, Forbidden, NotFound
from ticketing.events import TicketCreated, TicketRouted, TicketStatusChanged, queue_event
from ticketing.models import Assignment, Comment, OrderLink, User, WorkOrder, order_interactions, utcnow
from ticketing.numbering import next_number
from ticketing.users import can_access
from ticketing.workflow import store
from ticketing.workflow.conditions import evaluate
from ticketing.workflow.definition import Definition, Node
from ticketing.workflow.forms import apply_changes, check_required, missing_required
from ticketing.workflow.operators import resolve


def snapshot(order: WorkOrder) -> dict[str, Any]:
    return {
        "status": order.status,
        "node": order.current_node,
        "category": order.category,
        "form": dict(order.form),
        "is_open": order.is_open,
    }


async def _comment(
    session: AsyncSession, order: WorkOrder, user: User | None, action: str, text: str, **extra: Any
):
    session.add(
        Comment(
            order_id=order.id,
            user_id=user.id if user else None,
            action=action,
            node=order.current_node,
            text=text,
            extra=extra,
        )
    )


async def _audit(
    session: AsyncSession, user: User | None, action: str, order: WorkOrder, before: dict[str, Any]
) -> None:
    await record(
        session, user, f"order.{action}", "work_order", order.id, before=before, after=snapshot(order)
    )


async def create_order(
    session: AsyncSession,
    user: User,
    *,
    workflow: str,
    site_id: int | None,
    form: Mapping[str, Any] | None = None,
    customer_id: int | None = None,
    caller_number: str = "",
    title: str = "",
    subcategory: str = "",
    priority: int = 0,
    submit: bool = True,
    opinion: str = "",
    interaction_ids: Iterable[int] = (),
    link_call: bool = True,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Create an order at the workflow's create node (its creator holds that step); with
    ``submit`` the create step is completed at once (the agent pressed 提交)."""
    now = now or utcnow()
    row = await store.latest(session, workflow)
    definition = store.parsed(row)
    start = definition.create_node
    form_values = apply_changes(definition, start, {}, form)
    order = WorkOrder(
        number=await next_number(session, definition.number_pattern, now=now),
        category=definition.category,
        subcategory=subcategory,
        status=start.status,
        priority=priority,
        site_id=site_id,
        customer_id=customer_id,
        caller_number=caller_number,
        title=title,
        form=form_values,
        workflow_id=row.id,
        workflow_key=row.key,
        workflow_version=row.version,
        current_node=start.id,
        created_by_id=user.id,
        status_times={start.status: now.isoformat()},
        node_entered_at=now,
        created_at=now,
    )
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", site_id=site_id)
    session.add(order)
    await session.flush()
    session.add(Assignment(order_id=order.id, node=start.id, user_id=user.id, assigned_at=now))
    for interaction_id in interaction_ids:
        await session.execute(
            order_interactions.insert().values(
                order_id=order.id, interaction_id=interaction_id, linked_at=now, linked_by_id=user.id
            )
        )
    if link_call:
        # The agent is on (or just finished) a call: the order is about that call.
        await link_active_call(session, user, order, now)
    await _comment(session, order, user, "create", opinion)
    await record(session, user, "order.create", "work_order", order.id, after=snapshot(order))
    queue_event(
        session,
        TicketCreated(
            order_id=order.id,
            number=order.number,
            category=order.category,
            site_id=site_id,
            customer_id=customer_id,
            created_by=user.staff_no,
        ),
    )
    await sla.schedule_node(session, order, definition, start, now)
    if submit:
        await submit_step(session, user, order, opinion=opinion, now=now)
    return order


async def load_order(session: AsyncSession, user: User, key: int | str) -> WorkOrder:
    """An order by id or number, if the user's data scope covers its site."""
    query = select(WorkOrder).where(WorkOrder.id == key if isinstance(key, int) else WorkOrder.number == key)
    order = await session.scalar(query)
    if order is None:
        raise NotFound(f"no work order {key!r}", entity="work_order", key=key)
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    return order


async def _open_order(session: AsyncSession, user: User, order: WorkOrder) -> tuple[Definition, Node]:
    # Act on the current row, locked: two people pressing 提交 at once must not both move the order.
    # (PostgreSQL: FOR UPDATE; SQLite: the transaction already holds the write lock, BEGIN IMMEDIATE.)
    await session.flush()
    await session.refresh(order, with_for_update=session.bind.dialect.name == "postgresql")
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    if not order.is_open:
        raise ActionRefused("order_closed", f"{order.number} is closed")
    definition = await store.definition_for(session, order.workflow_id)
    return definition, definition.node(order.current_node)


async def pending_assignments(session: AsyncSession, order: WorkOrder) -> list[Assignment]:
    rows = await session.scalars(
        select(Assignment)
        .where(
            Assignment.order_id == order.id,
            Assignment.node == order.current_node,
            Assignment.state == "pending",
        )
        .order_by(Assignment.seq, Assignment.id)
    )
    return list(rows)


async def _my_assignment(session: AsyncSession, user: User, order: WorkOrder) -> Assignment:
    pending = await pending_assignments(session, order)
    mine = [a for a in pending if a.user_id == user.id]
    if not mine:
        raise ActionRefused(
            "not_your_step", f"{user.staff_no} is not a handler of {order.number} at {order.current_node}"
        )
    if mine[0].mode == "sequential" and pending[0].user_id != user.id:
        raise ActionRefused("not_your_turn", "an earlier operator in the sequence has not acted yet")
    return mine[0]


async def save_form(
    session: AsyncSession, user: User, order: WorkOrder, changes: Mapping[str, Any]
) -> WorkOrder:
    """Save field values at the current node (only editable fields; required ones are checked on submit)."""
    definition, node = await _open_order(session, user, order)
    await _my_assignment(session, user, order)
    before = snapshot(order)
    order.form = apply_changes(definition, node, order.form, changes)
    await _audit(session, user, "save", order, before)
    return order


async def submit_step(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    *,
    form: Mapping[str, Any] | None = None,
    opinion: str = "",
    to: str | None = None,
    handlers: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    _action: str = "submit",
) -> WorkOrder:
    """提交 (create/realize nodes) or 批准 (approve nodes, via ``approve``)."""
    now = now or utcnow()
    definition, node = await _open_order(session, user, order)
    if node.type == "approve" and _action != "approve":
        raise ActionRefused("use_approve", f"{node.id} is an approve node: approve or reject")
    if node.type != "approve" and _action == "approve":
        raise ActionRefused("not_an_approve_node", f"{node.id} is not an approve node")
    if _action == "approve" and order.created_by_id == user.id:
        raise ActionRefused("maker_checker", "the person who entered an order cannot approve it")
    mine = await _my_assignment(session, user, order)
    before = snapshot(order)
    order.form = apply_changes(definition, node, order.form, form)
    check_required(node, order.form)
    mine.state, mine.acted_at = "done", now
    await _comment(session, order, user, _action, opinion)
    if mine.mode in ("all", "sequential") and any(
        a.state == "pending" for a in await pending_assignments(session, order)
    ):
        await _audit(session, user, _action, order, before)
        return order  # 会签 / sequence: the node completes when everyone has acted
    await _cancel_others(session, order, now)
    if node.locks_category:
        order.category_locked = True
    await _spawn(session, user, order, definition, node, now)
    target = _choose_exit(definition, node, order, to)
    await _enter(session, user, order, definition, target, now, action=_action, handlers=handlers)
    await _audit(session, user, _action, order, before)
    return order


async def approve(session: AsyncSession, user: User, order: WorkOrder, **kwargs: Any) -> WorkOrder:
    return await submit_step(session, user, order, _action="approve", **kwargs)


async def reject(
    session: AsyncSession, user: User, order: WorkOrder, *, opinion: str, now: dt.datetime | None = None
) -> WorkOrder:
    """退回: only from approve nodes, along the node's reject exit (default: back to the create node)."""
    now = now or utcnow()
    definition, node = await _open_order(session, user, order)
    if node.type != "approve":
        raise ActionRefused(
            "reject_not_allowed", f"{node.id} is a {node.type} node; only approve nodes can reject"
        )
    if not opinion.strip():
        raise ActionRefused("opinion_required", "a rejection needs an opinion")
    mine = await _my_assignment(session, user, order)
    before = snapshot(order)
    mine.state, mine.acted_at = "done", now
    await _comment(session, order, user, "reject", opinion)
    await _cancel_others(session, order, now)
    target = next((ex.to for ex in node.exits if ex.kind == "reject" and evaluate(ex.when, order.form)), None)
    await _enter(
        session,
        user,
        order,
        definition,
        definition.node(target or definition.create_node.id),
        now,
        action="reject",
    )
    await _audit(session, user, "reject", order, before)
    return order


def _choose_exit(definition: Definition, node: Node, order: WorkOrder, to: str | None) -> Node:
    if to is not None:
        allowed = {ex.to for ex in node.exits if ex.kind == "normal"}
        if not node.free_routing and to not in allowed:
            raise ActionRefused("exit_not_allowed", f"{node.id} cannot go to {to!r}")
        try:
            return definition.node(to)
        except KeyError as exc:
            raise ActionRefused("unknown_node", f"no node {to!r}") from exc
    seen: set[str] = set()
    current = node
    while True:
        target = next(
            (ex.to for ex in current.exits if ex.kind == "normal" and evaluate(ex.when, order.form)), None
        )
        if target is None:
            raise ActionRefused("no_matching_exit", f"no exit of {current.id} matches the form")
        chosen = definition.node(target)
        # Optional steps switched off for this order are skipped along their default exit.
        if chosen.optional and chosen.id in (order.disabled_nodes or []) and chosen.id not in seen:
            seen.add(chosen.id)
            current = chosen
            continue
        return chosen


async def _cancel_others(session: AsyncSession, order: WorkOrder, now: dt.datetime) -> None:
    await session.execute(
        update(Assignment)
        .where(
            Assignment.order_id == order.id,
            Assignment.node == order.current_node,
            Assignment.state == "pending",
        )
        .values(state="cancelled", acted_at=now)
    )


async def _enter(
    session: AsyncSession,
    user: User | None,
    order: WorkOrder,
    definition: Definition,
    node: Node,
    now: dt.datetime,
    *,
    action: str,
    handlers: Iterable[int] | None = None,
) -> None:
    previous = order.status
    if node.type == "archive":
        missing = missing_required(node, order.form)
        if missing:
            raise ActionRefused(
                "required_content_empty", f"cannot close: {', '.join(missing)} empty", fields=missing
            )
    await sla.cancel_timers(session, order.id)
    order.current_node = node.id
    order.status = node.status
    order.node_entered_at = now
    order.status_times = {**order.status_times, node.status: now.isoformat()}
    order.due_at = None
    staff: list[str] = []
    if node.type == "archive":
        order.is_open = False
        order.closed_at = now
    else:
        operators = await _operators(session, order, node, handlers, user)
        for seq, op in enumerate(operators):
            session.add(
                Assignment(
                    order_id=order.id, node=node.id, user_id=op.id, mode=node.mode, seq=seq, assigned_at=now
                )
            )
            staff.append(op.staff_no)
        await session.flush()
        await sla.schedule_node(session, order, definition, node, now)
    await notify.on_enter(session, order, node.id)
    actor = user.staff_no if user else "system"
    queue_event(
        session,
        TicketStatusChanged(
            order_id=order.id,
            number=order.number,
            status=order.status,
            previous=previous,
            node=node.id,
            actor=actor,
            action=action,
        ),
    )
    if staff:
        queue_event(
            session,
            TicketRouted(
                order_id=order.id,
                number=order.number,
                node=node.id,
                status=order.status,
                handlers=tuple(staff),
                category=order.category,
            ),
        )


async def _operators(
    session: AsyncSession, order: WorkOrder, node: Node, handlers: Iterable[int] | None, user: User | None
) -> list[User]:
    if handlers is not None:
        if not node.free_routing and not (user and user.has_role("admin", "supervisor")):
            raise ActionRefused("free_routing_disabled", f"{node.id} does not allow picking handlers")
        chosen = [u for u in [await session.get(User, uid) for uid in handlers] if u is not None and u.active]
        if not chosen:
            raise ActionRefused("no_operator", "none of the chosen handlers exists")
        return chosen
    if node.type == "create":
        creator = await session.get(User, order.created_by_id) if order.created_by_id else None
        if creator is None:
            raise ActionRefused("no_operator", "the order has no creator to return to")
        return [creator]
    # maker ≠ checker: the creator is never an approver
    exclude = [order.created_by_id] if node.type == "approve" and order.created_by_id else []
    operators = await resolve(session, node.operators, order, exclude=exclude)
    if not operators:
        raise ActionRefused("no_operator", f"nobody matches the operator rules of {node.id}", node=node.id)
    return operators


async def _spawn(
    session: AsyncSession, user: User, order: WorkOrder, definition: Definition, node: Node, now: dt.datetime
) -> None:
    """Follow-up orders a node creates on completion (e.g. a complaint from a dissatisfied visit-back)."""
    for spec in node.spawn:
        if not evaluate(spec.get("when"), order.form):
            continue
        form = {dst: order.form.get(src) for src, dst in (spec.get("copy") or {}).items()}
        form.update(spec.get("form") or {})
        child = await create_order(
            session,
            user,
            workflow=spec["workflow"],
            site_id=order.site_id,
            form=form,
            customer_id=order.customer_id,
            caller_number=order.caller_number,
            title=spec.get("title", order.title),
            submit=bool(spec.get("submit", False)),
            opinion=f"由 {order.number} 生成",
            now=now,
        )
        await link_orders(session, user, order, child, spec.get("link", "follow_up"))


async def link_orders(
    session: AsyncSession, user: User | None, a: WorkOrder, b: WorkOrder, kind: str = "related"
) -> None:
    session.add(OrderLink(from_order_id=a.id, to_order_id=b.id, kind=kind))
    await record(session, user, "order.link", "work_order", a.id, after={"to": b.number, "kind": kind})
    await session.flush()
