"""Actions beside submit/approve/reject: 转发, 批注, 抄送, 督办, 强制归档, optional steps,
category changes, and the automatic 派工超时转协调单 conversion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import sla
from ticketing.errors import ActionRefused, Forbidden, NotFound
from ticketing.models import Assignment, User, WorkOrder, utcnow
from ticketing.users import can_access
from ticketing.workflow import store
from ticketing.workflow.operators import resolve
from ticketing.workflow.steps import (
    add_comment,
    audit,
    enter_node,
    my_assignment,
    open_order,
    plan_entry,
    snapshot,
)

SUPERVISORS = ("supervisor", "admin", "team_leader")


async def forward(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    to_user: User,
    *,
    opinion: str = "",
    now: dt.datetime | None = None,
) -> WorkOrder:
    """转发: hand my pending step to someone else (who must be able to see the order)."""
    now = now or utcnow()
    await open_order(session, user, order)
    mine = await my_assignment(session, user, order)
    if not await can_access(session, to_user, order):
        raise ActionRefused("target_out_of_scope", f"{to_user.staff_no} cannot see {order.number}")
    before = snapshot(order)
    mine.state, mine.acted_at = "cancelled", now
    session.add(
        Assignment(
            order_id=order.id,
            node=order.current_node,
            user_id=to_user.id,
            mode=mine.mode,
            seq=mine.seq,
            assigned_at=now,
        )
    )
    await add_comment(session, order, user, "forward", opinion, to=to_user.staff_no)
    await audit(session, user, "forward", order, before)
    await sla.notify_users(
        session,
        order,
        [to_user],
        kind="forwarded",
        channels=["screen"],
        urgency="normal",
        message=f"{user.name} 转发工单 {order.number}: {opinion}",
    )
    return order


async def annotate(session: AsyncSession, user: User, order: WorkOrder, text: str) -> WorkOrder:
    """批注: an opinion without moving the order; anyone who can see it may annotate."""
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    if not text.strip():
        raise ActionRefused("opinion_required", "an annotation needs text")
    before = snapshot(order)
    await add_comment(session, order, user, "annotate", text)
    await audit(session, user, "annotate", order, before)
    return order


async def cc(
    session: AsyncSession, user: User, order: WorkOrder, recipients: Iterable[User], *, opinion: str = ""
) -> WorkOrder:
    """抄送: inform people (in scope) without giving them the step."""
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    targets = [u for u in recipients if await can_access(session, u, order)]
    if not targets:
        raise ActionRefused("target_out_of_scope", "none of the recipients can see this order")
    before = snapshot(order)
    await add_comment(session, order, user, "cc", opinion, to=[u.staff_no for u in targets])
    await audit(session, user, "cc", order, before)
    await sla.notify_users(
        session,
        order,
        targets,
        kind="cc",
        channels=["screen"],
        urgency="normal",
        message=f"{user.name} 抄送工单 {order.number}: {opinion}",
    )
    return order


async def supervise(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    *,
    opinion: str,
    urgency: str = "high",
    channels: Iterable[str] = ("screen", "sms"),
) -> WorkOrder:
    """督办: a supervisor presses the current handlers, with urgency."""
    if not user.has_role(*SUPERVISORS):
        raise Forbidden("only team leaders, supervisors and admins may supervise", role="supervisor")
    await open_order(session, user, order)
    handlers = await resolve(session, [[{"current_handlers": True}]], order)
    before = snapshot(order)
    await add_comment(session, order, user, "supervise", opinion, urgency=urgency)
    await audit(session, user, "supervise", order, before)
    await sla.notify_users(
        session,
        order,
        handlers,
        kind="supervise",
        channels=list(channels),
        urgency=urgency,
        message=f"督办 {order.number}: {opinion}",
    )
    return order


async def force_archive(
    session: AsyncSession, user: User, order: WorkOrder, *, opinion: str, now: dt.datetime | None = None
) -> WorkOrder:
    """强制归档: close at once (supervisors/admins, with an opinion); required content still applies."""
    now = now or utcnow()
    if not user.has_role("supervisor", "admin"):
        raise Forbidden("only supervisors and admins may force-archive", role="supervisor")
    if not opinion.strip():
        raise ActionRefused("opinion_required", "force-archive needs an opinion")
    definition, node = await open_order(session, user, order)
    archive = next(n for n in definition.nodes if n.type == "archive")
    await plan_entry(session, user, order, node, archive, order.form)  # required content still applies
    before = snapshot(order)
    await add_comment(session, order, user, "force_archive", opinion)
    await session.execute(
        update(Assignment)
        .where(Assignment.order_id == order.id, Assignment.state == "pending")
        .values(state="cancelled", acted_at=now)
    )
    await enter_node(session, user, order, definition, archive, now, action="force_archive", operators=[])
    await audit(session, user, "force_archive", order, before)
    return order


async def set_optional_step(
    session: AsyncSession, user: User, order: WorkOrder, node_id: str, enabled: bool
) -> WorkOrder:
    """Switch an optional step (e.g. 报事审核) off or on for this order."""
    definition, _ = await open_order(session, user, order)
    if not user.has_role("admin", "supervisor", "team_leader") and order.created_by_id != user.id:
        raise Forbidden("only the creator or a supervisor may switch steps", role="supervisor")
    try:
        node = definition.node(node_id)
    except KeyError as exc:
        raise NotFound(f"no node {node_id!r}", entity="node", key=node_id) from exc
    if not node.optional:
        raise ActionRefused("step_not_optional", f"{node_id} cannot be switched off")
    before = snapshot(order)
    disabled = set(order.disabled_nodes or [])
    disabled.discard(node_id) if enabled else disabled.add(node_id)
    order.disabled_nodes = sorted(disabled)
    await add_comment(session, order, user, "optional_step", "", node=node_id, enabled=enabled)
    await audit(session, user, "optional_step", order, before)
    return order


async def change_category(
    session: AsyncSession, user: User, order: WorkOrder, category: str, subcategory: str = ""
) -> WorkOrder:
    """Reports depend on the category, so it is locked once the order was dispatched."""
    await open_order(session, user, order)
    if order.category_locked:
        raise ActionRefused("category_locked", f"{order.number} was dispatched; its category is locked")
    before = snapshot(order)
    order.category, order.subcategory = category, subcategory
    await add_comment(session, order, user, "change_category", "", category=category, subcategory=subcategory)
    await audit(session, user, "change_category", order, before)
    return order


async def convert(
    session: AsyncSession, order: WorkOrder, spec: Mapping[str, Any], *, now: dt.datetime | None = None
) -> None:
    """派工超时转协调单: the undispatched order becomes a coordination order for the coordinators."""
    now = now or utcnow()
    before = snapshot(order)
    order.category = str(spec.get("category", "coordination"))
    order.subcategory = str(spec.get("subcategory", ""))
    order.priority = max(order.priority, int(spec.get("priority", order.priority + 1)))
    rules = spec.get("operators") or [{"role": "supervisor"}]
    coordinators = await resolve(session, [rules], order)
    pending = await session.scalars(
        select(Assignment).where(Assignment.order_id == order.id, Assignment.state == "pending")
    )
    keep = {a.user_id for a in pending}
    for seq, user in enumerate(coordinators):
        if user.id not in keep:
            session.add(
                Assignment(
                    order_id=order.id,
                    node=order.current_node,
                    user_id=user.id,
                    mode="any",
                    seq=100 + seq,
                    assigned_at=now,
                )
            )
    await add_comment(
        session, order, None, "convert", str(spec.get("opinion", "派工超时转协调单")), category=order.category
    )
    await audit(session, None, "convert", order, before)
    await sla.notify_users(
        session,
        order,
        coordinators,
        kind="converted",
        channels=list(spec.get("channels", ["screen"])),
        urgency=str(spec.get("urgency", "urgent")),
        message=f"工单 {order.number} 派工超时，已转协调单",
    )


async def definition_of(session: AsyncSession, order: WorkOrder):
    return await store.definition_for(session, order.workflow_id)
